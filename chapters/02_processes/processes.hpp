// Chapter 02's interface, for its program and its tests.
#pragma once

#include "workbook/chapter.hpp"
#include "workbook/child_process.hpp"

#include <sys/types.h>

namespace workbook::chapter02 {

// How each event's process is started: `fork` copies the parent's page tables, `vfork` borrows the
// parent's memory and suspends the parent until the child exits.
enum class Start { fork, vfork };

// The talk's `process_test`: one child process per event, which counts into memory shared with the
// parent and exits; the parent waits for it before the next event. Throws ChapterError when a process
// cannot be started or does not end well. SIGINT or SIGTERM during the run: the running child is
// reaped first, then the process dies of that signal.
LetterTypes count_with_processes(Events book, Start start, Progress* progress = nullptr);

// The child of `--variant vfork` (vfork.cpp): calls `counter(event)` and exits, copying nothing.
pid_t start_vforked(const processes::MCount& counter, unsigned char event);

}  // namespace workbook::chapter02
