// Chapter 02's interface, for its program and its tests.
#pragma once

#include "workbook/chapter.hpp"
#include "workbook/child_process.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace workbook::chapter02 {

// How each event's process is started: `fork` copies the parent's page tables, `vfork` borrows the
// parent's memory and suspends the parent until the child exits.
enum class Start { fork, vfork };

// The talk's `process_test`: one child process per event, which makes the event's counter call
// (`settings.counters`, through a link of its own), counts into memory shared with the parent and
// exits; the parent keeps up to `settings.in_flight` children running, reaping one before starting
// the next. Throws ChapterError when a process cannot be started or does not end well (its counter
// call failed: naming the server), UsageError for vfork with a counter that calls out or more than
// one in flight. On an error, SIGINT or SIGTERM every running child is reaped first.
LetterTypes count_with_processes(Events book, Start start, const Settings& settings = {});

// The children running at once (`--in-flight N`, in_flight.cpp): each one's pid and the event it
// was started for. The destructor, reached by an error or a signal, kills and reaps those still
// running, so no zombie is left.
struct Child {
    pid_t pid;
    std::uint64_t event;       // 1 for the book's first
    std::string_view counter;  // the counter's name
};
class Running {
public:
    Running() = default;
    ~Running() { stop(); }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

    void add(const Child& child) { children_.push_back(child); }
    std::size_t size() const noexcept { return children_.size(); }
    // `p.join()` on whichever child ends first: that child and its wait status.
    std::pair<Child, int> join_one();
    // Kills and reaps every child still running.
    void stop() noexcept;

private:
    std::vector<Child> children_;
};

// The child of `--variant vfork` (vfork.cpp): calls `counter(event)` and exits, copying nothing.
pid_t start_vforked(const processes::MCount& counter, unsigned char event);

}  // namespace workbook::chapter02
