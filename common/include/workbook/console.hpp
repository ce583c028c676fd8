/// \file
/// \brief Console, Python 2's `print "A",` for the talk's routines (chapters 06 and 07).
#pragma once

#include <ostream>

namespace workbook {

/// Python 2's `print "A",`: prints its words, and a space *before* whatever is printed next (the
/// "softspace"), so the talk's routines print `A C B D` with no space at either end.
///
/// \code
/// workbook::Console console(std::cout);
/// console.print("A", 'x');  // print "A", data,
/// console.print("C");       // print "C",
/// std::cout << '\n';        // prints: A x C
/// \endcode
class Console {
public:
    /// A console that prints to `out`, which must outlive it.
    explicit Console(std::ostream& out) : out_(out) {}

    /// Prints each of `words` with `<<`, each after a space unless it is the first thing printed.
    template <typename... Words>
    void print(const Words&... words) {
        ((out_ << (softspace_ ? " " : "") << words, softspace_ = true), ...);
    }

private:
    std::ostream& out_;
    bool softspace_ = false;
};

}  // namespace workbook
