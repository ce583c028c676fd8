// Chapter 02's `--in-flight N`: up to N children at once, each reaped as it ends, none left behind.
//
// Cost: the same fork, exit and waitpid per event, but the children's waits (a slow counter call
// each) overlap, N at a time.
#include "processes.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <sys/wait.h>

namespace workbook::chapter02 {

// The counter service's keeper is a child of this process too, so the first child to end is only
// peeked at (WNOWAIT), and reaped only if it is one of ours; otherwise the oldest of ours is waited for.
std::pair<Child, int> Running::join_one() {
    siginfo_t info{};
    while (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
    auto ended = std::find_if(children_.begin(), children_.end(), [&](const Child& c) { return c.pid == info.si_pid; });
    if (ended == children_.end()) ended = children_.begin();
    Child child = *ended;
    children_.erase(ended);
    return {child, processes::reap(child.pid)};
}

void Running::stop() noexcept {
    for (const Child& child : children_) ::kill(child.pid, SIGKILL);
    for (const Child& child : children_) {
        int status = 0;
        while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {}
    }
    children_.clear();
}

}  // namespace workbook::chapter02
