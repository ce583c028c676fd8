// Chapter 10's parts, declared for its tests.
#pragma once

#include "workbook/counter_kinds.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstdint>
#include <ostream>
#include <utility>

namespace workbook::chapter10 {

// The talk's `pairs()` refactoring, over iter1 = (1, 2, 3) and iter2 = ('a', 'b').
using Pair = std::pair<int, char>;
Generator<Pair> pairs_nested();  // before: the inner loop written inside pairs()
Generator<Pair> subloop(int i);  // after: the inner loop moved into a subgenerator...
Generator<Pair> pairs();         // ...which pairs() delegates to with yield_from

// Prints the pairs of both versions, one line each: the same six pairs.
void demonstrate(std::ostream& out);

// What the counting generators receive: an event (a byte, 0-255) or KILL, the end of the book.
using Item = int;
inline constexpr Item KILL = -1;

// Every counting generator yields a running count (of its line, of its run) and receives items.
template <typename Return>
using Counting = Generator<std::uint64_t, Item, Return>;

// What a line counter returns: the line's counts, and whether KILL (not '\n') ended it.
struct Line {
    LetterTypes counts;
    bool book_ended;
};

// Counts one line, its '\n' included: yields the line's count so far, receives the next item.
Counting<Line> line_counter();
// Delegates each line to a new line_counter and returns the totals once KILL arrives.
Counting<LetterTypes> book_counter();

// Variant runs (runs.cpp). What a run counter returns: the length of its run, and the item that
// ended it.
struct Run {
    std::uint64_t count;
    Item next;
};

// Counts one run of events of class `letter`, the event that started it included: yields the count
// so far, receives the next item, and returns when the class changes or KILL arrives.
Counting<Run> run_counter(Letter letter);
// Delegates each run of same-class events to a new run_counter; returns the totals on KILL.
Counting<LetterTypes> dispatcher();

// Variant deep (deep.cpp): `counter` under `depth` more levels of delegation, each passing
// everything through.
Counting<LetterTypes> nested(int depth, Counting<LetterTypes> counter);

// Primes `counter`, sends it every event of `book`, then KILL, and returns its result.
LetterTypes count_by_delegation(Events book, Counting<LetterTypes> counter, CounterLink& link);
// With local counters.
inline LetterTypes count_by_delegation(Events book, Counting<LetterTypes> counter) {
    CounterLink local;
    return count_by_delegation(book, std::move(counter), local);
}

}  // namespace workbook::chapter10
