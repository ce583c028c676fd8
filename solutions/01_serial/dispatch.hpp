// Exercise 01: inline the counter (reference solution).
//
// Chapter 01 reaches each counter through a std::function: an indirect call the optimiser cannot
// see through, so `++count` is never inlined. Here `dispatch` takes the three callables as template
// parameters instead, so each call is a direct call to a known function, which the compiler can
// inline into the loop. The talk: "much less difference if counter is inlined; this is all calling
// cost".
#pragma once

#include "workbook/counter.hpp"
#include "workbook/letter_types.hpp"


namespace exercise01 {

// Hands each event (byte) of `book`, in book order, to `vowel`, `consonant` or `other`, chosen by
// workbook::classify. Calls the very objects it is given: no std::function, no copies.
template <typename Vowel, typename Consonant, typename Other>
void dispatch(workbook::Events book, Vowel&& vowel, Consonant&& consonant, Other&& other) {
    // Each parameter is a reference of the callable's own type, so the call below is resolved at
    // compile time: the optimiser sees the callable's body and may inline it.
    for (unsigned char c : book) {
        switch (workbook::classify(c)) {
            case workbook::Letter::vowel: vowel(c); break;
            case workbook::Letter::consonant: consonant(c); break;
            case workbook::Letter::other: other(c); break;
        }
    }
}

// The talk's callout_test, with the counters reached through dispatch(): three workbook::Counter
// objects, one per class, and their counts as LetterTypes.
inline workbook::LetterTypes inline_count(workbook::Events book) {
    workbook::Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    dispatch(book, vowel, consonant, other);
    return {vowel.count, consonant.count, other.count};
}

}  // namespace exercise01
