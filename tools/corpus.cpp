// `workbook corpus [--size N]`: writes the generated default book to stdout, at any size, so a
// learner can look at it, or count it with another tool and compare.
#include "workbook/command_line.hpp"
#include "workbook/default_book.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"Writes the first N bytes of the workbook's generated default book to standard output.\n"
                 "The text is the same on every machine; any N works, it is written in chunks.",
                 "workbook corpus"};
    workbook::apply_conventions(app);
    std::uint64_t size = workbook::default_book_size;
    app.add_option("--size", size,
                   "write N bytes (default " + std::to_string(workbook::default_book_size) +
                       ", the size of the talk's book)")
        ->type_name("N")
        ->transform(workbook::whole_number(0));
    if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;

    std::ios::sync_with_stdio(false);
    workbook::write_default_book(std::cout, size);
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "workbook corpus: cannot write to standard output: " << std::strerror(errno) << '\n';
        return 1;
    }
    return 0;
}
