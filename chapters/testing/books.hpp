// Small books the tests count: every byte value, and the bytes of a string.
#pragma once

#include "workbook/letter_types.hpp"

#include <string_view>
#include <vector>

namespace workbook::testing {

// Every byte value `repeats` times, each round in another order (`byte * 7 + round`), so that any
// byte can follow any other: no value may be taken for a sentinel, and none may be miscounted.
inline std::vector<unsigned char> every_byte_value(int repeats = 1) {
    std::vector<unsigned char> bytes;
    for (int r = 0; r < repeats; ++r) {
        for (int byte = 0; byte < 256; ++byte) bytes.push_back(static_cast<unsigned char>((byte * 7 + r) & 0xFF));
    }
    return bytes;
}

// The bytes of `text` as events (no copy: `text` must outlive them).
inline Events bytes_of(std::string_view text) {
    return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace workbook::testing
