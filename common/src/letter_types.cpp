#include "workbook/letter_types.hpp"

namespace workbook {

LetterTypes reference_count(Events events) noexcept {
    // Count per byte value first, then fold the 256 counts into three: the inner loop has no branch
    // and no dispatch, so this is the floor every chapter is measured against.
    std::array<std::uint64_t, 256> per_byte{};
    for (unsigned char c : events) ++per_byte[c];
    LetterTypes counts;
    for (std::size_t byte = 0; byte < per_byte.size(); ++byte) {
        switch (classify(static_cast<unsigned char>(byte))) {
            case Letter::vowel: counts.vowels += per_byte[byte]; break;
            case Letter::consonant: counts.consonants += per_byte[byte]; break;
            case Letter::other: counts.others += per_byte[byte]; break;
        }
    }
    return counts;
}

}  // namespace workbook
