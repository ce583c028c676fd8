/// \file
/// \brief DeferredError, misuse of a workbook::Deferred, and AlreadyCalledError, firing one twice
///        (Twisted's `AlreadyCalledError`).
#pragma once

#include <stdexcept>

namespace workbook {

/// Misuse of a workbook::Deferred: an empty (moved-from) handle, an empty error, a callback that
/// returns the Deferred it was added to, or a handle whose type is no longer that of the chain's
/// end (an add_callback() changed it: use the handle that add_callback() returned). A logic error:
/// the program, not its input, is wrong.
///
/// \code
/// workbook::Deferred<int> d;
/// auto text = d.add_callback([](int n) { return std::to_string(n); });  // the chain now ends in a string
/// try {
///     d.add_callback([](int n) { return n + 1; });  // d still says int
/// } catch (const workbook::DeferredError& error) {
///     std::puts(error.what());
/// }
/// \endcode
class DeferredError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// Firing a Deferred that has already been fired: a Deferred gets one result or one error, once,
/// as in Twisted, whose `callback()` and `errback()` raise `AlreadyCalledError` the second time.
///
/// \code
/// workbook::Deferred<int> d;
/// d.callback(1);
/// try {
///     d.callback(2);
/// } catch (const workbook::AlreadyCalledError&) {
///     std::puts("fired once only");
/// }
/// \endcode
class AlreadyCalledError : public DeferredError {
public:
    using DeferredError::DeferredError;
};

}  // namespace workbook
