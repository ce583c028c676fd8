/// \file
/// \brief The generated default book: English-like text, the same bytes on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>

namespace workbook {

/// The default book's size: 5,590,193 bytes, the size of the talk's Complete Works.
///
/// \code
/// assert(workbook::Book::default_book().size() == workbook::default_book_size);
/// \endcode
inline constexpr std::size_t default_book_size = 5'590'193;

/// Writes an endless, deterministic, English-like text: verse lines of common words, speakers'
/// names in capitals, punctuation, CRLF line ends and blank lines, in roughly the proportions of
/// the talk's book (vowels 25.7 %, consonants 42.3 %, others 31.9 %).
///
/// The workbook cannot ship Shakespeare, so it ships this. Only integer arithmetic on a
/// 64-bit PRNG of our own is used (no `std::` distributions, whose results differ between
/// standard libraries), so every machine and compiler produces the same bytes.
///
/// \code
/// workbook::BookWriter writer;
/// std::vector<unsigned char> first(1000);
/// writer.fill(first);            // the first 1000 bytes of the default book
/// \endcode
class BookWriter {
public:
    /// Fills `out` with the next bytes of the text.
    void fill(std::span<unsigned char> out);

private:
    std::uint64_t next_random();
    void compose_line();

    std::uint64_t state_ = 0x5745494748544C53ull;  // "WEIGHTLS"
    std::string line_;                             // the line being handed out
    std::size_t line_pos_ = 0;
    int lines_left_in_speech_ = 0;
};

/// Writes the first `size` bytes of the default book to `out`, in chunks, so any size fits.
/// `./workbook corpus --size N` is this function.
///
/// \code
/// std::ofstream file("book.txt", std::ios::binary);
/// workbook::write_default_book(file, 1'000'000);  // the first million bytes
/// \endcode
void write_default_book(std::ostream& out, std::uint64_t size);

}  // namespace workbook
