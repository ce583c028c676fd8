// Exercise 12: a timeout on a wait, raised in the waiting greenlet (reference solution).
//
// Chapter 12's greenlets wait on the hub for their replies with a Waiter; a reply that never comes
// (a server that hangs) leaves one waiting for ever. gevent's answer is `Timeout`: a timer on the
// loop that, if it fires first, raises in the waiting greenlet. Here the waiter has one: the timer
// and the reply race on the loop, and whichever comes first takes the waiting greenlet, so the
// other finds nobody waiting and does nothing.
#pragma once

#include "workbook/event_loop.hpp"
#include "workbook/greenlet.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <utility>

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
        if (waiting_ != nullptr) std::exchange(waiting_, nullptr)->switch_to(value);
    }

    // From the hub: raises `error` in the waiting greenlet; dropped if none waits.
    void throw_into(std::exception_ptr error) {
        if (waiting_ != nullptr) std::exchange(waiting_, nullptr)->throw_into(std::move(error));
    }

    // In a greenlet other than the hub: switches to the hub until a value comes (returned), an
    // error comes (raised), or `timeout` has passed with neither (Timeout raised, here). The timer
    // never outlives the wait: once the wait is over, it is cancelled. std::logic_error in the hub.
    std::int64_t get(std::chrono::microseconds timeout) {
        if (&workbook::Greenlet::current() == &hub_) throw std::logic_error("TimedWaiter::get: the hub cannot wait on itself");
        waiting_ = &workbook::Greenlet::current();
        const auto timer = loop_.call_later(timeout, [this, timeout] {
            throw_into(std::make_exception_ptr(Timeout("nothing came within " + std::to_string(timeout.count()) + " us")));
        });
        try {
            const std::int64_t value = hub_.switch_to<std::int64_t>();
            loop_.cancel(timer);
            return value;
        } catch (...) {  // the timeout, an error handed over, or GreenletExit: the wait is over all the same
            loop_.cancel(timer);
            waiting_ = nullptr;
            throw;
        }
    }

private:
    workbook::EventLoop& loop_;
    workbook::Greenlet& hub_;
    workbook::Greenlet* waiting_ = nullptr;  // the greenlet in get(), if any
};

}  // namespace exercise12
