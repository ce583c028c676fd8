// workbook::Future, workbook::Task and their combinators (sleep, gather, wait_for): asyncio's rules
// (CPython's Lib/asyncio/futures.py and tasks.py), one case per rule; docs/promises.md names each
// case with the rule it proves. Every case records what ran in a trace and compares it whole;
// CapturedStderr shows what a destructor reported, Guard proves a coroutine's frame was destroyed.
#include "workbook/awaitables.hpp"
#include "workbook/future.hpp"
#include "workbook/task.hpp"

#include "trace.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using workbook::CancelledError;
using workbook::EventLoop;
using workbook::Future;
using workbook::InvalidStateError;
using workbook::Task;
using workbook::TimeoutError;

namespace {

struct Lost : std::runtime_error {
    Lost() : std::runtime_error("lost") {}
};

Task<int> add_one(Trace& trace, Future<int> input) {
    trace.push_back("awaiting");
    const int value = co_await input;
    trace.push_back("got " + std::to_string(value));
    co_return value + 1;
}

Task<void> catching(Trace& trace, Future<int> input) {
    try {
        (void)co_await input;
        trace.push_back("no error");
    } catch (const Lost& error) {
        trace.push_back(std::string("caught ") + error.what());
    }
}

Task<int> failing(Trace& trace) {
    trace.push_back("failing");
    throw Lost();
    co_return 0;
}

Task<std::string> awaiting_task(Trace& trace, Task<int> inner) {
    try {
        co_return std::to_string(co_await inner);
    } catch (const std::exception& error) {
        trace.push_back(std::string("raised ") + error.what());
        throw;
    }
}

// Waits twice on futures nothing sets; a cancel reaches it at its current await.
Task<int> waiting_twice(Trace& trace, Future<int> first, Future<int> second, bool go_on) {
    Guard guard(trace, "frame");
    try {
        co_await first;
    } catch (const CancelledError&) {
        trace.push_back("cancelled at the first await");
        if (!go_on) throw;
    }
    trace.push_back("second await");
    co_return co_await second;
}

// What awaiting `future` gave: its result as text, or the name of what it raised.
template <typename T>
Task<std::string> outcome(Future<T> future) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await future;
            co_return "done";
        } else if constexpr (std::is_arithmetic_v<T>) {
            co_return std::to_string(co_await future);
        } else if constexpr (std::is_same_v<T, std::string>) {
            co_return co_await future;
        } else {
            (void)co_await future;
            co_return "done";
        }
    } catch (const CancelledError&) {
        co_return "CancelledError";
    } catch (const TimeoutError&) {
        co_return "TimeoutError";
    } catch (const std::exception& error) {
        co_return error.what();
    }
}

}  // namespace

TEST_CASE("a task runs from the loop's next turn, and its result is what its coroutine returns") {
    EventLoop loop;
    Trace trace;
    const int result = workbook::run(loop, [&]() -> Task<int> {
        Future<int> input(loop);
        Task<int> task = add_one(trace, input);
        CHECK(trace.empty());  // made, not started
        trace.push_back("made");
        co_await workbook::sleep(0us);
        input.set_result(41);
        trace.push_back("set");
        co_return co_await task;
    });
    CHECK(result == 42);
    CHECK(trace == Trace{"made", "awaiting", "set", "got 41"});
}

TEST_CASE("awaiting a future suspends the task until it is done and resumes it with the result, set before or after the await") {
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> before(loop);
        before.set_result(1);
        Task<int> early = add_one(trace, before);  // done already: no suspension at its await
        Future<int> after(loop);
        Task<int> late = add_one(trace, after);
        co_await workbook::sleep(0us);
        trace.push_back("setting");
        after.set_result(2);
        const int first = co_await early;
        const int second = co_await late;
        CHECK(first == 2);
        CHECK(second == 3);
    });
    CHECK(trace == Trace{"awaiting", "got 1", "awaiting", "setting", "got 2"});
}

TEST_CASE("a failed future's exception is raised at the await, where the task can catch it") {
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> input(loop);
        Task<void> task = catching(trace, input);
        co_await workbook::sleep(0us);
        input.set_exception(std::make_exception_ptr(Lost()));
        co_await task;
    });
    CHECK(trace == Trace{"caught lost"});
}

TEST_CASE("an exception a task does not catch fails it, and is raised where the task is awaited") {
    EventLoop loop;
    Trace trace;
    CHECK_THROWS_AS(workbook::run(loop, [&]() { return awaiting_task(trace, failing(trace)); }), Lost);
    CHECK(trace == Trace{"failing", "raised lost"});
}

TEST_CASE("cancel delivers a CancelledError at the task's current await, and a task that catches it goes on") {
    EventLoop loop;
    Trace trace;
    std::optional<Future<int>> second;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> first(loop);
        second.emplace(loop);
        Task<int> task = waiting_twice(trace, first, *second, true);
        co_await workbook::sleep(0us);
        CHECK(task.cancel());
        CHECK(first.cancelled());  // the Future it waited on
        CHECK_FALSE(task.done());
        co_await workbook::sleep(0us);
        second->set_result(7);
        const int result = co_await task;
        CHECK(result == 7);
        CHECK_FALSE(task.cancelled());
    });
    CHECK(trace == Trace{"cancelled at the first await", "second await", "frame destroyed"});
}

TEST_CASE("a cancelled task's CancelledError reaches whoever awaits it, and the task is cancelled") {
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> first(loop), second(loop);
        Task<int> task = waiting_twice(trace, first, second, false);
        Task<std::string> outer = awaiting_task(trace, std::move(task));
        co_await workbook::sleep(0us);
        CHECK(outer.cancel());  // reaches the inner task through the task it awaits
        const std::string raised = co_await outcome<std::string>(outer);
        CHECK(raised == "CancelledError");
        CHECK(outer.cancelled());
        CHECK_FALSE(outer.cancel());  // done: nothing to cancel
    });
    CHECK(trace == Trace{"cancelled at the first await", "frame destroyed", "raised cancelled"});
}

TEST_CASE("a task cancelled before its first step never runs, and one cancelled while it runs is cancelled at its next await") {
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> never(loop);
        Task<int> task = add_one(trace, never);
        CHECK(task.cancel());
        const std::string unstarted = co_await outcome<int>(task);
        CHECK(unstarted == "CancelledError");
        CHECK(trace.empty());
        CHECK_FALSE(never.cancelled());  // it never awaited it

        std::optional<Task<void>> self;
        Future<int> pending(loop);
        self.emplace([](std::optional<Task<void>>& me, Future<int> next, Trace& trace) -> Task<void> {
            trace.push_back("cancelling itself");
            CHECK(me->cancel());
            try {
                (void)co_await next;
            } catch (const CancelledError&) {
                trace.push_back("cancelled at its next await");
                throw;
            }
        }(self, pending, trace));
        const std::string itself = co_await outcome<void>(*self);
        CHECK(itself == "CancelledError");
        CHECK(pending.cancelled());  // the Future it awaited next, as asyncio's __step cancels it
    });
    CHECK(trace == Trace{"cancelling itself", "cancelled at its next await"});
}

TEST_CASE("an exception nobody retrieved is reported on stderr in one line when the last handle goes; a retrieved or cancelled one is not") {
    CapturedStderr errors;
    EventLoop loop;
    {
        Future<int> lost(loop);
        lost.set_exception(std::make_exception_ptr(Lost()));
        Future<int> copy = lost;  // the report waits for the last handle

        Future<int> retrieved(loop);
        retrieved.set_exception(std::make_exception_ptr(Lost()));
        CHECK(retrieved.exception() != nullptr);

        Future<int> cancelled(loop);
        CHECK(cancelled.cancel());
    }
    {
        Trace trace;
        workbook::run(loop, [&]() -> Task<void> {
            Task<int> task = failing(trace);
            co_await workbook::sleep(0us);
            co_await workbook::sleep(0us);  // the task failed meanwhile; nobody awaits it
        });
    }
    CHECK(errors.text() == "Future exception was never retrieved: lost\nTask exception was never retrieved: lost\n");
}

TEST_CASE("a task destroyed while it waits has its frame destroyed at once and ends cancelled") {
    EventLoop loop;
    Trace trace;
    std::optional<Future<int>> view;
    Future<int> never(loop);
    workbook::run(loop, [&]() -> Task<void> {
        std::optional<Task<int>> task;
        task.emplace(waiting_twice(trace, never, never, false));
        view.emplace(*task);  // a Future view shares the result, not the frame
        co_await workbook::sleep(0us);
        CHECK(trace.empty());
        task.reset();
        CHECK(trace == Trace{"frame destroyed"});
        CHECK(view->cancelled());
    });
    CHECK_FALSE(never.done());  // what it waited on is let go, not touched
}

TEST_CASE("result of a pending future and setting a done one are invalid-state errors") {
    EventLoop loop;
    Future<int> future(loop);
    CHECK_THROWS_AS((void)future.result(), InvalidStateError);
    CHECK_THROWS_AS((void)future.exception(), InvalidStateError);
    future.set_result(1);
    CHECK_THROWS_AS(future.set_result(2), InvalidStateError);
    CHECK_THROWS_AS(future.set_exception(std::make_exception_ptr(Lost())), InvalidStateError);
    CHECK_FALSE(future.cancel());
    CHECK(future.result() == 1);
}

TEST_CASE("done callbacks run from the loop, never inside the call that finished the future, in the order they were added") {
    EventLoop loop;
    Trace trace;
    Future<int> future(loop);
    future.add_done_callback([&] { trace.push_back("first"); });
    future.add_done_callback([&] { trace.push_back("second"); });
    future.set_result(1);
    CHECK(trace.empty());
    future.add_done_callback([&] { trace.push_back("added when done"); });
    CHECK(trace.empty());
    loop.run();
    CHECK(trace == Trace{"first", "second", "added when done"});
}

TEST_CASE("run refuses a task left waiting on a future nothing will set, instead of hanging") {
    EventLoop loop;
    Trace trace;
    Future<int> never(loop);
    CHECK_THROWS_AS(workbook::run(loop, [&] { return add_one(trace, never); }), std::logic_error);
    CHECK(trace == Trace{"awaiting"});
}

TEST_CASE("sleep resumes the task once the delay has passed, and a cancelled sleep cancels its timer") {
    EventLoop loop;
    workbook::run(loop, [&]() -> Task<void> {
        const EventLoop::Clock::time_point start = loop.now();
        co_await workbook::sleep(2ms);
        CHECK(loop.now() - start >= 2ms);

        Future<void> long_sleep = workbook::sleep(std::chrono::microseconds(60s));
        CHECK(loop.timers() == 1);
        CHECK(long_sleep.cancel());
        CHECK(loop.timers() == 0);
    });
}

TEST_CASE("gather gives every result in order once all are done, or the first error at once, and consumes the others'") {
    CapturedStderr errors;
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> a(loop), b(loop), c(loop);
        Future<std::vector<int>> all = workbook::gather<int>({a, b, c});
        c.set_result(3);
        a.set_result(1);
        co_await workbook::sleep(0us);
        CHECK_FALSE(all.done());
        b.set_result(2);
        const std::vector<int> results = co_await all;
        CHECK(results == std::vector<int>{1, 2, 3});

        Future<int> slow(loop), bad(loop), worse(loop);
        Future<std::vector<int>> failed = workbook::gather<int>({slow, bad, worse});
        bad.set_exception(std::make_exception_ptr(Lost()));
        try {
            co_await failed;
        } catch (const Lost& error) {
            trace.push_back(std::string("gather raised ") + error.what());
        }
        CHECK_FALSE(slow.done());  // the others go on
        worse.set_exception(std::make_exception_ptr(std::runtime_error("worse")));
        slow.set_result(0);
        co_await workbook::sleep(0us);
        const std::vector<int> none = co_await workbook::gather<int>({});
        CHECK(none.empty());
    });
    CHECK(trace == Trace{"gather raised lost"});
    CHECK(errors.text().empty());  // "worse" was consumed by the gather
}

TEST_CASE("cancelling a gather cancels every child not done") {
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> done(loop), pending(loop), never(loop);
        done.set_result(1);
        Task<int> waiting = waiting_twice(trace, never, never, false);
        Future<std::vector<int>> all = workbook::gather<int>({done, pending, waiting});
        co_await workbook::sleep(0us);
        CHECK(all.cancel());
        CHECK(pending.cancelled());
        const std::string child = co_await outcome<int>(waiting);
        CHECK(child == "CancelledError");
        CHECK_FALSE(done.cancelled());
        const std::string gathered = co_await outcome<std::vector<int>>(all);
        CHECK(gathered == "CancelledError");
    });
    CHECK(trace == Trace{"cancelled at the first await", "frame destroyed"});
}

TEST_CASE("wait_for gives the result within the timeout; past it, it cancels the awaitable and raises TimeoutError") {
    EventLoop loop;
    Trace trace;
    workbook::run(loop, [&]() -> Task<void> {
        Future<int> quick(loop);
        loop.call_soon([quick]() mutable { quick.set_result(5); });
        const int five = co_await workbook::wait_for(quick, std::chrono::microseconds(60s));
        CHECK(five == 5);
        CHECK(loop.timers() == 0);  // its timer went with the result

        Future<int> never(loop);
        Task<int> task = waiting_twice(trace, never, never, false);
        const std::string timed_out = co_await outcome(workbook::wait_for<int>(task, 1ms));
        CHECK(timed_out == "TimeoutError");
        CHECK(never.cancelled());
        const std::string inner = co_await outcome<int>(task);
        CHECK(inner == "CancelledError");

        Future<void> nap = workbook::sleep(std::chrono::microseconds(60s));
        Future<void> bounded = workbook::wait_for(nap, std::chrono::microseconds(60s));
        CHECK(bounded.cancel());  // cancels the awaitable and the timer
        CHECK(nap.cancelled());
        CHECK(loop.timers() == 0);
    });
    CHECK(trace == Trace{"cancelled at the first await", "frame destroyed"});
}
