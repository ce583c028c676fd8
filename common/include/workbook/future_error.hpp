/// \file
/// \brief The errors of workbook::Future and workbook::Task: CancelledError, TimeoutError and
///        InvalidStateError, asyncio's three (`asyncio.exceptions`).
#pragma once

#include <stdexcept>
#include <string>

namespace workbook {

/// What a cancelled Future or Task raises where it is awaited, and what Task::cancel() throws into
/// a task at its current `co_await` (asyncio's `CancelledError`). A task that catches it and goes
/// on is not cancelled; one that lets it out ends cancelled.
class CancelledError : public std::runtime_error {
public:
    CancelledError() : std::runtime_error("cancelled") {}
};

/// What wait_for() raises when its awaitable is not done within the time given (asyncio's
/// `TimeoutError`); the awaitable has been cancelled by then.
class TimeoutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A Future used against its state (asyncio's `InvalidStateError`): result() before it is done,
/// set_result() or set_exception() once it is.
class InvalidStateError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace workbook
