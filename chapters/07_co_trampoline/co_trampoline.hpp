// Chapter 07's parts, declared for its tests. co_trampoline() is a template, so it lives here.
#pragma once

#include "workbook/console.hpp"
#include "workbook/counter.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace workbook::chapter07 {

// A routine names its target by its index in the trampoline's table, as in chapter 06; DONE, which
// no routine has, stops the trampoline, as in chapter 06.
using Index = std::size_t;
inline constexpr Index DONE = static_cast<Index>(-1);

// What a routine yields, the talk's `(R2, 'a')`: the routine to switch to and the data to inject.
struct Transfer {
    Index target;
    unsigned char data;
};

// A routine that yields transfers and receives, as the value of each co_yield, the data the next
// switch into it injects: `data = yield (R2, 'a')` is `data = co_yield {R2, 'a'}`.
using CoRoutine = Generator<Transfer, unsigned char>;

// Chapter 06's trampoline loop plus send: sends `current.data` to routine `current.target`, then
// each transfer it yields to its target, until one transfers to DONE or a routine finishes
// (Python's StopIteration). A target outside the table is a std::out_of_range.
void trampoline(std::span<CoRoutine> CRs, Transfer current);

// The talk's two routines, in a table of two.
inline constexpr Index R1 = 0, R2 = 1;
CoRoutine routine1(Console& console, unsigned char data);
CoRoutine routine2(Console& console);

// Runs routine1('x') and routine2() on the trampoline, primed by hand: prints `A x C a B c D b`.
void demonstrate(std::ostream& out);

// One of the talk's `generators`: a function that makes a routine, given the start data (the
// routines that do not start get InitData{}, Python's `g()`).
template <typename InitData>
using GeneratorFunction = std::function<CoRoutine(InitData)>;

//! [co_trampoline]
// The talk's co_trampoline(generators, start, init_data). A routine's name is its index in
// `generators` (Python's dictionary keyed by `__name__`). The start routine is made with init_data
// and run to its first transfer; the others are primed with a throwaway. Then the trampoline runs.
template <typename InitData>
void co_trampoline(std::span<const GeneratorFunction<InitData>> generators, Index start, InitData init_data) {
    if (start >= generators.size()) throw std::out_of_range("co_trampoline: no start routine " + std::to_string(start));
    std::vector<CoRoutine> CRs;
    CRs.reserve(generators.size());
    Transfer current{};
    for (Index name = 0; name < generators.size(); ++name) {
        if (name == start) {
            CRs.push_back(generators[name](init_data));
            std::optional<Transfer> first = CRs.back().next();
            if (!first) return;  // it finished before its first transfer
            current = *first;
        } else {
            CRs.push_back(prime(generators[name](InitData{})));
        }
    }
    trampoline(CRs, current);
}
//! [co_trampoline]

// Counts `book` on the co-trampoline: the reader (the start routine, given the book) transfers
// each event to the counter routine of its class, which counts it and transfers back to the reader.
inline constexpr Index READER = 0, VOWEL = 1, CONSONANT = 2, OTHER = 3;
CoRoutine reader(Events book);
CoRoutine counter(Counter& counter, CounterLink& link);
LetterTypes count_on_co_trampoline(Events book, CounterLink& link);
// With local counters.
inline LetterTypes count_on_co_trampoline(Events book) {
    CounterLink local;
    return count_on_co_trampoline(book, local);
}

}  // namespace workbook::chapter07
