// Chapter 05's parts, declared for its tests.
#pragma once

#include "event_queue.hpp"

#include "workbook/counter_kinds.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstddef>
#include <cstdint>

namespace workbook::chapter05 {

// The talk's `feed_counter(queue)`: each resume takes one item from `queue` and yields the running
// count; on an empty queue it yields the count unchanged; it ends on KILL. It never ends otherwise,
// so pull from it a bounded number of times. `queue` must outlive the generator.
Generator<std::uint64_t> feed_counter(EventQueue& queue, CounterLink& link);

// The talk's `for cnt in islice(fc, 0, n)`: resumes `fc` at most `n` times and returns the last
// count it yielded, or `count` if it yielded none (it had finished).
std::uint64_t pull_counts(Generator<std::uint64_t>& fc, std::size_t n, std::uint64_t count);

// Counts `book` with three feed counters, flushing a queue (n pulls) whenever it holds n events.
LetterTypes count_with_feed_counters(Events book, std::size_t flush_size, CounterLink& link);
// With local counters.
inline LetterTypes count_with_feed_counters(Events book, std::size_t flush_size) {
    CounterLink local;
    return count_with_feed_counters(book, flush_size, local);
}

}  // namespace workbook::chapter05
