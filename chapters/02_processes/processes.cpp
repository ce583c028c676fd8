// Chapter 02: a process per event, the talk's `process_test`.
//
// The talk's first try at parallelism: every event starts a process of its class, which adds one to
// a counter in memory shared between processes (the talk's MCount over multiprocessing.Value) and
// exits, and the parent waits for it (`p.start(); p.join()`) before the next event. Cost: a fork, an
// exit and a waitpid per event; the fork copies the parent's page tables and the exit tears them
// down, so the cost grows with the parent's memory (`--variant vfork`, in vfork.cpp, copies none).
// That is slow by design, so the default run counts the first 2,000 events; the README's "What it
// costs" gives the figures and where the time goes.
#include "processes.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <unistd.h>

namespace workbook::chapter02 {
namespace {

using processes::MCount;

//! [start_child]
// `Process(target=counter, args=(c,)).start()`: a child that calls the counter once and exits.
// `_exit`, not `exit`: the child must not run the parent's atexit handlers or flush its copy of the
// parent's stdio buffers.
pid_t start_forked(const MCount& counter, unsigned char event) {
    pid_t pid = ::fork();
    if (pid == 0) {
        counter(event);
        ::_exit(0);
    }
    return pid;
}
//! [start_child]

}  // namespace

//! [count_with_processes]
// The talk's `process_test`.
LetterTypes count_with_processes(Events book, Start start, Progress* progress) {
    processes::flush_before_fork();
    processes::SharedCounters shared;
    const MCount vowel{"vowel", &shared[Letter::vowel]}, consonant{"consonant", &shared[Letter::consonant]},
        other{"other", &shared[Letter::other]};
    processes::InterruptGuard interrupt;

    std::uint64_t done = 0;
    for (unsigned char c : book) {
        const MCount& counter = classify(c) == Letter::vowel ? vowel : classify(c) == Letter::consonant ? consonant : other;
        pid_t pid = start == Start::fork ? start_forked(counter, c) : start_vforked(counter, c);  // p.start()
        if (pid < 0) {
            throw ChapterError("cannot start the process for event " + std::to_string(done + 1) + " of " +
                               std::to_string(book.size()) + ": " + (start == Start::fork ? "fork" : "vfork") +
                               " failed: " + std::strerror(errno));
        }
        int status = processes::reap(pid);  // p.join()
        if (interrupt.caught() != 0) interrupt.die_of_caught_signal();
        if (!processes::ended_well(status)) {
            throw ChapterError("the process for event " + std::to_string(done + 1) + " (counter '" +
                               std::string(counter.name) + "', pid " + std::to_string(pid) + ") " +
                               processes::describe_end(status));
        }
        if (progress != nullptr) progress->update(++done);
        else ++done;
    }
    if (interrupt.caught() != 0) interrupt.die_of_caught_signal();
    return {vowel.value(), consonant.value(), other.value()};
}
//! [count_with_processes]

extern const Chapter chapter{
    .number = 2,
    .slug = "02_processes",
    .title = "Count letters with a process per event",
    .mechanism = "fork + waitpid per event",
    .default_runs = 3,
    .default_limit = 2000,
    .variants = {
        {"fork",
         [](Events book, const Settings& settings) { return count_with_processes(book, Start::fork, settings.progress); },
         "fork() per event: the child gets a copy-on-write copy of the parent's memory"},
        {"vfork",
         [](Events book, const Settings& settings) { return count_with_processes(book, Start::vfork, settings.progress); },
         "vfork() per event: the child borrows the parent's memory, copying nothing"},
    },
};

}  // namespace workbook::chapter02
