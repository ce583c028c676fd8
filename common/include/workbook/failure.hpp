/// \file
/// \brief Failure, the error an errback receives (Twisted's `twisted.python.failure.Failure`).
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace workbook {

/// The error travelling down a workbook::Deferred's errback branch: the exception a callback threw
/// (or errback() was given), kept as a `std::exception_ptr`. An errback recovers by returning a
/// value, and stays on the errback branch by throwing, for example with rethrow() or trap().
///
/// \code
/// workbook::Deferred<int> d;
/// d.add_errback([](const workbook::Failure& failure) {
///     failure.trap<std::out_of_range>();  // anything else goes on down the errback branch
///     return 0;                          // an out_of_range becomes the result 0
/// });
/// d.errback(std::out_of_range("no such counter"));
/// \endcode
class Failure {
public:
    /// Wraps `error`, which must not be null.
    ///
    /// \code
    /// workbook::Failure failure(std::make_exception_ptr(std::runtime_error("lost")));
    /// \endcode
    explicit Failure(std::exception_ptr error) : error_(std::move(error)) {
        if (!error_) throw std::invalid_argument("workbook::Failure needs an exception");
    }

    /// The exception itself.
    ///
    /// \code
    /// workbook::Failure failure(std::make_exception_ptr(std::runtime_error("lost")));
    /// std::exception_ptr error = failure.error();
    /// \endcode
    const std::exception_ptr& error() const noexcept { return error_; }

    /// Throws the exception again: from an errback, the error goes on down the errback branch
    /// (Twisted's errback returning its Failure, or `failure.raiseException()`).
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.add_errback([](const workbook::Failure& failure) -> int { failure.rethrow(); });
    /// \endcode
    [[noreturn]] void rethrow() const { std::rethrow_exception(error_); }

    /// Whether the exception is an `E` (or derived from it): Twisted's `failure.check(E)`.
    ///
    /// \code
    /// workbook::Failure failure(std::make_exception_ptr(std::out_of_range("no")));
    /// assert(failure.check<std::logic_error>());
    /// \endcode
    template <typename E>
    bool check() const noexcept {
        try {
            std::rethrow_exception(error_);
        } catch (const E&) {
            return true;
        } catch (...) {
            return false;
        }
    }

    /// Rethrows the exception unless it is an `E`: Twisted's `failure.trap(E)`, an errback's
    /// `except E:` that lets every other error go on.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.add_errback([](const workbook::Failure& failure) {
    ///     failure.trap<std::out_of_range>();
    ///     return -1;
    /// });
    /// \endcode
    template <typename E>
    void trap() const {
        if (!check<E>()) rethrow();
    }

    /// The exception's message (`what()`), or a phrase saying it is not a `std::exception`.
    ///
    /// \code
    /// workbook::Failure failure(std::make_exception_ptr(std::runtime_error("lost")));
    /// std::puts(failure.what().c_str());  // lost
    /// \endcode
    std::string what() const {
        try {
            std::rethrow_exception(error_);
        } catch (const std::exception& error) {
            return error.what();
        } catch (...) {
            return "an exception not derived from std::exception";
        }
    }

private:
    std::exception_ptr error_;
};

}  // namespace workbook
