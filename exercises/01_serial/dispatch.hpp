// Exercise 01: inline the counter.
//
// Chapter 01 reaches each counter through a std::function: an indirect call the optimiser cannot
// see through, so `++count` is never inlined. Here `dispatch` takes the three callables as template
// parameters instead, so each call is a direct call to a known function, which the compiler can
// inline into the loop. The talk: "much less difference if counter is inlined; this is all calling
// cost".
#pragma once

#include "todo.hpp"
#include "workbook/counter.hpp"
#include "workbook/letter_types.hpp"


namespace exercise01 {

// Hands each event (byte) of `book`, in book order, to `vowel`, `consonant` or `other`, chosen by
// workbook::classify. Calls the very objects it is given: no std::function, no copies.
template <typename Vowel, typename Consonant, typename Other>
void dispatch(workbook::Events book, Vowel&& vowel, Consonant&& consonant, Other&& other) {
    // TODO: loop over the events of `book`; call vowel(c), consonant(c) or other(c) for each.
    exercises::todo("exercise 01: dispatch() must call vowel, consonant or other for each event",
                    book, vowel, consonant, other);
}

// The talk's callout_test, with the counters reached through dispatch(): three workbook::Counter
// objects, one per class, and their counts as LetterTypes.
inline workbook::LetterTypes inline_count(workbook::Events book) {
    // TODO: make three workbook::Counter objects, dispatch the book to them, return their counts.
    exercises::todo("exercise 01: inline_count() must count the book with dispatch()", book);
}

}  // namespace exercise01
