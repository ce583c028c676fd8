// Chapter 11's variant ucontext: it adds to the step a comparison, the same code on swapcontext.
//
// UcontextGreenlet switches with POSIX swapcontext instead of a Boost.Context fiber. swapcontext
// also saves and restores the signal mask, one system call (rt_sigprocmask) per switch, so two
// system calls per event where a fiber switch makes none.
#include "greenlets.hpp"

#include "workbook/greenlet.hpp"

namespace workbook::chapter11 {

LetterTypes count_on_ucontext_greenlets(Events book, CounterLink& link) {
    return count_on_greenlets<UcontextGreenlet>(book, link);
}

}  // namespace workbook::chapter11
