// Exercise 05: an EMPTY signal, and generators that drive generators.
//
// Chapter 05's feed counter yields its count unchanged when its queue is empty, so its caller pulls
// a fixed number of times (islice) and cannot tell "nothing new" from "new events". The talk: "One
// might also [...] return a special EMPTY signal instead of count". With the signal, a second
// generator can drain exactly what is queued, and a third can bound any generator like islice.
#pragma once

#include "todo.hpp"
#include "workbook/generator.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <variant>

namespace exercise05 {

using workbook::Generator;

// What a queue carries: an event (a byte, 0-255) or KILL.
using Item = int;
inline constexpr Item KILL = -1;

// What the feed counter yields: EMPTY when its queue is empty, or the running count.
struct Empty {
    friend bool operator==(Empty, Empty) = default;
};
inline constexpr Empty EMPTY{};
using Signal = std::variant<Empty, std::uint64_t>;

// The talk's feed_counter with the EMPTY signal: each resume takes one item from `queue` and yields
// the running count, or EMPTY when the queue is empty; it ends at KILL, taking nothing after it.
// `queue` must outlive the generator.
inline Generator<Signal> feed_counter(std::deque<Item>& queue) {
    // TODO: chapter 05's feed_counter (a coroutine: co_yield), yielding EMPTY on an empty queue.
    exercises::todo("exercise 05: feed_counter() must yield counts, EMPTY on an empty queue, and end at KILL", queue);
}

// Yields the counts `fc` yields until it yields EMPTY or finishes: drains exactly what is queued,
// however much that is. `fc` must outlive this generator.
inline Generator<std::uint64_t> until_empty(Generator<Signal>& fc) {
    // TODO: a coroutine that pulls fc.next() once per value it yields.
    exercises::todo("exercise 05: until_empty() must yield fc's counts up to its first EMPTY", fc);
}

// Yields at most `n` values of `source`, and never resumes it an n+1-th time (Python's
// islice(source, 0, n)), so `source` goes on where take() stopped. `source` must outlive it.
template <typename Y>
Generator<Y> take(Generator<Y>& source, std::size_t n) {
    // TODO: a coroutine that yields source's values, n at most.
    exercises::todo("exercise 05: take() must yield at most n values of source", source, n);
}

}  // namespace exercise05
