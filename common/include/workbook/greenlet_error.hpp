/// \file
/// \brief GreenletError, misuse of a greenlet (greenlet's `TypeError` and `greenlet.error`).
#pragma once

#include <stdexcept>

namespace workbook {

/// Misuse of a greenlet: a value of the wrong type received, a value sent to start a function
/// that takes no argument, a switch to a greenlet of another thread (or of a thread that has
/// ended), a parent that would close a cycle, a dead greenlet with no live ancestor left.
/// A logic error: the program, not its input, is wrong. Where greenlet raises `TypeError` (a value
/// its `run` cannot take) this is raised the same way: in the greenlet being started, which dies
/// of it, so it goes to that greenlet's parent.
///
/// \code
/// workbook::Greenlet g{[](int x) { return x + 1; }};
/// try {
///     g.switch_to<int>(std::string("one"));  // run takes an int
/// } catch (const workbook::GreenletError& error) {
///     std::puts(error.what());  // greenlet received std::__cxx11::basic_string<...>, expected int
/// }
/// \endcode
class GreenletError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace workbook
