// Exercise 04: a queue that batches by itself (reference solution).
//
// Chapter 04's queue hands over one message per get, and its producer packs events into messages of
// a fixed `--batch` size, chosen in advance. This queue takes the other way round: the producer puts
// single items, and a consumer takes *everything waiting* in one get, under one lock. When the
// consumer keeps up, batches are small and latency is low; when it falls behind, batches grow by
// themselves and the locking cost per item falls. And close() drains: no KILL message is needed.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace exercise04 {

template <typename T>
class BatchQueue {
public:
    // A queue holding at most `capacity` items (at least 1).
    explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {
        if (capacity == 0) throw std::invalid_argument("a BatchQueue needs a capacity of at least 1");
    }

    // Waits while the queue is full, then adds `item`. False, and `item` is dropped, once closed.
    bool put(T item) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        lock.unlock();
        not_empty_.notify_one();
        return true;
    }

    // Adds `item` if there is room and the queue is open; never waits.
    bool try_put(T item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_ || items_.size() == capacity_) return false;
            items_.push_back(std::move(item));
        }
        not_empty_.notify_one();
        return true;
    }

    // Waits while the queue is empty and open, then takes the items waiting, oldest first, at most
    // `max` of them (at least 1). An empty batch means: closed, and every item taken.
    std::vector<T> get_batch(std::size_t max) {
        std::vector<T> batch;
        bool left = false;
        {
            std::unique_lock lock(mutex_);
            not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
            const std::size_t n = std::min(items_.size(), std::max<std::size_t>(max, 1));
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(items_.front()));
                items_.pop_front();
            }
            left = !items_.empty();
        }
        // Every slot freed may let a waiting producer in; another consumer may take what is left.
        not_full_.notify_all();
        if (left) not_empty_.notify_one();
        return batch;
    }

    // Refuses every later put; consumers still take the items left, then get an empty batch.
    // Wakes every waiting producer and consumer.
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

}  // namespace exercise04
