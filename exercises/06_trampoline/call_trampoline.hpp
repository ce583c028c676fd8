// Exercise 06: a trampoline with calls and returns.
//
// Chapter 06's routines can only jump: each names the routine to run next, and none can come back.
// PEP 342's own example of a trampoline does more: a routine *calls* another and is resumed when that
// one returns, so routines nest like functions.
#pragma once

#include "todo.hpp"
#include "workbook/generator.hpp"

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace exercise06 {

// A routine is known by its index in the trampoline's table, as in chapter 06.
using Index = std::size_t;

// What a routine yields: where the trampoline goes next.
struct Jump {    // run `to` instead of me (chapter 06's only step; my caller, if any, stays the same)
    Index to;
};
struct Call {    // run `to`, and resume me when it returns
    Index to;
};
struct Return {  // resume the routine that called me
};
struct Done {    // stop the trampoline
};
using Step = std::variant<Jump, Call, Return, Done>;
using Routine = workbook::Generator<Step>;

// Runs routines[start], then whichever routine each step names, until a step says Done or a routine
// that nobody called finishes. A routine that finishes after being called returns to its caller.
// Throws std::out_of_range for a name outside the table, std::logic_error for a Return with no caller.
inline void trampoline(std::span<Routine> routines, Index start) {
    // TODO: chapter 06's loop, plus a stack of callers: Call pushes the current routine, Return
    //       (or a called routine that finishes) pops the routine to resume.
    exercises::todo("exercise 06: trampoline() must follow Jump, Call, Return and Done", routines, start);
}

}  // namespace exercise06
