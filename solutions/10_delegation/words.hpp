// Exercise 10: refactoring with delegation, keeping send() and throw working (reference solution).
//
// The talk's PEP 380 example refactors a pull-only generator: the inner loop moves into a
// subgenerator and the outer one says `yield from`. The promise of PEP 380 is bigger: "the
// subgenerator also handles .send(), .throw() and .close() calls [...] without extra scaffolding".
// Here a generator that receives items and catches a thrown Restart is split in two, and its caller
// cannot tell the difference.
#pragma once

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
    std::uint64_t letters = 0;
    while (true) {
        Item c = co_yield letters;  // send() reaches this co_yield directly, through words()
        if (!is_letter(c)) co_return Word{letters, c};
        ++letters;
    }
}

// words_in_one_piece(), refactored: for each word it delegates to a new word() with yield_from, and
// keeps only what is left: collecting the lengths, restarting on Restart, returning at KILL. To its
// caller it behaves exactly like words_in_one_piece(): same yields, same sends, same result.
inline Counting<std::vector<std::uint64_t>> words() {
    std::vector<std::uint64_t> lengths;
    while (true) {
        Word w;
        try {
            w = co_yield workbook::yield_from(word());
        } catch (const Restart&) {
            // Thrown in at word()'s co_yield, it left word() (which does not catch it) and arrives
            // here; word()'s frame is gone, and the next one starts afresh.
            continue;
        }
        if (w.letters > 0) lengths.push_back(w.letters);
        if (w.end == KILL) co_return lengths;
    }
}

}  // namespace exercise10
