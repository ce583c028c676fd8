// Chapter 01: the serial callout, the talk's `callout_test`.
//
// The talk's first program: read the book, treat every byte as an event and call the Counter
// object of its class. Everything later in the workbook is this loop with another way of
// reaching the counter. Cost: one indirect call per event, plus the classification's table look-up
// and branch; the chapter's README quotes what that costs here and what inlining changes.
#include "workbook/chapter.hpp"
#include "workbook/counter.hpp"

#include <functional>

namespace workbook::chapter01 {

//! [count_with_callouts]
// Anything that can be called with an event: the talk's counters are such callables.
using Callout = std::function<void(unsigned char)>;

// The loop of the talk's `callout_test`. It only ever sees type-erased callouts, and it is kept
// out of line, so the optimiser cannot inline `++count` into it: each event pays for a real
// indirect call, as each `vowel(c)` pays for a method call in Python.
[[gnu::noinline]] void dispatch(Events book, const Callout& vowel, const Callout& consonant,
                                const Callout& other) {
    for (unsigned char c : book) {  // each letter is an event
        switch (classify(c)) {
            case Letter::vowel: vowel(c); break;
            case Letter::consonant: consonant(c); break;
            case Letter::other: other(c); break;
        }
    }
}

// The talk's `callout_test`: three counters, and the loop that calls them.
LetterTypes count_with_callouts(Events book, CounterLink& link) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    // A slow counter (--counter service) is one more call in each callout: the loop waits for it.
    auto callout = [&link](Counter& counter, Letter letter) -> Callout {
        if (!link.active()) return std::ref(counter);
        return [&counter, &link, letter](unsigned char c) { counter(c); link.call(letter); };
    };
    dispatch(book, callout(vowel, Letter::vowel), callout(consonant, Letter::consonant), callout(other, Letter::other));
    return {vowel.count, consonant.count, other.count};
}
//! [count_with_callouts]

extern const Chapter chapter{
    .number = 1,
    .slug = "01_serial",
    .title = "Count letters with callout to counter object",
    .mechanism = "indirect call (std::function)",
    .count = [](Events book, const Settings& settings) {
        CounterLink link = settings.link();
        return count_with_callouts(book, link);
    },
    .default_runs = 10,
};

}  // namespace workbook::chapter01
