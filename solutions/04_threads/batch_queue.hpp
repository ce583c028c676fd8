// Exercise 04: a queue that batches by itself (reference solution).
//
// Chapter 04's queue hands over one message per get, and its producer packs events into messages of
// a fixed `--batch` size, chosen in advance. This queue takes the other way round: the producer puts
// single items, and a consumer takes *everything waiting* in one get, under one lock. When the
// consumer keeps up, batches are small and latency is low; when it falls behind, batches grow by
// themselves and the locking cost per item falls. And close() drains: no KILL message is needed.
//
// The mutex, the two condition variables and who is woken when are chapter 04's queue,
// workbook::BoundedQueue (common/include/workbook/bounded_queue.hpp); what is this exercise's own
// is how a consumer takes: a whole batch under one lock, and the items left after a close.
#pragma once

#include "workbook/bounded_queue.hpp"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

namespace exercise04 {

template <typename T>
class BatchQueue {
public:
    // A queue holding at most `capacity` items (at least 1: std::invalid_argument otherwise).
    explicit BatchQueue(std::size_t capacity) : queue_(capacity) {}

    // Waits while the queue is full, then adds `item`. False, and `item` is dropped, once closed.
    bool put(T item) { return queue_.put(std::move(item)); }

    // Adds `item` if there is room and the queue is open; never waits.
    bool try_put(T item) { return queue_.try_put(std::move(item)); }

    // Waits while the queue is empty and open, then takes the items waiting, oldest first, at most
    // `max` of them (at least 1). An empty batch means: closed, and every item taken. The queue
    // wakes every producer a batch made room for, and another consumer if items are left.
    std::vector<T> get_batch(std::size_t max) {
        return queue_.take([max](std::deque<T>& items, bool /*closed: drain all the same*/) {
            const std::size_t n = std::min(items.size(), std::max<std::size_t>(max, 1));
            std::vector<T> batch;
            batch.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                batch.push_back(std::move(items.front()));
                items.pop_front();
            }
            return batch;
        });
    }

    // Refuses every later put; consumers still take the items left, then get an empty batch.
    // Wakes every waiting producer and consumer.
    void close() { queue_.close(); }

private:
    workbook::BoundedQueue<T> queue_;
};

}  // namespace exercise04
