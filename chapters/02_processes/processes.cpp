// Chapter 02: a process per event, the talk's `process_test`.
//
// The talk's first try at parallelism: every event starts a process of its class, which adds one to
// a counter in memory shared between processes (the talk's MCount over multiprocessing.Value) and
// exits, and the parent waits for it (`p.start(); p.join()`) before the next event; `--in-flight N`
// (in_flight.cpp) lets N children run at once, the talk's "might be quite good" when each event
// waits on a slow counter (`--counter service`). Cost: a fork, an exit and a waitpid per event; the
// fork copies the parent's page tables and the exit tears them down, so the cost grows with the
// parent's memory (`--variant vfork`, in vfork.cpp, copies none).
// That is slow by design, so the default run counts the first 2,000 events; the README's "What it
// costs" gives the figures and where the time goes.
#include "processes.hpp"

#include "workbook/runner.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace workbook::chapter02 {
namespace {

using processes::MCount;

//! [start_child]
// `Process(target=counter, args=(c,)).start()`: a child that calls the counter once and exits. With
// `--counter service` or `redis` the child makes its own link (never the parent's connection) and
// makes the one slow call itself; a call that fails ends the child with `counter_failed`.
// `_exit`, not `exit`: the child must not run the parent's atexit handlers or flush its copy of the
// parent's stdio buffers.
constexpr int counter_failed = 3;

pid_t start_forked(const MCount& counter, unsigned char event, const Settings& settings) {
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            settings.link().call(classify(event));
        } catch (const ChapterError& failure) {
            processes::FailureNotes::shared().say(failure.what());  // for the parent's message
            ::_exit(counter_failed);
        }
        counter(event);
        ::_exit(0);
    }
    return pid;
}
//! [start_child]

}  // namespace

//! [count_with_processes]
// The talk's `process_test`, with up to `--in-flight` children running at once.
LetterTypes count_with_processes(Events book, Start start, const Settings& settings) {
    const bool calls_out = settings.counters != nullptr && settings.counters->settings().calls_out();
    if (start == Start::vfork && (calls_out || settings.in_flight > 1))
        throw UsageError("--variant vfork: its child borrows the parent's memory, so it can neither make a counter call "
                         "of its own nor run beside another (use --variant fork)");
    processes::flush_before_fork();
    processes::SharedCounters shared;
    processes::FailureNotes& failures = processes::FailureNotes::shared();
    failures.clear();
    const MCount vowel{"vowel", &shared[Letter::vowel]}, consonant{"consonant", &shared[Letter::consonant]},
        other{"other", &shared[Letter::other]};
    processes::InterruptGuard interrupt;
    Running running;
    const std::size_t in_flight = std::max<std::size_t>(settings.in_flight, 1);

    std::uint64_t started = 0, done = 0;
    auto join_one = [&] {  // p.join()
        auto [child, status] = running.join_one();
        if (interrupt.caught() != 0) {
            running.stop();
            interrupt.die_of_caught_signal();
        }
        if (!processes::ended_well(status)) {
            const bool call_failed = calls_out && WIFEXITED(status) && WEXITSTATUS(status) == counter_failed;
            const std::string said = call_failed ? failures.said_by(child.pid) : std::string();
            throw ChapterError("the process for event " + std::to_string(child.event) + " (counter '" +
                               std::string(child.counter) + "', pid " + std::to_string(child.pid) + ") " +
                               (call_failed ? "could not call " + settings.counters->endpoint().server_name + ": " : "") +
                               (said.empty() ? "it " + processes::describe_end(status) : said));
        }
        if (settings.progress != nullptr) settings.progress->update(++done);
    };
    for (unsigned char c : book) {
        if (running.size() == in_flight) join_one();
        const MCount& counter = classify(c) == Letter::vowel ? vowel : classify(c) == Letter::consonant ? consonant : other;
        pid_t pid = start == Start::fork ? start_forked(counter, c, settings) : start_vforked(counter, c);  // p.start()
        if (pid < 0) {
            throw ChapterError("cannot start the process for event " + std::to_string(started + 1) + " of " +
                               std::to_string(book.size()) + ": " + (start == Start::fork ? "fork" : "vfork") +
                               " failed: " + std::strerror(errno));
        }
        running.add({pid, ++started, counter.name});
    }
    while (running.size() > 0) join_one();
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
    .takes_in_flight = true,
    .variants = {
        {"fork",
         [](Events book, const Settings& settings) { return count_with_processes(book, Start::fork, settings); },
         "fork() per event: the child gets a copy-on-write copy of the parent's memory"},
        {"vfork",
         [](Events book, const Settings& settings) { return count_with_processes(book, Start::vfork, settings); },
         "vfork() per event: the child borrows the parent's memory, copying nothing"},
    },
};

}  // namespace workbook::chapter02
