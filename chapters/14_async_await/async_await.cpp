// Chapter 14: async/await, as asyncio runs coroutines as tasks, on chapter 12's event loop.
//
// The talk ends on "PEP 380 and third party abstractions of generator-based threads" and "the
// skeletons shown herein": after it, Python put that skeleton into the language. PEP 492 made
// `async def` coroutines and `await` (PEP 380's `yield from`, for awaitables), and asyncio drives
// each coroutine as a Task: a step runs it to its next `await` of a Future, the Future's done
// callback queues the next step on the loop. C++20 has the same machinery, and workbook::Task and
// workbook::Future are asyncio's Task and Future on workbook::EventLoop. `--in-flight N` tasks
// each take the next event, make its counter call (a Future the loop sets with the reply,
// workbook::future_incr) and `co_await` it; the main task gathers them (workbook::gather), so the
// first failure is the run's. With local counters the loop sets each Future in its next turn.
// Cost per event: one Future (a shared state), its done callback and two callbacks of the loop (the
// one that sets the Future, the task's next step), and one resume of the task's coroutine; with a
// slow counter, one request sent and one reply read on the loop's socket, and the wait, which up
// to N events share.
#include "async_await.hpp"

#include "workbook/async_counter_client.hpp"
#include "workbook/async_counter_link.hpp"
#include "workbook/awaitables.hpp"
#include "workbook/chapter.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/future.hpp"
#include "workbook/future_incr.hpp"
#include "workbook/task.hpp"

#include "asio_variant.hpp"  // the same program on standalone Asio, beside this hand-written loop

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace workbook::chapter14 {
namespace {

// What the tasks share. The counters' link is the last member, so it goes first, and with its
// client the Futures still waiting for a reply (after a failure), then the loop and what its
// queue holds.
struct Run {
    Run(Events events, const CounterEndpoint& endpoint, const std::function<void(std::size_t)>& waits)
        : book(events), on_wait(waits), counters(loop, endpoint) {}
    // An event's counter call (its work burnt first, on the loop's thread): a Future of the reply,
    // set by the loop.
    Future<std::int64_t> call(Letter letter) {
        counters.burn(letter);
        AsyncCounterClient* client = counters.client();  // none for local counters
        Future<std::int64_t> reply = client ? future_incr(*client, counters.key(letter)) : Future<std::int64_t>(loop);
        if (!client) loop.call_soon([reply]() mutable { reply.set_result(0); });
        if (on_wait) on_wait(next - counts.total());  // calls made, less replies counted
        return reply;
    }

    Events book;
    const std::function<void(std::size_t)>& on_wait;
    LetterTypes counts;
    std::size_t next = 0;
    EventLoop loop;
    AsyncCounterLink counters;
};

//! [worker]
// One of the N tasks: `async def worker()`, taking the next event until the book is done. Each
// co_await suspends it until the loop has the reply, or raises the call's error here.
Task<std::size_t> worker(Run& run) {
    std::size_t counted = 0;
    while (run.next < run.book.size()) {
        const Letter letter = classify(run.book[run.next++]);
        co_await run.call(letter);
        run.counts.add(letter);
        ++counted;
    }
    co_return counted;
}

// The main task: start the workers, and await them all; the first that fails fails the run, and
// the others, still owned by this frame, are destroyed with it.
Task<std::size_t> count_book(Run& run, std::size_t workers) {
    std::vector<Task<std::size_t>> tasks;
    for (std::size_t i = 0; i < workers; ++i) tasks.push_back(worker(run));
    const std::vector<std::size_t> counted = co_await gather(std::vector<Future<std::size_t>>(tasks.begin(), tasks.end()));
    std::size_t total = 0;
    for (std::size_t n : counted) total += n;
    co_return total;
}
//! [worker]

}  // namespace

LetterTypes count_with_tasks(Events book, const Settings& settings, const std::function<void(std::size_t)>& on_wait) {
    const CounterEndpoint local_endpoint;
    try {
        Run run(book, settings.counters ? settings.counters->endpoint() : local_endpoint, on_wait);
        const std::size_t workers = std::min<std::size_t>(std::max<std::size_t>(settings.in_flight, 1), book.size());
        const std::size_t counted = workbook::run(run.loop, [&] { return count_book(run, workers); });
        if (counted != book.size()) throw std::logic_error("the tasks counted " + std::to_string(counted) + " events of " + std::to_string(book.size()));
        return run.counts;
    } catch (const CounterError& failure) {
        throw ChapterError(failure.what());
    }
}

namespace {
LetterTypes count_tasks(Events book, const Settings& settings) { return count_with_tasks(book, settings); }
}  // namespace

extern const Chapter chapter{
    .number = 14,
    .slug = "14_async_await",
    .title = "Count letters with async/await tasks on an event loop",
    .mechanism = "coroutine tasks awaiting futures on an event loop (asyncio)",
    .default_runs = 3,
    .takes_in_flight = true,
    .default_in_flight = 100,
    .variants = {
        {"tasks", count_tasks, "Tasks on the workbook's EventLoop: each awaits its counter call's Future, as asyncio's tasks do"},
        {"asio", [](Events book, const Settings& settings) { return count_with_asio(book, settings); },
         "standalone Asio: co_spawn'd awaitables co_await each reply on Asio's own socket and io_context"},
    },
};

}  // namespace workbook::chapter14
