// Chapter 10: delegation to subgenerators, PEP 380's `yield from`.
//
// The talk's step "PEP 380 (Syntax for Delegating to Subgenerator)": a generator hands part of its
// work to a subgenerator, whose values go straight to the caller, which receives the caller's
// send()s "without extra scaffolding", and whose return value is the value of the delegating
// expression. Chapter 09's send() plus delegation: first the talk's `pairs()` refactoring, then the
// book counted by a book counter that delegates each line to a line counter, which returns the
// line's counts. Cost: one send per event, which resumes the innermost generator directly, at any
// depth; plus, per line, a new subgenerator: a frame allocation and a few transfers. The variants
// `deep` (deep.cpp: 1000 levels more) and `runs` (runs.cpp: a subgenerator per run of same-class
// events, so one frame per run) have files of their own; the README measures all three.
#include "delegation.hpp"

#include "workbook/chapter.hpp"

namespace workbook::chapter10 {

namespace {
constexpr int iter1[] = {1, 2, 3};
constexpr char iter2[] = {'a', 'b'};

void add(LetterTypes& totals, const LetterTypes& counts) {
    totals.vowels += counts.vowels;
    totals.consonants += counts.consonants;
    totals.others += counts.others;
}
}  // namespace

//! [pairs]
Generator<Pair> pairs_nested() {
    for (int i : iter1) {       // some logic about 'i' here
        for (char j : iter2) {  // complex stuff goes here
            co_yield {i, j};
        }
    }
}

Generator<Pair> pairs() {
    for (int i : iter1) {  // some logic about 'i' here
        co_yield yield_from(subloop(i));
    }
}

Generator<Pair> subloop(int i) {
    for (char j : iter2) {  // complex stuff goes here
        co_yield {i, j};
    }
}
//! [pairs]

void demonstrate(std::ostream& out) {
    auto print = [&out](const char* label, Generator<Pair> generator) {
        out << label;
        for (auto [i, j] : generator) out << " (" << i << ", '" << j << "')";
    };
    print("nested loops:      ", pairs_nested());
    out << '\n';
    print("yield from subloop:", pairs());
}

//! [book_counter]
Counting<Line> line_counter() {
    LetterTypes counts;
    while (true) {
        Item c = co_yield counts.total();
        if (c == KILL) co_return Line{counts, true};
        counts.add(classify(static_cast<unsigned char>(c)));
        if (c == '\n') co_return Line{counts, false};
    }
}

Counting<LetterTypes> book_counter() {
    LetterTypes totals;
    bool book_ended = false;
    while (!book_ended) {
        // Every event of the line is sent straight to the line counter; its return value comes here.
        Line line = co_yield yield_from(line_counter());
        add(totals, line.counts);
        book_ended = line.book_ended;
    }
    co_return totals;
}
//! [book_counter]

//! [count_by_delegation]
LetterTypes count_by_delegation(Events book, Counting<LetterTypes> counter, CounterLink& link) {
    counter = prime(std::move(counter));
    for (unsigned char c : book) {
        counter.send(c);         // reaches the innermost counter, however deep
        link.call(classify(c));  // a slow counter: the one thread waits
    }
    counter.send(KILL);
    return counter.result();
}
//! [count_by_delegation]

extern const Chapter chapter{
    .number = 10,
    .slug = "10_delegation",
    .title = "Count letters with generators delegating to subgenerators",
    .mechanism = "send() through yield from",
    .default_runs = 10,
    .demonstrate = demonstrate,
    .variants = {
        {"lines", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_by_delegation(book, book_counter(), link);
         },
         "the book counter delegates each line to a line counter"},
        {"deep", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_by_delegation(book, nested(1000, book_counter()), link);
         },
         "the same under 1000 more levels of pass-through delegation"},
        {"runs", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_by_delegation(book, dispatcher(), link);
         },
         "each run of same-class events delegated to a run counter"},
    },
};

}  // namespace workbook::chapter10
