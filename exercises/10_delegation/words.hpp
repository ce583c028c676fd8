// Exercise 10: refactoring with delegation, keeping send() and throw working.
//
// The talk's PEP 380 example refactors a pull-only generator: the inner loop moves into a
// subgenerator and the outer one says `yield from`. The promise of PEP 380 is bigger: "the
// subgenerator also handles .send(), .throw() and .close() calls [...] without extra scaffolding".
// Here a generator that receives items and catches a thrown Restart is split in two, and its caller
// cannot tell the difference.
#pragma once

#include "todo.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstdint>
#include <vector>

namespace exercise10 {

// What the generators receive: an event (a byte, 0-255) or KILL, the end of the text.
using Item = int;
inline constexpr Item KILL = -1;

// Thrown into a generator to drop the word being counted (a typo, say) and start a new one.
struct Restart {};

// Every generator here yields the number of letters of the current word so far, and receives the
// next item; they differ in what they return.
template <typename Return>
using Counting = workbook::Generator<std::uint64_t, Item, Return>;

inline bool is_letter(Item c) { return c >= 0 && workbook::classify(static_cast<unsigned char>(c)) != workbook::Letter::other; }

// Given, and working: the whole job in one generator. Yields the letters of the current word so far
// (0 right after a separator), receives the next item; a Restart thrown in drops the current word;
// at KILL it returns the lengths of the words, in order (empty words, between two separators, are
// not words).
inline Counting<std::vector<std::uint64_t>> words_in_one_piece() {
    std::vector<std::uint64_t> lengths;
    std::uint64_t letters = 0;  // of the current word
    while (true) {
        Item c;
        try {
            c = co_yield letters;
        } catch (const Restart&) {
            letters = 0;  // forget the current word
            continue;
        }
        if (is_letter(c)) {
            ++letters;
            continue;
        }
        if (letters > 0) lengths.push_back(letters);
        letters = 0;
        if (c == KILL) co_return lengths;
    }
}

// What word() returns: the word's letters, and the item that ended it (a non-letter, or KILL).
struct Word {
    std::uint64_t letters;
    Item end;
};

// One word: yields its letters so far (0 first), receives the next item, and returns at the first
// item that is not a letter. It knows nothing of Restart.
inline Counting<Word> word() {
    // TODO: the letter-counting part of words_in_one_piece(), returning a Word with co_return.
    exercises::todo("exercise 10: word() must count one word and return it");
}

// words_in_one_piece(), refactored: for each word it delegates to a new word() with yield_from, and
// keeps only what is left: collecting the lengths, restarting on Restart, returning at KILL. To its
// caller it behaves exactly like words_in_one_piece(): same yields, same sends, same result.
inline Counting<std::vector<std::uint64_t>> words() {
    // TODO: a loop around `Word w = co_yield workbook::yield_from(word());`.
    exercises::todo("exercise 10: words() must delegate each word to word()");
}

}  // namespace exercise10
