// Chapter 11: greenlets, "micro-threads with no implicit scheduling".
//
// The talk's last step, the third-party greenlet, which "solves the issue addressed by PEP 380 in a
// somewhat different style": each counter is a greenlet with a whole stack of its own, and the
// reader (the main greenlet) switches straight to the counter of each event, passing the event;
// the counter counts it and switches back. A switch names its target, as in the talk's imagined
// `data = switch to routine2 send "a"`: no trampoline, no scheduler, no `yield` in the callers.
// Cost: two stack switches per event (to the counter and back), each saving and restoring a few
// registers in user space, no system call; the variant ucontext (ucontext.cpp) runs the same code
// on swapcontext, which adds a system call per switch. Each counter holds one stack: 256 KiB of
// address space, of which only the pages it touches become memory.
#include "greenlets.hpp"

#include "workbook/chapter.hpp"
#include "workbook/counter.hpp"
#include "workbook/greenlet.hpp"

#include <ostream>

namespace workbook::chapter11 {

//! [demonstrate]
// greenlet's own documentation example: two greenlets switch to each other by name.
void ping_pong(std::ostream& out) {
    Greenlet* gr2 = nullptr;
    Greenlet gr1{[&] {
        out << "12";
        gr2->switch_to();
        out << " 34";
    }};
    Greenlet test2{[&] {
        out << " 56";
        gr1.switch_to();
        out << " 78";  // never printed: nobody switches back to test2
    }};
    gr2 = &test2;
    gr1.switch_to();  // prints 12 56 34
}

// The talk's "language similar to Python" with direct coroutines and data injection: greenlets are
// that language. routine1('x') needs no trampoline.
void direct_coroutines(std::ostream& out) {
    Greenlet* r2 = nullptr;
    Greenlet routine1{[&](char data) {
        out << "A " << data;
        data = r2->switch_to<char>('a');
        out << " B " << data;
        data = r2->switch_to<char>('b');
    }};
    Greenlet routine2{[&](char data) {
        out << " C " << data;
        data = routine1.switch_to<char>('c');
        out << " D " << data;
    }};
    r2 = &routine2;
    routine1.switch_to('x');  // prints A x C a B c D b
}

void demonstrate(std::ostream& out) {
    ping_pong(out);
    out << '\n';
    direct_coroutines(out);
}
//! [demonstrate]

//! [count_on_greenlets]
// A counter greenlet's function: count the event, switch back to the reader, receive the next
// event there. It never returns; destroying the greenlet unwinds it (GreenletExit).
// (`.template` only because G, the kind of greenlet, is a template parameter here.)
template <typename G>
auto counting(Counter& counter, G& reader, CounterLink& link) {
    return [&counter, &reader, &link](unsigned char event) {
        for (;;) {
            counter(event);
            link.call(classify(event));  // a slow counter: every greenlet waits with it
            event = reader.template switch_to<unsigned char>();
        }
    };
}

template <typename G>
LetterTypes count_on_greenlets(Events book, CounterLink& link) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    G& reader = G::current();
    G vowels{counting(vowel, reader, link)}, consonants{counting(consonant, reader, link)},
        others{counting(other, reader, link)};
    for (unsigned char c : book) {  // each letter is an event
        switch (classify(c)) {
            case Letter::vowel: vowels.switch_to(c); break;
            case Letter::consonant: consonants.switch_to(c); break;
            case Letter::other: others.switch_to(c); break;
        }
    }
    return {vowel.count, consonant.count, other.count};
}  // the three counters, suspended in their loops, are unwound here
//! [count_on_greenlets]

template LetterTypes count_on_greenlets<Greenlet>(Events book, CounterLink& link);
template LetterTypes count_on_greenlets<UcontextGreenlet>(Events book, CounterLink& link);  // for ucontext.cpp

extern const Chapter chapter{
    .number = 11,
    .slug = "11_greenlets",
    .title = "Count letters with greenlets switching to each other",
    .mechanism = "stackful switch (Boost.Context fiber)",
    .default_runs = 10,
    .demonstrate = demonstrate,
    .variants = {
        {"fiber", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_on_greenlets<Greenlet>(book, link);
         },
         "greenlets on Boost.Context fibers: a switch saves a few registers in user space"},
        {"ucontext", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_on_ucontext_greenlets(book, link);
         },
         "greenlets on swapcontext: a switch also saves the signal mask with a system call"},
    },
};

}  // namespace workbook::chapter11
