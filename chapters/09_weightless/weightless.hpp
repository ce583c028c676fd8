// Chapter 09's parts, declared for its tests.
#pragma once

#include "workbook/counter_kinds.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstdint>

namespace workbook::chapter09 {

// The talk's `generator_counter`: yields its count so far, receives one event per send(), counts it.
// Prime it first (`workbook::prime`, the talk's `@coroutine`), so the first send() is counted.
Generator<std::uint64_t, unsigned char> generator_counter(CounterLink& link);

// Counts `book` with three primed generator_counters fed with send() by a dispatch loop: the
// talk's `weightless_test`.
LetterTypes count_weightless(Events book, CounterLink& link);
// With local counters.
inline LetterTypes count_weightless(Events book) {
    CounterLink local;
    return count_weightless(book, local);
}

}  // namespace workbook::chapter09
