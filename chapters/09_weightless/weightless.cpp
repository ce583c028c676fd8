// Chapter 09: weightless dispatch, the talk's `weightless_test`.
//
// The talk's step "Putting it all together into a 'weightless' counter": three `generator_counter`
// coroutines, primed by the `@coroutine` decorator, are fed every event with `send` by the same
// dispatch loop as chapter 01. "This is just standard event dispatch, really", and on CPython it
// was the fastest version of the talk. Cost: one coroutine resume per event (send stores a pointer
// to the event, resumes the frame, reads the yielded count back); the three frames are allocated
// once, at priming, and nothing after. The README measures it against chapter 01's indirect call.
#include "weightless.hpp"

#include "workbook/chapter.hpp"

namespace workbook::chapter09 {

//! [generator_counter]
// `c = yield count` becomes `c = co_yield count`: the send()'s value arrives here.
Generator<std::uint64_t, unsigned char> generator_counter(CounterLink& link) {
    std::uint64_t count = 0;
    while (true) {
        unsigned char c = co_yield count;  // could actually use 'c'! (its class, for a slow counter)
        count += 1;
        link.call(classify(c));  // --counter service: waits here, and so does the whole thread
    }
}
//! [generator_counter]

//! [count_weightless]
LetterTypes count_weightless(Events book, CounterLink& link) {  // the talk's `weightless_test`
    // The talk's list comprehension of three generator_counter()s, each primed as `@coroutine` would.
    auto vowel_t = prime(generator_counter(link));
    auto consonant_t = prime(generator_counter(link));
    auto other_t = prime(generator_counter(link));
    // Unlike the talk's Python, a book without vowels gives vowels=0, not a NameError.
    std::uint64_t vowel = 0, consonant = 0, other = 0;
    for (unsigned char c : book) {
        // send() gives nullopt only once a generator has finished, and these never do (`while true`).
        switch (classify(c)) {
            case Letter::vowel: vowel = *vowel_t.send(c); break;
            case Letter::consonant: consonant = *consonant_t.send(c); break;
            case Letter::other: other = *other_t.send(c); break;
        }
    }
    return {vowel, consonant, other};
}
//! [count_weightless]

extern const Chapter chapter{
    .number = 9,
    .slug = "09_weightless",
    .title = "Count letters with weightless generator coroutines",
    .mechanism = "send() into a primed coroutine",
    .count = [](Events book, const Settings& settings) {
        CounterLink link = settings.link();
        return count_weightless(book, link);
    },
    .default_runs = 10,
};

}  // namespace workbook::chapter09
