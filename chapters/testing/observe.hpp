// Observing another thread or process from a test, through what the kernel shows in /proc, so that a
// test waits for a state it can see ("the worker sleeps in its read", "the parent is blocked writing
// to that pipe") instead of sleeping for a while and hoping the state was reached.
#pragma once

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/types.h>
#include <thread>

namespace workbook::testing {

// The scheduler state of a thread or process, the field after the name in /proc/PID/task/TID/stat
// ('R' running, 'S' asleep in an interruptible wait, 'T' stopped, 'Z' zombie...), or '\0' when it
// is gone. `tid` 0: the process `pid` itself (its main thread).
inline char task_state(pid_t pid, pid_t tid = 0) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid == 0 ? pid : tid) + "/stat");
    const std::string text{std::istreambuf_iterator<char>(stat), std::istreambuf_iterator<char>()};
    // The name, in parentheses, may itself hold ") ": the state follows the last one.
    const auto name_end = text.rfind(") ");
    return name_end == std::string::npos || name_end + 2 >= text.size() ? '\0' : text[name_end + 2];
}

// One line of a /proc file ("" if it cannot be read): /proc/PID/task/TID/wchan, .../syscall...
inline std::string proc_line(const std::string& path) {
    std::ifstream file(path);
    std::string line;
    std::getline(file, line);
    return line;
}

// Polls `reached()` until it is true or `deadline` has passed, and returns its last value. For a
// state that the test observes but cannot be told of (the kernel's view of another thread or
// process): the pause between looks is no synchronisation, and the deadline only turns a state
// never reached into a failed check instead of a hang.
template <typename Predicate>
bool eventually(Predicate reached, std::chrono::seconds deadline = std::chrono::seconds(30)) {
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    while (!reached()) {
        if (std::chrono::steady_clock::now() > give_up) return reached();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace workbook::testing
