// Exercise 09: the dispatcher as a coroutine, and a sink that uses its events (reference solution).
//
// Chapter 09's counters receive events by send() but ignore them, and the dispatch loop around them
// is ordinary code: "This is just standard event dispatch, really". Here the dispatch loop itself
// becomes a coroutine that owns its three sinks, so a whole pipeline is one object that events are
// sent into; and any sink fits, such as one that actually looks at the event it is sent.
#pragma once

#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <bitset>
#include <cstdint>
#include <optional>
#include <stdexcept>

namespace exercise09 {

// A sink: receives events by send() and yields its running result. Chapter 09's counter is one.
using Sink = workbook::Generator<std::uint64_t, unsigned char>;

// Given: chapter 09's generator_counter, which ignores its events.
inline Sink generator_counter() {
    std::uint64_t count = 0;
    while (true) {
        [[maybe_unused]] unsigned char c = co_yield count;
        count += 1;
    }
}

// A sink that uses its events ("could actually use 'c'!"): yields how many different events (byte
// values) it has received so far; 0 before the first.
inline Sink distinct_counter() {
    std::bitset<256> seen;
    while (true) {
        unsigned char c = co_yield seen.count();
        seen.set(c);
    }
}

namespace detail {
// Primes a fresh sink and returns its first result. A sink started elsewhere is refused: the value
// its priming yielded is gone, and the dispatcher could not report it.
inline std::uint64_t start(Sink& sink) {
    if (sink.started()) throw std::logic_error("dispatcher: a sink was started already; give it fresh sinks");
    std::optional<std::uint64_t> first = sink.next();
    if (!first) throw std::logic_error("dispatcher: a sink finished before its first co_yield");
    return *first;
}
inline std::uint64_t forward(Sink& sink, unsigned char c) {
    std::optional<std::uint64_t> result = sink.send(c);
    if (!result) throw std::logic_error("dispatcher: a sink finished; it can take no more events");
    return *result;
}
}  // namespace detail

// Chapter 09's dispatch loop as a coroutine: it owns three fresh (not started) sinks and primes
// them itself, then receives events by send(), forwards each to the sink of its class, and yields
// the three sinks' latest results as LetterTypes (first: what each sink yielded when primed).
// Throws std::logic_error for a sink that was started already, or that finishes (its events would
// be lost).
inline workbook::Generator<workbook::LetterTypes, unsigned char> dispatcher(Sink vowel, Sink consonant, Sink other) {
    // The sinks are parameters taken by value, so they live in this frame: destroying the dispatcher
    // destroys them.
    workbook::LetterTypes results{detail::start(vowel), detail::start(consonant), detail::start(other)};
    while (true) {
        unsigned char c = co_yield results;
        switch (workbook::classify(c)) {
            case workbook::Letter::vowel: results.vowels = detail::forward(vowel, c); break;
            case workbook::Letter::consonant: results.consonants = detail::forward(consonant, c); break;
            case workbook::Letter::other: results.others = detail::forward(other, c); break;
        }
    }
}

}  // namespace exercise09
