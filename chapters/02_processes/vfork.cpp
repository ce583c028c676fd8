// Chapter 02's `--variant vfork`: the same child, started without copying the parent's memory.
//
// Cost: still a process made, run and reaped per event, but no page tables copied or torn down, so
// the same whatever the parent holds.
#include "processes.hpp"

#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <unistd.h>

namespace workbook::chapter02 {

//! [start_vforked]
// The child runs on the parent's memory and stack, so nothing is copied, and the parent is suspended
// until it exits. Such a child may only do what this one does: touch the shared counter and `_exit`.
// All signals are blocked around it, as posix_spawn does, so that no signal handler runs in the
// child on the borrowed stack.
[[gnu::noinline]] pid_t start_vforked(const processes::MCount& counter, unsigned char event) {
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &old);
    pid_t pid = ::vfork();
    if (pid == 0) {
        counter(event);
        ::_exit(0);
    }
    int error = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = error;
    return pid;
}
//! [start_vforked]

}  // namespace workbook::chapter02
