#include "workbook/counter.hpp"
#include "workbook/letter_types.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string_view>

using workbook::Letter;

TEST_CASE("every one of the 256 byte values is classified as the talk does") {
    constexpr std::string_view vowels = "aeiouAEIOU";
    int counted[3] = {};
    for (int byte = 0; byte < 256; ++byte) {
        auto c = static_cast<unsigned char>(byte);
        bool ascii_letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        Letter expected = vowels.find(static_cast<char>(c)) != std::string_view::npos ? Letter::vowel
                          : ascii_letter                                             ? Letter::consonant
                                                                                     : Letter::other;
        CHECK_MESSAGE(workbook::classify(c) == expected, "byte " << byte);
        ++counted[static_cast<int>(workbook::classify(c))];
    }
    CHECK(counted[0] == 10);
    CHECK(counted[1] == 42);
    CHECK(counted[2] == 204);
}

TEST_CASE("bytes from 0x80 up are others, whatever a locale would say") {
    for (int byte = 0x80; byte < 256; ++byte) CHECK(workbook::classify(static_cast<unsigned char>(byte)) == Letter::other);
}

TEST_CASE("letter types print as the talk's counts line and compare field by field") {
    workbook::LetterTypes counts{1439242, 2365799, 1785152};
    std::ostringstream out;
    out << counts;
    CHECK(out.str() == "vowels=1439242 consonants=2365799 others=1785152");
    CHECK(counts.total() == 5590193);
    CHECK(counts == workbook::LetterTypes{1439242, 2365799, 1785152});
    CHECK(counts != workbook::LetterTypes{1439242, 2365799, 1785153});
}

TEST_CASE("the reference count counts each byte once, by its class") {
    const unsigned char text[] = {'H', 'e', 'l', 'l', 'o', ',', ' ', 'W', 'o', 'r', 'l', 'd', '!', 0xE9, 0};
    CHECK(workbook::reference_count(text) == workbook::LetterTypes{3, 7, 5});
    CHECK(workbook::reference_count({}) == workbook::LetterTypes{});
}

TEST_CASE("a counter counts its calls and keeps its name") {
    workbook::Counter vowel{"vowel"};
    vowel('a');
    vowel('e');
    vowel(0xFF);
    CHECK(vowel.count == 3);
    CHECK(vowel.name == "vowel");
}
