// Chapter 02: a process per event, the talk's `process_test`.
//
// The talk's first try at parallelism: every event starts a process of its class, which adds one to
// a counter in memory shared between processes (the talk's MCount over multiprocessing.Value) and
// exits, and the parent waits for it (`p.start(); p.join()`) before the next event. Cost: a fork, an
// exit and a waitpid per event, 0.4 ms of CPU and 0.5 ms or more of wall clock here (`--variant
// vfork`: 0.05-0.1 ms), tens of thousands of times chapter 01's call: the whole book would take most
// of an hour, so the default run counts the first 2,000 events. The README says where the time goes.
#include "processes.hpp"

#include "child_process.hpp"

#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <pthread.h>
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

// The same child started with vfork: it runs on the parent's memory and stack, so nothing is copied,
// and the parent is suspended until it exits. Such a child may only do what this one does: touch the
// shared counter and `_exit`. All signals are blocked around it, as posix_spawn does, so that no
// signal handler runs in the child on the borrowed stack.
[[gnu::noinline]] pid_t start_vforked(const MCount& counter, unsigned char event) {
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
//! [start_child]

}  // namespace

//! [process_test]
LetterTypes process_test(Events book, Start start, Progress* progress) {
    processes::flush_before_fork();
    processes::SharedCounters shared;
    const MCount vowel{"vowel", &shared[Letter::vowel]}, cons{"consonant", &shared[Letter::consonant]},
        other{"other", &shared[Letter::other]};
    processes::InterruptGuard interrupt;

    std::uint64_t done = 0;
    for (unsigned char c : book) {
        const MCount& counter = classify(c) == Letter::vowel ? vowel : classify(c) == Letter::consonant ? cons : other;
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
    return {vowel.value(), cons.value(), other.value()};
}
//! [process_test]

extern const Chapter chapter{
    .number = 2,
    .slug = "02_processes",
    .title = "Count letters with a process per event",
    .mechanism = "fork + waitpid per event",
    .default_runs = 3,
    .default_limit = 2000,
    .variants = {
        {"fork",
         [](Events book, const Settings& settings) { return process_test(book, Start::fork, settings.progress); },
         "fork() per event: the child gets a copy-on-write copy of the parent's memory"},
        {"vfork",
         [](Events book, const Settings& settings) { return process_test(book, Start::vfork, settings.progress); },
         "vfork() per event: the child borrows the parent's memory, copying nothing"},
    },
};

}  // namespace workbook::chapter02
