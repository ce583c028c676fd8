/// \file
/// \brief GeneratorExit, what close() raises inside a Generator, and GeneratorError, its misuse.
#pragma once

#include <stdexcept>

namespace workbook {

/// What close() raises at the pending `co_yield`, like Python's `GeneratorExit`; so does destroying
/// a suspended generator (PEP 342's finaliser). Deliberately not derived from `std::exception`, as
/// Python's is not an `Exception`, so that a body's `catch (const std::exception&)` does not
/// swallow a close by accident; catch it only to clean up, then let it go (or `co_return`).
///
/// \code
/// workbook::Generator<int> numbers() {
///     try {
///         for (int i = 0;; ++i) co_yield i;
///     } catch (const workbook::GeneratorExit&) {
///         std::puts("closed");  // cleanup; then the exit goes on to close() or the destructor
///         throw;
///     }
/// }
/// \endcode
struct GeneratorExit {
    /// A short description, for messages; GeneratorExit is not a `std::exception`.
    ///
    /// \code
    /// catch (const workbook::GeneratorExit& exit) { log(exit.what()); throw; }
    /// \endcode
    const char* what() const noexcept { return "generator exit"; }
};

/// Misuse of a generator: sending into one that has not started, resuming one that is already
/// executing, one that ignored close(), or an empty (moved-from) one. A logic error, as in Python
/// (`ValueError`, `TypeError`, `RuntimeError`): the program, not its input, is wrong.
///
/// \code
/// auto g = counter();  // not started yet
/// try {
///     g.send('a');
/// } catch (const workbook::GeneratorError& error) {
///     std::puts(error.what());  // send() into a generator that has not started: ...
/// }
/// \endcode
class GeneratorError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace workbook
