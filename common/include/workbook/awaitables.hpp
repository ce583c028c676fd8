/// \file
/// \brief sleep(), gather() and wait_for(): asyncio's combinators, each a Future made of the
///        loop's timers and other Futures' done callbacks (CPython's `Lib/asyncio/tasks.py`).
///
/// Each returns a Future at once; none is a coroutine, so none costs a frame. Cancelling the
/// Future one returns cancels what it waits on: sleep()'s timer, gather()'s children, wait_for()'s
/// awaitable and timer. They hold what they wait on until it is done: a Future handed to gather()
/// or wait_for() must end (be set, fail, or be cancelled) for its state to be freed.
#pragma once

#include "workbook/event_loop.hpp"
#include "workbook/future.hpp"

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace workbook {

/// A Future set once `delay` has passed, on the running loop's timers (asyncio's `sleep`);
/// cancelling it cancels the timer. std::logic_error if no loop is running.
inline Future<void> sleep(std::chrono::microseconds delay) {
    EventLoop& loop = detail::running_loop();
    Future<void> done(loop);
    const EventLoop::TimerId timer = loop.call_later(delay, [done]() mutable {
        if (!done.done()) done.set_result();
    });
    done.state()->on_cancel([&loop, timer] { loop.cancel(timer); });
    return done;
}

/// A Future of every child's result, in the children's order, once all are done (asyncio's
/// `gather`); or, as soon as one fails, that child's exception (a cancelled child counts as one
/// that raised CancelledError). The others go on; their later exceptions are retrieved, so never
/// reported. Cancelling the gathered Future cancels every child not done. No children: done at
/// once with none (on the running loop).
template <typename T>
    requires(!std::is_void_v<T>)
Future<std::vector<T>> gather(std::vector<Future<T>> children) {
    Future<std::vector<T>> outer(children.empty() ? detail::running_loop() : children.front().loop());
    if (children.empty()) {
        outer.set_result({});
        return outer;
    }
    struct Join {
        Future<std::vector<T>> outer;
        std::vector<Future<T>> children;
        std::vector<std::optional<T>> results;
        std::size_t left;
    };
    const std::size_t count = children.size();
    auto join = std::make_shared<Join>(Join{outer, std::move(children), std::vector<std::optional<T>>(count), count});
    for (std::size_t i = 0; i < count; ++i) {
        join->children[i].add_done_callback([join, i] {
            Join& j = *join;
            Future<T>& child = j.children[i];
            if (j.outer.done()) {  // failed or cancelled already: consume this one's exception
                if (!child.cancelled()) (void)child.exception();
                return;
            }
            if (child.cancelled()) return j.outer.set_exception(std::make_exception_ptr(CancelledError()));
            if (std::exception_ptr error = child.exception()) return j.outer.set_exception(std::move(error));
            j.results[i].emplace(child.result());
            if (--j.left > 0) return;
            std::vector<T> all;
            all.reserve(j.results.size());
            for (std::optional<T>& result : j.results) all.push_back(std::move(*result));
            j.outer.set_result(std::move(all));
        });
    }
    outer.state()->on_cancel([weak = std::weak_ptr<Join>(join)] {
        if (auto j = weak.lock())
            for (Future<T>& child : j->children) child.cancel();
    });
    return outer;
}

/// A Future of `inner`'s result if it is done within `timeout` (asyncio's `wait_for`); else
/// `inner` is cancelled and the Future fails with TimeoutError. Cancelling the Future cancels
/// `inner` and the timer.
template <typename T>
Future<T> wait_for(Future<T> inner, std::chrono::microseconds timeout) {
    EventLoop& loop = inner.loop();
    Future<T> outer(loop);
    struct Race {
        Future<T> outer, inner;
        EventLoop::TimerId timer = 0;
    };
    auto race = std::make_shared<Race>(Race{outer, inner});
    race->timer = loop.call_later(timeout, [race, timeout] {
        if (race->outer.done()) return;
        race->inner.cancel();
        race->outer.set_exception(std::make_exception_ptr(
            TimeoutError("not done within " + std::to_string(timeout.count()) + " microseconds")));
    });
    inner.add_done_callback([race, &loop] {
        loop.cancel(race->timer);
        Race& r = *race;
        if (r.outer.done()) {  // timed out or cancelled: consume what the inner ended with
            if (!r.inner.cancelled()) (void)r.inner.exception();
            return;
        }
        if (r.inner.cancelled()) {
            r.outer.cancel();
        } else if (std::exception_ptr error = r.inner.exception()) {
            r.outer.set_exception(std::move(error));
        } else if constexpr (std::is_void_v<T>) {
            r.outer.set_result();
        } else {
            r.outer.set_result(r.inner.result());
        }
    });
    outer.state()->on_cancel([weak = std::weak_ptr<Race>(race), &loop] {
        if (auto r = weak.lock()) {
            loop.cancel(r->timer);
            r->inner.cancel();
        }
    });
    return outer;
}

}  // namespace workbook
