// Chapter 06's parts, declared for its tests.
#pragma once

#include "workbook/console.hpp"
#include "workbook/counter.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstddef>
#include <ostream>
#include <span>

namespace workbook::chapter06 {

// A routine names the routine to run next by its index in the trampoline's table (Python yields
// the generator object itself; an index is C++'s cheapest handle on it). DONE stops the trampoline.
using Index = std::size_t;
inline constexpr Index DONE = static_cast<Index>(-1);
using Routine = Generator<Index>;

// The talk's trampoline loop: runs routines[start], then whichever routine each one yields, until
// one yields DONE (or finishes: Python would raise StopIteration, here it ends the loop too).
// An index outside the table is a std::out_of_range.
void trampoline(std::span<Routine> routines, Index start);

// The talk's two routines, in a table of two.
inline constexpr Index CR1 = 0, CR2 = 1;
Routine routine1(Console& console);
Routine routine2(Console& console);

// Runs routine1 and routine2 on the trampoline: prints `A C B D`.
void demonstrate(std::ostream& out);

// Counts `book` on the trampoline: a reader routine shares each event and names its counter; each
// counter routine counts the shared event and names the reader again.
inline constexpr Index READER = 0, VOWEL = 1, CONSONANT = 2, OTHER = 3;
Routine reader(Events book, unsigned char& event);
Routine counter(Counter& counter, const unsigned char& event, CounterLink& link);
LetterTypes count_on_trampoline(Events book, CounterLink& link);
// With local counters.
inline LetterTypes count_on_trampoline(Events book) {
    CounterLink local;
    return count_on_trampoline(book, local);
}

}  // namespace workbook::chapter06
