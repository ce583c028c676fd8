#include "workbook/book.hpp"
#include "workbook/default_book.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

// FNV-1a: a fingerprint of the bytes, to pin the book without shipping it.
std::uint64_t fingerprint(workbook::Events bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) hash = (hash ^ c) * 0x100000001b3ull;
    return hash;
}

}  // namespace

TEST_CASE("the default book has the talk's size and pinned counts and bytes, on every machine") {
    auto book = workbook::Book::default_book();
    CHECK(book.size() == 5'590'193);
    // Pinned: a change to the generator, the compiler or the platform that changes one byte fails
    // here, since every chapter's documented output depends on these bytes.
    CHECK(workbook::reference_count(book.events()) == workbook::LetterTypes{1452753, 2361642, 1775798});
    CHECK(fingerprint(book.events()) == 0xb42ea42de58fc5faull);
}

TEST_CASE("the default book is the same twice") {
    auto first = workbook::Book::default_book(100'000);
    auto second = workbook::Book::default_book(100'000);
    CHECK(std::equal(first.events().begin(), first.events().end(), second.events().begin(), second.events().end()));
}

TEST_CASE("the default book reads like English verse in the talk's proportions") {
    auto book = workbook::Book::default_book();
    auto counts = workbook::reference_count(book.events());
    auto share = [&](std::uint64_t n) { return 100.0 * static_cast<double>(n) / static_cast<double>(counts.total()); };
    CHECK(share(counts.vowels) == doctest::Approx(25.7).epsilon(0.02));
    CHECK(share(counts.consonants) == doctest::Approx(42.3).epsilon(0.02));
    CHECK(share(counts.others) == doctest::Approx(31.9).epsilon(0.02));
    std::string text(reinterpret_cast<const char*>(book.events().data()), 400);
    CHECK(text.starts_with("\r\n  "));              // a play: a blank line, then a speaker
    CHECK(text.find(". ") != std::string::npos);    // "  HAMLET. Words..."
    CHECK(text.find("\r\n") != std::string::npos);  // the talk's book has CRLF line ends
}

TEST_CASE("a prefix of the default book is the same bytes, whatever the chunk sizes") {
    workbook::BookWriter one_go, in_pieces;
    std::vector<unsigned char> whole(50'000), pieces(50'000);
    one_go.fill(whole);
    std::size_t at = 0;
    for (std::size_t piece = 1; at < pieces.size(); piece = piece * 3 + 1) {
        std::size_t n = std::min(piece, pieces.size() - at);
        in_pieces.fill({pieces.data() + at, n});
        at += n;
    }
    CHECK(whole == pieces);
    auto book = workbook::Book::default_book(50'000);
    CHECK(std::equal(whole.begin(), whole.end(), book.events().begin()));
}

TEST_CASE("the corpus writer writes exactly the size asked for") {
    for (std::uint64_t size : {0ull, 1ull, 65'535ull, 65'536ull, 200'001ull}) {
        std::ostringstream out;
        workbook::write_default_book(out, size);
        CHECK(out.str().size() == size);
        auto book = workbook::Book::default_book(static_cast<std::size_t>(size));
        CHECK(out.str() == std::string(reinterpret_cast<const char*>(book.events().data()), book.size()));
    }
}
