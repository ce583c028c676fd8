/// \file
/// \brief LetterTypes, the three totals every chapter returns, and the classifier that fills them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>

/// The workbook's library, `common/`: what every chapter shares (the book, the classifier, the
/// counters, the runner) and the two coroutine types built for the course, Generator and Greenlet.
/// The course's page \ref library introduces it.
namespace workbook {

/// The events of a run: the bytes of a book, one event per byte, as in the talk's Python 2.
/// A view, not a copy: the Book owns the bytes.
///
/// \code
/// const unsigned char bytes[] = {'H', 'i', '!'};
/// workbook::Events events{bytes};
/// for (unsigned char c : events) std::cout << c;  // Hi!
/// \endcode
using Events = std::span<const unsigned char>;

/// The three classes of event the talk dispatches on: which counter an event goes to.
///
/// \code
/// switch (workbook::classify('x')) {
///     case workbook::Letter::vowel: std::puts("vowel"); break;
///     case workbook::Letter::consonant: std::puts("consonant"); break;  // this one
///     case workbook::Letter::other: std::puts("other"); break;
/// }
/// \endcode
enum class Letter : std::uint8_t {
    vowel,      ///< one of `aeiouAEIOU`
    consonant,  ///< any other ASCII letter
    other,      ///< any other byte, 0-255
};

namespace detail {
constexpr std::array<Letter, 256> make_letter_table() {
    std::array<Letter, 256> table{};
    for (auto& entry : table) entry = Letter::other;
    for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = Letter::consonant;
    for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = Letter::consonant;
    for (unsigned char c : {'a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'}) table[c] = Letter::vowel;
    return table;
}
inline constexpr std::array<Letter, 256> letter_table = make_letter_table();
}  // namespace detail

/// Classifies one byte exactly as the talk does: a vowel is one of `aeiouAEIOU`, a consonant is
/// any other ASCII letter, and every other byte value (0-255, bytes >= 0x80 included) is "other".
///
/// \code
/// static_assert(workbook::classify('e') == workbook::Letter::vowel);
/// static_assert(workbook::classify(0xE9) == workbook::Letter::other);  // no locale, just bytes
/// \endcode
constexpr Letter classify(unsigned char byte) noexcept { return detail::letter_table[byte]; }

/// The counts of one run, the talk's `LetterTypes(vowel, consonant, other)`.
///
/// \code
/// workbook::LetterTypes counts{1, 2, 3};
/// std::cout << counts;  // vowels=1 consonants=2 others=3
/// \endcode
struct LetterTypes {
    std::uint64_t vowels = 0;      ///< events that are one of `aeiouAEIOU`
    std::uint64_t consonants = 0;  ///< events that are any other ASCII letter
    std::uint64_t others = 0;      ///< every other event

    /// All events counted.
    constexpr std::uint64_t total() const noexcept { return vowels + consonants + others; }
    /// Adds one event of class `letter`.
    constexpr void add(Letter letter) noexcept {
        switch (letter) {
            case Letter::vowel: ++vowels; break;
            case Letter::consonant: ++consonants; break;
            case Letter::other: ++others; break;
        }
    }
    /// Two runs agree when all three counts are equal.
    friend constexpr bool operator==(const LetterTypes&, const LetterTypes&) = default;
    /// Prints the talk's counts line: `vowels=N consonants=N others=N`.
    friend std::ostream& operator<<(std::ostream& out, const LetterTypes& counts) {
        return out << "vowels=" << counts.vowels << " consonants=" << counts.consonants
                   << " others=" << counts.others;
    }
};

/// The reference count every chapter is checked against: one table look-up per byte, no dispatch.
/// It is also the floor of the benchmark: what counting costs when reaching a counter costs nothing.
///
/// \code
/// auto book = workbook::Book::default_book();
/// std::cout << workbook::reference_count(book.events());  // vowels=1452753 consonants=2361642 others=1775798
/// \endcode
LetterTypes reference_count(Events events) noexcept;

}  // namespace workbook
