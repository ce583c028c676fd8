// Chapter 11's parts, declared for its variant.
#pragma once

#include "workbook/counter_kinds.hpp"
#include "workbook/letter_types.hpp"

namespace workbook::chapter11 {

// Counts `book` with greenlets of kind G: the reader switches to the counter greenlet of each
// event's class, passing the event, and the counter switches back. Defined for workbook::Greenlet
// and workbook::UcontextGreenlet.
template <typename G>
LetterTypes count_on_greenlets(Events book, CounterLink& link);

// Variant ucontext (ucontext.cpp): the same greenlets switching with POSIX swapcontext.
LetterTypes count_on_ucontext_greenlets(Events book, CounterLink& link);

// With local counters.
template <typename G>
LetterTypes count_on_greenlets(Events book) {
    CounterLink local;
    return count_on_greenlets<G>(book, local);
}
inline LetterTypes count_on_ucontext_greenlets(Events book) {
    CounterLink local;
    return count_on_ucontext_greenlets(book, local);
}

}  // namespace workbook::chapter11
