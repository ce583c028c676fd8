// Exercise 07: priming as a decorator (reference solution).
//
// Chapter 07 primes routines by hand, and its co_trampoline treats the start routine apart: made
// with the init data and run to its first transfer, while the others are primed with a throwaway.
// The talk: "(Priming with a decorator would be more elegant)". With a decorator that makes *every*
// routine primed, all routines start alike, and the trampoline loses its special case: the init
// data is simply the first thing sent.
#pragma once

#include "workbook/generator.hpp"

#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace exercise07 {

// As in chapter 07: a routine is known by its index in the table; it yields a transfer, the talk's
// `(R2, 'a')`, and receives the data of the next switch into it as the value of its co_yield.
using Index = std::size_t;
struct Transfer {
    Index target;
    unsigned char data;
};
using CoRoutine = workbook::Generator<Transfer, unsigned char>;

// The talk's @coroutine: coroutine(make) is a function that takes make's arguments, makes the
// generator and advances it to its first co_yield, so it is ready for send(). Throws
// std::logic_error if the generator finishes before its first co_yield.
template <typename F>
auto coroutine(F make) {
    // A new function wrapping the old one, as a Python decorator returns one: `make` is kept inside.
    return [make = std::move(make)](auto&&... args) {
        auto routine = std::invoke(make, std::forward<decltype(args)>(args)...);
        if (!routine.next()) throw std::logic_error("coroutine(): the generator finished before its first co_yield");
        return routine;
    };
}

// The co-trampoline for primed routines: sends `data` to routines[start], then each transfer's data
// to its target, until a routine finishes; returns that routine's name. Throws std::logic_error if
// a routine is not primed (never started) or has already finished, std::out_of_range for a name
// outside the table.
inline Index co_trampoline(std::span<CoRoutine> routines, Index start, unsigned char data) {
    for (Index name = 0; name < routines.size(); ++name) {
        if (!routines[name].started() || routines[name].done())
            throw std::logic_error("co_trampoline: routine " + std::to_string(name) + " is not primed and waiting");
    }
    Transfer current{start, data};
    while (true) {
        if (current.target >= routines.size())
            throw std::out_of_range("co_trampoline: no routine " + std::to_string(current.target));
        std::optional<Transfer> next = routines[current.target].send(current.data);
        if (!next) return current.target;  // StopIteration
        current = *next;
    }
}

}  // namespace exercise07
