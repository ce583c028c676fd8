// Chapter 07: the co-trampoline, the talk's data injection with `send` and `co_trampoline`.
//
// The talk's step "In actual Python we still need a thin trampoline": since PEP 342 a generator can
// receive data (`data = yield (R2, 'a')`), so a routine names where to switch *and* what to hand
// over, and the trampoline sends the data to the target. This is chapter 06 plus send(): the same
// trampoline loop, the same DONE, and the shared variable is gone. First the talk's
// `A x C a B c D b`, then `co_trampoline(generators, start, init_data)` counting the book. Cost: two
// sends per event (reader, then counter), each a coroutine resume with a value in and a value out;
// the routines are made once, nothing is allocated per event.
#include "co_trampoline.hpp"

#include "workbook/chapter.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace workbook::chapter07 {

//! [trampoline]
void trampoline(std::span<CoRoutine> CRs, Transfer current) {
    while (true) {
        if (current.target == DONE) break;
        if (current.target >= CRs.size())
            throw std::out_of_range("trampoline: no routine " + std::to_string(current.target));
        current = CRs[current.target].send(current.data).value_or(Transfer{DONE, 0});  // StopIteration
    }
}
//! [trampoline]

//! [routines]
CoRoutine routine1(Console& console, unsigned char data) {  // START routine passed data
    console.print("A", data);
    data = co_yield {R2, 'a'};
    console.print("B", data);
    data = co_yield {R2, 'b'};
}

CoRoutine routine2(Console& console) {
    unsigned char data = co_yield {};  // others primed with throwaway
    console.print("C", data);
    data = co_yield {R1, 'c'};
    console.print("D", data);
}

void demonstrate(std::ostream& out) {
    Console console(out);
    std::array<CoRoutine, 2> CRs{routine1(console, 'x'), routine2(console)};  // R1, R2
    Transfer current = *CRs[R1].next();  // (current, data), _ = R1.next(), R2.next()
    CRs[R2].next();
    trampoline(CRs, current);  // prints -> A x C a B c D b
}
//! [routines]

//! [count_on_co_trampoline]
CoRoutine reader(Events book) {  // the start routine: its data is the book
    for (unsigned char c : book) {
        switch (classify(c)) {
            case Letter::vowel: co_yield {VOWEL, c}; break;
            case Letter::consonant: co_yield {CONSONANT, c}; break;
            case Letter::other: co_yield {OTHER, c}; break;
        }
    }
}  // finishing ends the trampoline

CoRoutine counter(Counter& counter, CounterLink& link) {
    unsigned char c = co_yield {};  // primed with a throwaway
    while (true) {
        counter(c);
        link.call(classify(c));  // a slow counter: the trampoline waits with it
        c = co_yield {READER, 0};  // back to the reader, with nothing to say
    }
}

LetterTypes count_on_co_trampoline(Events book, CounterLink& link) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    auto counter_of = [&link](Counter& count) { return [&count, &link](Events) { return counter(count, link); }; };
    const GeneratorFunction<Events> generators[] = {reader, counter_of(vowel), counter_of(consonant),
                                                    counter_of(other)};  // READER, VOWEL, CONSONANT, OTHER
    co_trampoline<Events>(generators, READER, book);
    return {vowel.count, consonant.count, other.count};
}
//! [count_on_co_trampoline]

extern const Chapter chapter{
    .number = 7,
    .slug = "07_co_trampoline",
    .title = "Count letters with coroutines injecting data on a trampoline",
    .mechanism = "routines yield (target, data), send()",
    .count = [](Events book, const Settings& settings) {
        CounterLink link = settings.link();
        return count_on_co_trampoline(book, link);
    },
    .default_runs = 10,
    .demonstrate = demonstrate,
};

}  // namespace workbook::chapter07
