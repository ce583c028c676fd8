// Exercise 07: priming as a decorator.
//
// Chapter 07 primes routines by hand, and its co_trampoline treats the start routine apart: made
// with the init data and run to its first transfer, while the others are primed with a throwaway.
// The talk: "(Priming with a decorator would be more elegant)". With a decorator that makes *every*
// routine primed, all routines start alike, and the trampoline loses its special case.
#pragma once

#include "todo.hpp"
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
    // A decorator returns a new function, which keeps `make` inside.
    return [make](auto&&... args) -> std::invoke_result_t<F&, decltype(args)...> {
        // TODO: make the generator with make's arguments, advance it to its first co_yield (without
        //       workbook::prime: write it), and return it.
        exercises::todo("exercise 07: coroutine(make)(args...) must make and prime the generator", make, args...);
    };
}

// The co-trampoline for primed routines: sends `data` to routines[start], then each transfer's data
// to its target, until a routine finishes; returns that routine's name. Throws std::logic_error if
// a routine is not primed (never started) or has already finished, std::out_of_range for a name
// outside the table.
inline Index co_trampoline(std::span<CoRoutine> routines, Index start, unsigned char data) {
    // TODO: check the routines, then chapter 07's loop, starting with a send of `data` to `start`.
    exercises::todo("exercise 07: co_trampoline() must send data from routine to routine", routines, start, data);
}

}  // namespace exercise07
