// Exercise 09: the dispatcher as a coroutine, and a sink that uses its events.
//
// Chapter 09's counters receive events by send() but ignore them, and the dispatch loop around them
// is ordinary code: "This is just standard event dispatch, really". Here the dispatch loop itself
// becomes a coroutine that owns its three sinks, so a whole pipeline is one object that events are
// sent into; and any sink fits, such as one that actually looks at the event it is sent.
#pragma once

#include "todo.hpp"
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
    // TODO: a coroutine like generator_counter that remembers which byte values it has received.
    exercises::todo("exercise 09: distinct_counter() must yield how many different events it received");
}

// Chapter 09's dispatch loop as a coroutine: it owns three fresh (not started) sinks and primes
// them itself, then receives events by send(), forwards each to the sink of its class, and yields
// the three sinks' latest results as LetterTypes (first: what each sink yielded when primed).
// Throws std::logic_error for a sink that was started already, or that finishes (its events would
// be lost).
inline workbook::Generator<workbook::LetterTypes, unsigned char> dispatcher(Sink vowel, Sink consonant, Sink other) {
    // TODO: prime the three sinks (their first yields are the first results), then loop: receive an
    //       event, send it to the sink of its class, yield the results.
    exercises::todo("exercise 09: dispatcher() must forward each event to the sink of its class", vowel, consonant, other);
}

}  // namespace exercise09
