// Test helpers for the chapters that start processes (02 and 03): is any child left, run a body in a
// forked child, allow a set number of further processes.
#pragma once

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <grp.h>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
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
// counts the user's threads, and this process may have more than one (ThreadSanitizer runs one of
// its own); user 65534 is assumed to run nothing else. Returns what failed, or "".
inline std::string allow_only_more_processes(rlim_t more) {
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
        return "cannot become user 65534 to make RLIMIT_NPROC apply";
    }
    rlim_t threads = 0;
    for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++threads;
    rlimit limit{threads + more, threads + more};
    if (::setrlimit(RLIMIT_NPROC, &limit) != 0) return "cannot set RLIMIT_NPROC";
    return "";
}

// Starts `run()` in a forked child as a shell starts a foreground job (a process group of its own,
// default signal dispositions), lets it run for `after`, then sends it `signal` as Ctrl-C does (to
// the whole group) or as `kill PID` does (to it alone), and returns its wait status. Meanwhile this
// process is a "child subreaper": whatever the interrupted run orphaned is re-parented here instead
// of to init, so that no_child_remains() afterwards also proves that nothing was orphaned.
template <typename Run>
int interrupt_mid_run(Run run, int signal, bool whole_group, std::chrono::milliseconds after) {
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    std::fflush(nullptr);  // or the child may print the test's pending output again
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::setpgid(0, 0);
        std::signal(SIGINT, SIG_DFL);  // not doctest's crash handlers
        std::signal(SIGTERM, SIG_DFL);
        run();
        ::_exit(3);  // it ended before the signal
    }
    ::setpgid(pid, pid);  // here too, so that the group exists before it is signalled
    std::this_thread::sleep_for(after);
    REQUIRE(::kill(whole_group ? -pid : pid, signal) == 0);
    ::alarm(60);  // a run that ignored the signal would hang the test: fail it instead
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ::alarm(0);
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
    return status;
}

}  // namespace workbook::testing
