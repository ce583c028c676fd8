// Test helpers for the chapters that start processes (02 and 03): is any child left, run a body in a
// forked child, allow a set number of further processes, interrupt a run once it is under way.
#pragma once

#include "observe.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <grp.h>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace workbook::testing {

// True when this process has no child at all, running or zombie.
inline bool no_child_remains() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

struct ChildRun {
    int status = -1;      // wait status
    std::string message;  // what the child wrote to its pipe
};

// Runs `body(message)` in a forked child that ends with `_exit(body's result)` and sends `message`
// back through a pipe: for tests that change what cannot be changed back (the user, a limit).
template <typename Body>
ChildRun in_child(Body body) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    std::fflush(nullptr);  // or the child may print the test's pending output again
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(pipe_fds[0]);
        std::string message;
        int code = body(message);
        if (::write(pipe_fds[1], message.data(), message.size()) < 0) code = 99;
        ::_exit(code);  // not exit: no atexit handlers, no leak check of a half-torn-down copy
    }
    ::close(pipe_fds[1]);
    ChildRun run;
    char buffer[512];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
        if (n > 0) run.message.append(buffer, static_cast<std::size_t>(n));
        else if (errno != EINTR) break;
    }
    ::close(pipe_fds[0]);
    REQUIRE(::waitpid(pid, &run.status, 0) == pid);
    return run;
}

// In a child of in_child(): becomes a user without privileges (root ignores RLIMIT_NPROC) and sets
// that user's RLIMIT_NPROC so that exactly `more` further processes (or threads) can start. The limit
// counts every thread of the user's, and this process may have more than one (ThreadSanitizer runs
// one of its own), so the count is taken as the kernel makes it: the lowest soft limit under which a
// fork still succeeds is one more than what the user runs now (user 65534 is assumed to run nothing
// else). Each probe is reaped before the next, which takes it off the count. Returns what failed, or "".
inline std::string allow_only_more_processes(rlim_t more) {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
        return "cannot become user 65534 to make RLIMIT_NPROC apply";
    }
    rlimit old{};
    if (::getrlimit(RLIMIT_NPROC, &old) != 0) return "cannot read RLIMIT_NPROC";
    for (rlim_t soft = 1; soft <= 4096 && (old.rlim_max == RLIM_INFINITY || soft <= old.rlim_max); ++soft) {
        rlimit probe{soft, old.rlim_max};
        if (::setrlimit(RLIMIT_NPROC, &probe) != 0) return "cannot set RLIMIT_NPROC";
        std::fflush(nullptr);
        pid_t pid = ::fork();
        if (pid == 0) ::_exit(0);
        if (pid < 0 && errno == EAGAIN) continue;  // the user runs `soft` processes or more
        if (pid < 0) return std::string("cannot fork a probe: ") + std::strerror(errno);
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) return "cannot reap a probe";
        }
        const rlim_t running = soft - 1;
        rlimit limit{running + more, running + more};
        if (::setrlimit(RLIMIT_NPROC, &limit) != 0) return "cannot set RLIMIT_NPROC";
        return "";
    }
    return "cannot find how many processes this user runs";
}

// Whether process `pid` has taken charge of `signal`: it catches it (a handler) or blocks it (to
// take it with sigwait or a signalfd), as /proc/PID/status shows it. Either way the signal no
// longer kills it outright.
inline bool takes_charge_of(pid_t pid, int signal) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    bool charged = false;
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("SigCgt:", 0) == 0 || line.rfind("SigBlk:", 0) == 0) {
            charged = charged || (std::stoull(line.substr(7), nullptr, 16) >> (signal - 1) & 1) != 0;
        }
    }
    return charged;
}

// How many children process `pid`'s main thread has started and not yet had reaped, as the kernel
// lists them in /proc/PID/task/PID/children.
inline std::size_t children_of(pid_t pid) {
    std::istringstream children(proc_line("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
    return static_cast<std::size_t>(std::distance(std::istream_iterator<pid_t>(children), std::istream_iterator<pid_t>()));
}

// Starts `run()` in a forked child as a shell starts a foreground job (a process group of its own,
// default signal dispositions), waits until the run is under way: it has taken charge of SIGINT and
// SIGTERM (its guard against Ctrl-C is in place) and has at least `workers` children running; then
// sends it `signal` as Ctrl-C does (to the whole group) or as `kill PID` does (to it alone), and
// returns its wait status. The run must be long enough not to end first (that fails the test). A run
// not under way after 30 seconds fails the test too, and is signalled all the same. Meanwhile this
// process is a "child subreaper": whatever the interrupted run orphaned is re-parented here instead
// of to init, so that no_child_remains() afterwards also proves that nothing was orphaned.
template <typename Run>
int interrupt_mid_run(Run run, int signal, bool whole_group, std::size_t workers = 0) {
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    int reset[2];  // closed by the child once its signal dispositions are its own, not this process's
    REQUIRE(::pipe(reset) == 0);
    std::fflush(nullptr);  // or the child may print the test's pending output again
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setpgid(0, 0);
        std::signal(SIGINT, SIG_DFL);  // not doctest's crash handlers
        std::signal(SIGTERM, SIG_DFL);
        ::close(reset[0]);
        ::close(reset[1]);
        run();
        ::_exit(3);  // it ended before the signal
    }
    ::setpgid(pid, pid);  // here too, so that the group exists before it is signalled
    ::close(reset[1]);
    char byte;
    while (::read(reset[0], &byte, 1) < 0 && errno == EINTR) {}  // end-of-file: the child reset them
    ::close(reset[0]);
    int status = 0;
    bool ended = false;
    const bool under_way = eventually([&] {
        if (::waitpid(pid, &status, WNOHANG) == pid) return ended = true;
        return takes_charge_of(pid, SIGINT) && takes_charge_of(pid, SIGTERM) && children_of(pid) >= workers;
    });
    if (ended) {
        FAIL_CHECK("the run ended before it was interrupted, with wait status " << status);
    } else {
        CHECK_MESSAGE(under_way, "after 30 s the run had not taken charge of SIGINT and SIGTERM, or not started its ",
                      workers, " workers");
        REQUIRE(::kill(whole_group ? -pid : pid, signal) == 0);
        ::alarm(60);  // a run that ignored the signal would hang the test: fail it instead
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        ::alarm(0);
    }
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
    return status;
}

}  // namespace workbook::testing
