// Chapter 06's parts, declared for its tests.
#pragma once

#include "workbook/counter.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstddef>
#include <ostream>
#include <span>

namespace workbook::chapter06 {

// Python 2's `print "A",`: prints its words, and a space before whatever is printed next, so the
// talk's routines print `A C B D` with no space at either end.
class Console {
public:
    explicit Console(std::ostream& out) : out_(out) {}
    template <typename... Words>
    void print(const Words&... words) {
        ((out_ << (softspace_ ? " " : "") << words, softspace_ = true), ...);
    }

private:
    std::ostream& out_;
    bool softspace_ = false;
};

// A routine names the routine to run next by its place in the trampoline's table (Python yields
// the generator object itself; an index is C++'s cheapest handle on it). DONE stops the trampoline.
using Name = std::size_t;
inline constexpr Name DONE = static_cast<Name>(-1);
using Routine = Generator<Name>;

// The talk's trampoline loop: runs routines[start], then whichever routine each one yields, until
// one yields DONE (or finishes: Python would raise StopIteration, here it ends the loop too).
// A name outside the table is a std::out_of_range.
void trampoline(std::span<Routine> routines, Name start);

// The talk's two routines, in a table of two.
inline constexpr Name CR1 = 0, CR2 = 1;
Routine routine1(Console& console);
Routine routine2(Console& console);

// Runs routine1 and routine2 on the trampoline: prints `A C B D`.
void demonstrate(std::ostream& out);

// Counts `book` on the trampoline: a reader routine shares each event and names its counter; each
// counter routine counts the shared event and names the reader again.
inline constexpr Name READER = 0, VOWEL = 1, CONSONANT = 2, OTHER = 3;
Routine reader(Events book, unsigned char& event);
Routine counter(Counter& counter, const unsigned char& event);
LetterTypes trampoline_test(Events book);

}  // namespace workbook::chapter06
