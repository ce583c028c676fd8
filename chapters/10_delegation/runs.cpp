// Chapter 10's variant runs: it adds to the step a subgenerator per run of same-class events.
//
// The dispatcher delegates each run to a new run counter, which counts the run and returns its
// length, with the event that ended it, when the class changes. Cost: per run, a frame allocation
// and a delegation; a run is short in English text, so making subgenerators dominates.
#include "delegation.hpp"

namespace workbook::chapter10 {

//! [dispatcher]
Counting<Run> run_counter(Letter letter) {
    std::uint64_t count = 1;  // the event that started the run
    while (true) {
        Item c = co_yield count;
        if (c == KILL || classify(static_cast<unsigned char>(c)) != letter) co_return Run{count, c};
        count += 1;
    }
}

Counting<LetterTypes> dispatcher() {
    LetterTypes totals;
    Item c = co_yield 0;  // the first event arrives here
    while (c != KILL) {
        Letter letter = classify(static_cast<unsigned char>(c));
        Run run = co_yield yield_from(run_counter(letter));  // the event that ends the run comes back
        switch (letter) {
            case Letter::vowel: totals.vowels += run.count; break;
            case Letter::consonant: totals.consonants += run.count; break;
            case Letter::other: totals.others += run.count; break;
        }
        c = run.next;
    }
    co_return totals;
}
//! [dispatcher]

}  // namespace workbook::chapter10
