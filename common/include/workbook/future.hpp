/// \file
/// \brief Future, asyncio's `Future`: a result that is not there yet, set once, whose done
///        callbacks the loop runs, and which a Task can `co_await` (`Future.__await__`).
///
/// asyncio's rules, from CPython's `Lib/asyncio/futures.py`, carried over:
///
/// - A Future is pending until set_result(), set_exception() or cancel(); then it is done, for
///   good: setting it again is an InvalidStateError, and cancel() returns false.
/// - Its done callbacks are never called from inside the call that finished it: each is queued
///   on the loop (`call_soon`, as `_schedule_callbacks` does), in the order they were added; one
///   added once it is done is queued at once.
/// - result() rethrows the exception it was set with, or a CancelledError if it was cancelled;
///   before it is done it is an InvalidStateError.
/// - `co_await future` inside a Task: if the Future is done the task goes on at once (with no turn
///   of the loop); otherwise the task is suspended, and resumed in the loop turn after it is done,
///   with result() as the value of the `co_await` (or its exception raised there). Only a Task
///   can await a Future: the task is what the loop resumes.
/// - An exception nobody retrieved (by result(), exception(), an await, or a combinator) is
///   reported when the last handle goes, in one line on stderr (`Future exception was never
///   retrieved: WHAT`, asyncio logs the same); a destructor never throws. Cancelling is not an
///   error and is never reported.
///
/// Copies of a Future are handles on one shared state (Python's references). A Future belongs to
/// its loop's thread. Its cost: one allocation for the state, and a `std::function` and a loop
/// callback per done callback.
///
/// Every rule, with where it comes from in asyncio and the test that proves it: \ref promises.
#pragma once

#include "workbook/event_loop.hpp"
#include "workbook/future_error.hpp"

#include <coroutine>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace workbook {

template <typename T>
class Future;
template <typename T>
class Task;

/// \cond detail
namespace detail {

// The loop a Future or Task is made on when none is named: the one whose run() is running.
inline EventLoop& running_loop() {
    EventLoop* loop = EventLoop::running();
    if (loop == nullptr) throw std::logic_error("no running workbook::EventLoop (make Futures and Tasks from inside run())");
    return *loop;
}

inline std::string what_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception of unknown type";
    }
}

inline bool is_cancellation(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}

// The untyped half of a Future's state: done or not, the exception, the callbacks.
class FutureCore : public std::enable_shared_from_this<FutureCore> {
public:
    explicit FutureCore(EventLoop& loop) : loop_(&loop) {}
    FutureCore(const FutureCore&) = delete;
    FutureCore& operator=(const FutureCore&) = delete;
    virtual ~FutureCore() {
        if (error_ && !retrieved_ && !cancelled_ && !is_cancellation(error_))
            std::fprintf(stderr, "%s exception was never retrieved: %s\n", kind_, what_of(error_).c_str());
    }

    EventLoop& loop() const noexcept { return *loop_; }
    bool done() const noexcept { return done_; }
    bool cancelled() const noexcept { return cancelled_; }

    // asyncio's Future.cancel(); a Task's state overrides it (Task.cancel()).
    virtual bool cancel() {
        if (done_) return false;
        finish_cancelled();
        return true;
    }
    void set_exception(std::exception_ptr error) {
        require_pending("set_exception");
        error_ = std::move(error);
        finish();
    }
    void add_done_callback(std::function<void()> callback) {
        if (done_) loop_->call_soon(std::move(callback));
        else callbacks_.push_back(std::move(callback));
    }
    // Called once, at once, if this Future is cancelled: a combinator's Future cancels what it
    // waits on.
    void on_cancel(std::function<void()> hook) { on_cancel_ = std::move(hook); }

    // The exception (null if it has a result); a CancelledError if it was cancelled.
    std::exception_ptr exception() {
        require_done("exception");
        retrieved_ = true;
        if (cancelled_) throw CancelledError();
        return error_;
    }
    void rethrow_if_failed() {
        if (std::exception_ptr error = exception()) std::rethrow_exception(error);
    }
    void mark_retrieved() noexcept { retrieved_ = true; }

protected:
    const char* kind_ = "Future";  // what the report calls it (a destructor cannot ask a virtual)
    void require_pending(const char* what) const {
        if (done_) throw InvalidStateError(std::string(what) + "() on a Future that is done");
    }
    void require_done(const char* what) const {
        if (!done_) throw InvalidStateError(std::string(what) + "() on a Future that is not done");
    }
    void finish_cancelled() {
        std::function<void()> hook = std::exchange(on_cancel_, nullptr);
        cancelled_ = true;
        error_ = std::make_exception_ptr(CancelledError());
        finish();
        if (hook) hook();
    }
    // asyncio's __schedule_callbacks: every callback goes to the loop, none runs here.
    void finish() {
        done_ = true;
        on_cancel_ = nullptr;
        for (std::function<void()>& callback : callbacks_) loop_->call_soon(std::move(callback));
        callbacks_.clear();
    }

private:
    EventLoop* loop_;
    std::exception_ptr error_;
    std::vector<std::function<void()>> callbacks_;
    std::function<void()> on_cancel_;
    bool done_ = false, cancelled_ = false, retrieved_ = false;
};

template <typename T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The typed half: the result.
template <typename T>
class FutureState : public FutureCore {
public:
    using FutureCore::FutureCore;
    void set_result(Stored<T> value) {
        require_pending("set_result");
        value_.emplace(std::move(value));
        finish();
    }
    const Stored<T>& result() {
        require_done("result");
        rethrow_if_failed();
        return *value_;
    }

private:
    std::optional<Stored<T>> value_;
};

// What a task's promise offers the Futures it awaits: asyncio's Task, seen from the `yield` of
// `Future.__await__`: wait on this Future, and the exception cancel() throws in at the await.
class Awaiting {
public:
    virtual void wait_on(std::shared_ptr<FutureCore> future) = 0;
    std::exception_ptr thrown_in;  // set by the task's step, raised by the await it resumes

protected:
    ~Awaiting() = default;
};

}  // namespace detail
/// \endcond

/// A result that is not there yet (asyncio's `Future`): set once by set_result(),
/// set_exception() or cancel(); its done callbacks run from the loop; a Task `co_await`s it.
///
/// \code
/// workbook::EventLoop loop;
/// workbook::Future<int> answer(loop);
/// answer.add_done_callback([answer]() mutable { std::printf("%d\n", answer.result()); });
/// loop.call_later(std::chrono::microseconds(100), [answer]() mutable { answer.set_result(42); });
/// loop.run();  // prints 42 once the timer set it
/// \endcode
template <typename T>
class Future {
public:
    /// A pending Future on `loop` (asyncio's `loop.create_future()`).
    explicit Future(EventLoop& loop) : state_(std::make_shared<detail::FutureState<T>>(loop)) {}
    /// A pending Future on the running loop; std::logic_error if no loop is running.
    Future() : Future(detail::running_loop()) {}

    bool done() const noexcept { return state_->done(); }            ///< set, failed or cancelled
    bool cancelled() const noexcept { return state_->cancelled(); }  ///< cancel() succeeded
    EventLoop& loop() const noexcept { return state_->loop(); }      ///< where its callbacks run

    /// Sets the result and queues the done callbacks; InvalidStateError if it is done.
    void set_result(detail::Stored<T> value) requires(!std::is_void_v<T>) { state_->set_result(std::move(value)); }
    /// Sets a Future<void>'s result; InvalidStateError if it is done.
    void set_result() requires std::is_void_v<T> { state_->set_result({}); }
    /// Fails it and queues the done callbacks; InvalidStateError if it is done.
    void set_exception(std::exception_ptr error) { state_->set_exception(std::move(error)); }
    /// Cancels it if pending (for a Task: see Task); true if it was. A combinator's Future
    /// (gather(), wait_for(), sleep()) also cancels what it waits on.
    bool cancel() { return state_->cancel(); }

    /// The result; rethrows its exception, or CancelledError; InvalidStateError if pending.
    T result() const {
        if constexpr (std::is_void_v<T>) {
            (void)state_->result();
        } else {
            return state_->result();
        }
    }
    /// Its exception, null if it has a result; throws CancelledError if it was cancelled and
    /// InvalidStateError if pending. Retrieving it means it is not reported.
    std::exception_ptr exception() const { return state_->exception(); }
    /// Queues `callback` on the loop once it is done (at once if it is).
    void add_done_callback(std::function<void()> callback) { state_->add_done_callback(std::move(callback)); }

    /// \cond detail
    // Future.__await__: done, go on; else hand this Future to the awaiting task and yield.
    struct Awaiter {
        std::shared_ptr<detail::FutureState<T>> state;
        detail::Awaiting* task = nullptr;
        bool await_ready() const noexcept { return state->done(); }
        template <typename Promise>
        void await_suspend(std::coroutine_handle<Promise> awaiting) {
            task = &awaiting.promise().awaiting();
            task->wait_on(state);
        }
        T await_resume() {
            if (task != nullptr) {
                if (std::exception_ptr error = std::exchange(task->thrown_in, nullptr)) {
                    state->mark_retrieved();  // asyncio's __wakeup retrieved it before the throw
                    std::rethrow_exception(error);
                }
            }
            if constexpr (std::is_void_v<T>) {
                (void)state->result();
            } else {
                return state->result();
            }
        }
    };
    Awaiter operator co_await() const noexcept { return Awaiter{state_}; }
    std::shared_ptr<detail::FutureState<T>> state() const noexcept { return state_; }
    explicit Future(std::shared_ptr<detail::FutureState<T>> state) noexcept : state_(std::move(state)) {}
    /// \endcond

protected:
    std::shared_ptr<detail::FutureState<T>> state_;  ///< the shared state, the result and the callbacks
};

}  // namespace workbook
