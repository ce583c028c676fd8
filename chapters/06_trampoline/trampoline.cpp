// Chapter 06: the trampoline, the talk's `routine1`/`routine2` and their `while True` loop.
//
// The talk's step "Since Python 2.2 added generators, we have been able to write coroutines using a
// simple trampoline": a routine cannot switch to another routine itself, but it can yield the one
// to run next, and a trivially simple loop runs it. First the talk's example (`A C B D`), then the
// book counted the same way: a reader routine names the counter of each event, the counter names
// the reader back. Before PEP 342 nothing can be sent into a generator, so the event travels through
// a shared variable. Cost: two coroutine resumes per event (reader, then counter), through one
// table look-up each; the four frames are allocated once.
#include "trampoline.hpp"

#include "workbook/chapter.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace workbook::chapter06 {

//! [trampoline]
void trampoline(std::span<Routine> routines, Index start) {
    Index current = start;
    while (true) {
        if (current == DONE) break;
        if (current >= routines.size()) throw std::out_of_range("trampoline: no routine " + std::to_string(current));
        current = routines[current].next().value_or(DONE);
    }
}
//! [trampoline]

//! [routines]
Routine routine1(Console& console) {
    console.print("A");
    co_yield CR2;
    console.print("B");
    co_yield CR2;
}

Routine routine2(Console& console) {
    console.print("C");
    co_yield CR1;
    console.print("D");
    co_yield DONE;
}

void demonstrate(std::ostream& out) {
    Console console(out);
    std::array<Routine, 2> routines{routine1(console), routine2(console)};  // CR1, CR2
    trampoline(routines, CR1);  // prints -> A C B D
}
//! [routines]

//! [count_on_trampoline]
// The shared variable `event` is the only way to hand data to another routine before PEP 342.
Routine reader(Events book, unsigned char& event) {
    for (unsigned char c : book) {  // each letter is an event
        event = c;
        switch (classify(c)) {
            case Letter::vowel: co_yield VOWEL; break;
            case Letter::consonant: co_yield CONSONANT; break;
            case Letter::other: co_yield OTHER; break;
        }
    }
    co_yield DONE;
}

Routine counter(Counter& counter, const unsigned char& event, CounterLink& link) {
    while (true) {
        counter(event);
        link.call(classify(event));  // a slow counter: the trampoline waits with it
        co_yield READER;
    }
}

LetterTypes count_on_trampoline(Events book, CounterLink& link) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    unsigned char event = 0;
    std::array<Routine, 4> routines{reader(book, event), counter(vowel, event, link),
                                    counter(consonant, event, link), counter(other, event, link)};  // READER, VOWEL, CONSONANT, OTHER
    trampoline(routines, READER);
    return {vowel.count, consonant.count, other.count};
}
//! [count_on_trampoline]

extern const Chapter chapter{
    .number = 6,
    .slug = "06_trampoline",
    .title = "Count letters with generator routines on a trampoline",
    .mechanism = "routines yield the next routine",
    .count = [](Events book, const Settings& settings) {
        CounterLink link = settings.link();
        return count_on_trampoline(book, link);
    },
    .default_runs = 10,
    .demonstrate = demonstrate,
};

}  // namespace workbook::chapter06
