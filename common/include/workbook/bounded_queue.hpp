/// \file
/// \brief workbook::BoundedQueue: the talk's `Queue()`, a mutex and two condition variables, for
/// chapter 04's worker threads and for the queue of exercise 04 that batches by itself.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace workbook {

//! [bounded_queue]
/// A blocking queue of at most a given number of items. Unlike Python's queue it is bounded: a
/// producer faster than its consumer waits instead of piling the whole book up in memory, as a
/// writer waits on a full pipe. How a consumer takes items is its user's choice (take()): one per
/// get, or all that wait under one lock. close() wakes everyone and fails every later put.
template <typename T>
class BoundedQueue {
public:
    /// A queue holding at most `capacity` items; std::invalid_argument if `capacity` is 0.
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {
        if (capacity == 0) throw std::invalid_argument("a queue needs a capacity of at least 1");
    }

    /// Waits while the queue is full, then adds `item`. False, and `item` is dropped, once closed.
    bool put(T item) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        lock.unlock();
        not_empty_.notify_one();
        return true;
    }

    /// Adds `item` if there is room and the queue is open; never waits.
    bool try_put(T item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_ || items_.size() == capacity_) return false;
            items_.push_back(std::move(item));
        }
        not_empty_.notify_one();
        return true;
    }

    /// Waits while the queue is empty and open, then returns `take(items, closed)`, called under the
    /// lock: it takes from the front of `items` (a `std::deque<T>&`) what it wants. Then wakes whoever
    /// may go on: one producer per freed slot, and another consumer if items are left.
    template <typename Take>
    auto take(Take take) {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        const std::size_t before = items_.size();
        auto taken = take(items_, closed_);
        const std::size_t freed = before - items_.size();
        const bool left = !items_.empty();
        lock.unlock();
        if (freed == 1) not_full_.notify_one();
        if (freed > 1) not_full_.notify_all();
        if (freed > 0 && left) not_empty_.notify_one();
        return taken;
    }

    /// Refuses every later put and wakes every waiting producer and consumer.
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        not_full_.notify_all();
        not_empty_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable not_full_, not_empty_;
    std::deque<T> items_;
    std::size_t capacity_;
    bool closed_ = false;
};
//! [bounded_queue]

}  // namespace workbook
