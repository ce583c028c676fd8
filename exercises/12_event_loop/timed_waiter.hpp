// Exercise 12: a timeout on a wait, raised in the waiting greenlet.
//
// Chapter 12's greenlets wait on the hub for their replies with a Waiter; a reply that never comes
// (a server that hangs) leaves one waiting for ever. gevent's answer is `Timeout`: a timer on the
// loop that, if it fires first, raises in the waiting greenlet. Add one to the waiter.
#pragma once

#include "todo.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/greenlet.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>

namespace exercise12 {

// What get() raises in the waiting greenlet when nothing was handed over in time.
class Timeout : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A waiter with a deadline. One greenlet at a time waits in get(); the hub's callbacks hand it a
// value (switch_to) or an error (throw_into). Whatever is handed over while no greenlet waits (too
// late: its wait timed out) is dropped.
class TimedWaiter {
public:
    TimedWaiter(workbook::EventLoop& loop, workbook::Greenlet& hub) : loop_(loop), hub_(hub) {}
    TimedWaiter(const TimedWaiter&) = delete;
    TimedWaiter& operator=(const TimedWaiter&) = delete;

    // From the hub: resumes the waiting greenlet with `value`; dropped if none waits.
    void switch_to(std::int64_t value) {
        // TODO: if a greenlet waits, forget it and switch to it with the value.
        exercises::todo("exercise 12: TimedWaiter::switch_to() must resume the waiting greenlet", value);
    }

    // From the hub: raises `error` in the waiting greenlet; dropped if none waits.
    void throw_into(std::exception_ptr error) {
        // TODO: if a greenlet waits, forget it and throw the error into it.
        exercises::todo("exercise 12: TimedWaiter::throw_into() must raise the error in the waiting greenlet", error);
    }

    // In a greenlet other than the hub: switches to the hub until a value comes (returned), an
    // error comes (raised), or `timeout` has passed with neither (Timeout raised, here). The timer
    // never outlives the wait: once the wait is over, it is cancelled. std::logic_error in the hub.
    std::int64_t get(std::chrono::microseconds timeout) {
        // TODO: remember the waiting greenlet, start a timer (loop_.call_later) that throws
        //       Timeout into it if it still waits, switch to the hub, and cancel the timer
        //       however the wait ends.
        exercises::todo("exercise 12: TimedWaiter::get() must wait on the hub, with a timer for the timeout", timeout,
                        loop_, hub_, waiting_);
    }

private:
    workbook::EventLoop& loop_;
    workbook::Greenlet& hub_;
    workbook::Greenlet* waiting_ = nullptr;  // the greenlet in get(), if any
};

}  // namespace exercise12
