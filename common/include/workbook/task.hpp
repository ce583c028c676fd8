/// \file
/// \brief Task, asyncio's `Task`: a C++20 coroutine driven by the EventLoop, one step per loop
///        callback, suspended at each `co_await` of a Future until it is done (`Task.__step`,
///        `Task.__wakeup`); and run(), asyncio's `run()`.
///
/// A function returning `Task<T>` is a coroutine (PEP 492's `async def`); calling it makes its
/// frame, suspended, and queues its first step on the running loop (`asyncio.create_task`). The
/// rules, from CPython's `Lib/asyncio/tasks.py`:
///
/// - Each step resumes the coroutine until its next `co_await` of a pending Future; the task
///   hands itself to that Future (asyncio's `add_done_callback(self.__wakeup)`), and the Future's
///   done callback queues the next step. What the coroutine returns is the task's result, what
///   escapes it the task's exception: a Task is a Future (it derives from Future<T>), so whoever
///   awaits it gets either.
/// - cancel() delivers a CancelledError at the task's current `co_await`: it cancels the Future
///   the task waits on, or, when there is none (the task runs, or its Future is done but the task
///   not yet resumed), raises CancelledError in the task at its next step (`_must_cancel`). A task
///   cancelled before its first step never runs. The task can catch it and go on; if it lets it
///   out, the task ends cancelled.
///
/// **Ownership (C++: no collector).** The Task object owns the coroutine frame, and only it: the
/// loop and the Futures the task waits on hold it weakly. The frame is freed as soon as the
/// coroutine ends (its result stays in the state), or when the Task is destroyed: a pending Task
/// destroyed has its frame destroyed at once (its locals' destructors run, the Future it waited on
/// is let go) and ends cancelled, so whatever awaits it is not left waiting. Copies as a Future<T>
/// (`Future<int> view = task;`) share the result, not the frame. A task must not destroy its own
/// Task, and Tasks must go before their loop.
///
/// Every rule, with where it comes from in asyncio and the test that proves it: \ref promises.
#pragma once

#include "workbook/event_loop.hpp"
#include "workbook/future.hpp"

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace workbook {

/// \cond detail
namespace detail {

template <typename T>
class TaskPromise;

template <typename T>
struct PromiseValue {
    std::optional<Stored<T>> value;
    void return_value(T result) { value.emplace(std::move(result)); }
};
template <>
struct PromiseValue<void> {
    std::optional<std::monostate> value;
    void return_void() { value.emplace(); }
};

// A task's shared state: its Future's, plus the frame, the Future it waits on (`_fut_waiter`)
// and `_must_cancel`.
template <typename T>
class TaskState final : public FutureState<T>, public Awaiting {
public:
    using Frame = std::coroutine_handle<TaskPromise<T>>;
    TaskState(EventLoop& loop, Frame frame) : FutureState<T>(loop), frame_(frame) { this->kind_ = "Task"; }

    void schedule_step() {
        this->loop().call_soon([weak = weak_self()] {
            if (auto self = weak.lock()) self->step();
        });
    }

    // Future.__await__'s yield, seen by the task: wake me when this Future is done.
    void wait_on(std::shared_ptr<FutureCore> future) override {
        waiter_ = std::move(future);
        waiter_->add_done_callback([weak = weak_self(), waited = waiter_.get()] {
            if (auto self = weak.lock(); self && self->waiter_.get() == waited) self->step();
        });
        if (must_cancel_ && waiter_->cancel()) must_cancel_ = false;  // cancelled while it ran
    }

    // Task.cancel(): the Future it waits on, or a CancelledError at its next step.
    bool cancel() override {
        if (this->done()) return false;
        if (waiter_ && waiter_->cancel()) return true;
        must_cancel_ = true;
        return true;
    }

    // Task.__step: one resume of the coroutine.
    void step() {
        if (!frame_ || this->done()) return;
        waiter_.reset();
        if (must_cancel_) {
            must_cancel_ = false;
            if (!started_) {  // never ran: nothing to throw into, nothing to unwind
                abandon();
                return;
            }
            thrown_in = std::make_exception_ptr(CancelledError());
        }
        started_ = true;
        const std::shared_ptr<FutureCore> keep = this->shared_from_this();
        frame_.resume();
        if (frame_.done()) complete();
    }

    // The Task is destroyed, or cancelled before it ran: free the frame; a pending task ends
    // cancelled.
    void abandon() noexcept {
        if (!frame_) return;
        std::exchange(frame_, nullptr).destroy();
        waiter_.reset();
        if (!this->done()) this->finish_cancelled();
    }

private:
    std::weak_ptr<TaskState> weak_self() { return std::static_pointer_cast<TaskState>(this->shared_from_this()); }

    void complete() {
        TaskPromise<T>& promise = frame_.promise();
        std::exception_ptr error = std::move(promise.error);
        std::optional<Stored<T>> value = std::move(promise.value);
        std::exchange(frame_, nullptr).destroy();  // the frame goes as soon as the coroutine ends
        if (!error) this->set_result(std::move(*value));
        else if (is_cancellation(error)) this->finish_cancelled();
        else this->set_exception(std::move(error));
    }

    Frame frame_;
    std::shared_ptr<FutureCore> waiter_;
    bool must_cancel_ = false, started_ = false;
};

template <typename T>
class TaskPromise : public PromiseValue<T> {
public:
    Task<T> get_return_object();
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
    Awaiting& awaiting() noexcept { return *state; }

    std::exception_ptr error;
    TaskState<T>* state = nullptr;  // lives as long as the frame: the Task owns both
};

}  // namespace detail
/// \endcond

/// A coroutine run by the EventLoop (asyncio's `Task`): the result of a function that returns
/// `Task<T>` and `co_await`s Futures, Tasks, sleep(), gather(), wait_for(). Move-only: it owns the
/// coroutine's frame; it is also a Future<T> of what the coroutine returns.
///
/// \code
/// workbook::EventLoop loop;
/// const int answer = workbook::run(loop, []() -> workbook::Task<int> {
///     co_await workbook::sleep(std::chrono::microseconds(100));  // the loop runs other tasks meanwhile
///     co_return 42;
/// });
/// std::printf("%d\n", answer);  // 42
/// \endcode
template <typename T>
class [[nodiscard]] Task : public Future<T> {
public:
    using promise_type = detail::TaskPromise<T>;  ///< makes a function returning Task a coroutine

    Task(Task&& other) noexcept = default;  ///< takes the frame over
    /// Destroys its own frame first (see the file's note on ownership), then takes `other`'s.
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            abandon();
            this->state_ = std::move(other.state_);
        }
        return *this;
    }
    /// A pending task's frame is destroyed at once and the task ends cancelled.
    ~Task() { abandon(); }

private:
    friend promise_type;
    explicit Task(std::shared_ptr<detail::TaskState<T>> state) noexcept : Future<T>(std::move(state)) {}
    void abandon() noexcept {
        if (this->state_) static_cast<detail::TaskState<T>&>(*this->state_).abandon();
    }
};

/// \cond detail
template <typename T>
Task<T> detail::TaskPromise<T>::get_return_object() {
    auto made = std::make_shared<TaskState<T>>(running_loop(), TaskState<T>::Frame::from_promise(*this));
    state = made.get();
    made->schedule_step();
    return Task<T>(std::move(made));
}
/// \endcond

/// asyncio's `run()`: makes the task `make()` returns in the loop's first turn, runs the loop
/// until that task is done, and returns its result or rethrows its exception. What the task left
/// behind (other tasks, callbacks) stays with the loop. Throws std::logic_error if the loop ran
/// out of work (or was stopped) while the task still waited: nothing could ever wake it.
template <typename Make>
auto run(EventLoop& loop, Make&& make) {
    using Made = std::invoke_result_t<Make&>;
    std::optional<Made> task;
    loop.call_soon([&] {
        task.emplace(make());
        task->add_done_callback([&loop] { loop.stop(); });
    });
    loop.run();
    if (!task || !task->done())
        throw std::logic_error("workbook::run: the loop stopped while the task still waited on something nothing will set");
    return task->result();
}

}  // namespace workbook
