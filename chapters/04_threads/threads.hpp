// Chapter 04's interface, for its program and its tests.
#pragma once

#include "workbook/bounded_queue.hpp"
#include "workbook/chapter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace workbook::chapter04 {

//! [blocking_queue]
// The talk's `Queue()`: workbook::BoundedQueue, a mutex and two condition variables, handing over
// one message per get. `close()` wakes everyone and fails every later put and get: a consumer that
// failed closes its queue so that its producer never waits for it in vain.
template <typename T>
class BlockingQueue {
public:
    explicit BlockingQueue(std::size_t capacity) : queue_(capacity) {}

    // Blocks while the queue is full. False if the queue is closed (the item is dropped).
    bool put(T item) { return queue_.put(std::move(item)); }

    // Blocks while the queue is empty. Nothing once the queue is closed.
    std::optional<T> get() {
        return queue_.take([](std::deque<T>& items, bool closed) -> std::optional<T> {
            if (closed) return std::nullopt;
            T item = std::move(items.front());
            items.pop_front();
            return item;
        });
    }

    void close() { queue_.close(); }

private:
    BoundedQueue<T> queue_;
};
//! [blocking_queue]

//! [message]
// What a worker's queue carries: a batch of events, or KILL. Any byte value is an event, so KILL is
// not a byte but a message of its own kind.
struct Message {
    std::vector<unsigned char> events;
    bool kill = false;
};
//! [message]

// Test hooks. `before_start` may throw as a failed thread start would (std::system_error), and
// `on_message`, called by a worker for each message it takes, as a failing counter would. `on_end`,
// called by a worker thread as the last act of its function however it ended, must not throw: it
// shows a test that a thread's function returned.
struct ThreadHooks {
    std::function<void(std::string_view worker)> before_start{};
    std::function<void(std::string_view worker, const Message&)> on_message{};
    std::function<void(std::string_view worker)> on_end{};
};

// Messages a queue holds before its producer waits. Enough for the producer to run ahead of a
// worker that was descheduled, few enough that a queue never holds a large part of the book.
inline constexpr std::size_t queue_capacity = 1024;

// The talk's `ThreadTuple(queue, thread, counter)`: a worker thread running FeedCounter, fed through
// its own queue, counting into an atomic. `put` queues events; every `batch` events make one
// message. With `counters`, the worker thread makes its own link and calls it once per event. An
// exception in the worker (a failed counter call too) ends it, closes its queue and is rethrown by `join` as a
// ChapterError. The destructor closes the queue and joins: no thread is ever left running or detached.
class ThreadTuple {
public:
    // Starts the worker; throws ChapterError.
    ThreadTuple(std::string_view name, std::size_t batch, const ThreadHooks& hooks, const CounterBackend* counters = nullptr);
    ~ThreadTuple();
    ThreadTuple(const ThreadTuple&) = delete;
    ThreadTuple& operator=(const ThreadTuple&) = delete;

    // `queue.put(c)`: one event, sent when the message is full.
    void put(unsigned char event) {
        pending_.push_back(event);
        if (pending_.size() == batch_) flush();
    }
    void flush();     // sends the events put so far, if any
    void put_kill();  // `queue.put(KILL)`, after the events put so far
    void join();      // `thread.join()`; throws ChapterError if the worker failed

    std::uint64_t count() const noexcept { return count_.load(); }

private:
    void run() noexcept;
    [[noreturn]] void rethrow_failure();  // failures.cpp, as are failed() and the destructor
    [[noreturn]] void failed();

    std::string_view name_;
    std::size_t batch_;
    const ThreadHooks& hooks_;
    const CounterBackend* counters_;  // null: local counters, no work
    BlockingQueue<Message> queue_;
    std::atomic<std::uint64_t> count_{0};  // the talk's Value('i', 0)
    std::exception_ptr failure_;           // what ended the worker, set before it closes its queue
    std::vector<unsigned char> pending_;
    std::jthread thread_;  // last: it starts once all the above exists, and is joined first
};

struct ThreadOptions {
    std::size_t batch = 1;         // events per message
    Progress* progress = nullptr;  // told how many events were sent, now and then
    const CounterBackend* counters = nullptr;  // `--counter`: each worker calls it once per event
    ThreadHooks hooks{};
};

// The talk's `thread_test`: three worker threads, one per class of event, each fed through its own
// queue until KILL. Throws ChapterError when a thread cannot start or a worker fails, naming it.
LetterTypes count_with_worker_threads(Events book, const ThreadOptions& options);

}  // namespace workbook::chapter04
