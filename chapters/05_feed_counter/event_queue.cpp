// Chapter 05's queue: what it refuses, kept out of put() and get() so they stay small.
#include "event_queue.hpp"

#include <stdexcept>

namespace workbook::chapter05 {

EventQueue::EventQueue(std::size_t capacity) : items_(capacity) {}

void EventQueue::refuse_put() { throw std::length_error("EventQueue::put: the queue is full"); }
void EventQueue::refuse_get() { throw std::out_of_range("EventQueue::get: the queue is empty"); }

}  // namespace workbook::chapter05
