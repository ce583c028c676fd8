// Exercise 06: a trampoline with calls and returns (reference solution).
//
// Chapter 06's routines can only jump: each names the routine to run next, and none can come back.
// PEP 342's own example of a trampoline does more: a routine *calls* another and is resumed when that
// one returns, so routines nest like functions. The trampoline keeps the stack of callers; no routine
// runs on another's native stack, so nesting never grows it.
#pragma once

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
    std::vector<Index> callers;  // the routines waiting for a return, innermost last
    Index current = start;
    while (true) {
        if (current >= routines.size()) throw std::out_of_range("trampoline: no routine " + std::to_string(current));
        std::optional<Step> step = routines[current].next();
        if (!step) step = callers.empty() ? Step{Done{}} : Step{Return{}};  // finished: an implicit return
        if (auto* jump = std::get_if<Jump>(&*step)) {
            current = jump->to;
        } else if (auto* call = std::get_if<Call>(&*step)) {
            callers.push_back(current);
            current = call->to;
        } else if (std::holds_alternative<Return>(*step)) {
            if (callers.empty()) throw std::logic_error("trampoline: routine " + std::to_string(current) + " returned, but nobody called it");
            current = callers.back();
            callers.pop_back();
        } else {
            return;  // Done
        }
    }
}

}  // namespace exercise06
