// Chapter 05's queue, the talk's `Queue()`: it adds to the step a queue that never blocks.
#pragma once

#include <cstddef>
#include <vector>

namespace workbook::chapter05 {

// What a queue carries: an event (a byte, 0-255) or KILL, the talk's sentinel value.
using Item = int;
inline constexpr Item KILL = -1;

// The queue a feed counter drains: first in, first out, with a fixed capacity. Unlike the talk's
// multiprocessing Queue it never blocks (a generator must not) and never allocates after it is made.
class EventQueue {
public:
    explicit EventQueue(std::size_t capacity);
    bool empty() const noexcept { return size_ == 0; }
    bool full() const noexcept { return size_ == items_.size(); }
    std::size_t size() const noexcept { return size_; }
    // Adds `item` at the back; std::length_error when the queue is full (the caller forgot to flush).
    void put(Item item) {
        if (full()) [[unlikely]] refuse_put();
        std::size_t slot = head_ + size_;
        if (slot >= items_.size()) slot -= items_.size();
        items_[slot] = item;
        ++size_;
    }
    // Takes the item at the front; std::out_of_range when the queue is empty.
    Item get() {
        if (empty()) [[unlikely]] refuse_get();
        Item item = items_[head_];
        if (++head_ == items_.size()) head_ = 0;
        --size_;
        return item;
    }

private:
    [[noreturn]] static void refuse_put();
    [[noreturn]] static void refuse_get();

    std::vector<Item> items_;
    std::size_t head_ = 0;  // the front item's slot
    std::size_t size_ = 0;
};

}  // namespace workbook::chapter05
