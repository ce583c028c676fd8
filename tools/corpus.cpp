// `workbook corpus [--size N]`: writes the generated default book to stdout, at any size, so a
// learner can look at it, or count it with another tool and compare.
#include "workbook/default_book.hpp"

#include <charconv>
#include <cstring>
#include <iostream>
#include <string_view>

int main(int argc, char** argv) {
    std::uint64_t size = workbook::default_book_size;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << "usage: workbook corpus [--size N]\n\n"
                         "Writes the first N bytes of the workbook's generated default book to standard output\n"
                         "(default N = " << workbook::default_book_size << ", the size of the talk's book).\n"
                         "The text is the same on every machine; any N works, it is written in chunks.\n";
            return 0;
        }
        if (arg == "--size" && i + 1 < argc) {
            std::string_view text = argv[++i];
            auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), size);
            if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
                std::cerr << "workbook corpus: --size needs a whole number of bytes, got '" << text
                          << "'; usage: workbook corpus [--size N]\n";
                return 2;
            }
            continue;
        }
        std::cerr << "workbook corpus: unknown option '" << arg << "'; usage: workbook corpus [--size N]\n";
        return 2;
    }
    std::ios::sync_with_stdio(false);
    workbook::write_default_book(std::cout, size);
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "workbook corpus: cannot write to standard output: " << std::strerror(errno) << '\n';
        return 1;
    }
    return 0;
}
