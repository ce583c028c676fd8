// Chapter 12's Waiter, after gevent's: the one place where a greenlet waiting on the hub and the
// loop's callback meet. The greenlet calls get(), which switches to the hub; the callback, run by
// the loop on the hub, calls switch_to(value) or throw_into(error), which switches back to the
// greenlet with the value, or raises the error in it. A value or an error that arrives before
// get() is kept, and get() returns (or raises) it without switching.
#pragma once

#include "workbook/greenlet.hpp"

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>

namespace workbook::chapter12 {

class Waiter {
public:
    explicit Waiter(Greenlet& hub) noexcept : hub_(hub) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;

    // From the hub: hands `value` to the waiting greenlet (resuming it), or keeps it for get().
    void switch_to(std::int64_t value) {
        if (waiting_ == nullptr) {
            value_ = value;
            return;
        }
        take()->switch_to(value);
    }
    // From the hub: raises `error` in the waiting greenlet, or keeps it for get().
    void throw_into(std::exception_ptr error) {
        if (waiting_ == nullptr) {
            error_ = std::move(error);
            return;
        }
        take()->throw_into(std::move(error));
    }
    // In the waiting greenlet: what the hub hands over, switching to the hub until it does.
    std::int64_t get() {
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
        if (value_) return *std::exchange(value_, std::nullopt);
        if (&Greenlet::current() == &hub_) throw std::logic_error("Waiter::get: the hub cannot wait on itself");
        waiting_ = &Greenlet::current();
        return hub_.switch_to<std::int64_t>();
    }
    // Whether a greenlet is suspended in get().
    bool waiting() const noexcept { return waiting_ != nullptr; }

private:
    Greenlet* take() noexcept { return std::exchange(waiting_, nullptr); }

    Greenlet& hub_;
    Greenlet* waiting_ = nullptr;
    std::optional<std::int64_t> value_;
    std::exception_ptr error_;
};

}  // namespace workbook::chapter12
