// Exercise 04: a queue that batches by itself.
//
// Chapter 04's queue hands over one message per get, and its producer packs events into messages of
// a fixed `--batch` size, chosen in advance. This queue takes the other way round: the producer puts
// single items, and a consumer takes *everything waiting* in one get, under one lock. And close()
// drains: no KILL message is needed.
#pragma once

#include "todo.hpp"

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
    // A queue holding at most `capacity` items (at least 1: std::invalid_argument otherwise).
    explicit BatchQueue(std::size_t capacity) {
        // TODO: keep the capacity; refuse 0.
        exercises::todo("exercise 04: BatchQueue(capacity) must keep its capacity (then put, get_batch, close)", capacity);
    }

    // Waits while the queue is full, then adds `item`. False, and `item` is dropped, once closed.
    bool put(T item) {
        // TODO: wait on a condition variable until there is room or the queue is closed.
        exercises::todo("exercise 04: BatchQueue::put()", item);
    }

    // Adds `item` if there is room and the queue is open; never waits.
    bool try_put(T item) {
        // TODO
        exercises::todo("exercise 04: BatchQueue::try_put()", item);
    }

    // Waits while the queue is empty and open, then takes the items waiting, oldest first, at most
    // `max` of them (at least 1). An empty batch means: closed, and every item taken.
    std::vector<T> get_batch(std::size_t max) {
        // TODO: one lock for the whole batch; then wake the producers waiting for room.
        exercises::todo("exercise 04: BatchQueue::get_batch()", max);
    }

    // Refuses every later put; consumers still take the items left, then get an empty batch.
    // Wakes every waiting producer and consumer.
    void close() {
        // TODO
        exercises::todo("exercise 04: BatchQueue::close()");
    }

private:
    // TODO: what the queue needs: a mutex, condition variables, the items, the capacity, a flag.
};

}  // namespace exercise04
