/// \file
/// \brief inline_callbacks(), Twisted's `inlineCallbacks`: a generator that yields Deferreds and is
///        resumed with each one's result, or thrown its error, driven to a Deferred of its own.
///
/// The driver is chapter 06's trampoline once more. Chapter 06's loop resumes whichever routine the
/// last one yielded (`current = current.next()`); this loop resumes the one generator with the
/// result of the Deferred it yielded (`result = generator.send(result)`). A Deferred that has
/// already fired is taken by going round the loop, not by a nested call, so a generator that yields
/// any number of fired Deferreds runs at one stack depth: the reason Twisted's `_inlineCallbacks`
/// keeps its `waiting` flag ("manually unfolding the recursion"). A Deferred that has not fired
/// ends the loop; when it fires, its chain starts the loop again: the trampoline's bounce, with the
/// event loop in between.
#pragma once

#include "workbook/deferred.hpp"
#include "workbook/deferred_error.hpp"
#include "workbook/generator.hpp"

#include <any>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace workbook {

/// A generator for inline_callbacks(): it yields `Deferred<T>`s, each `co_yield` gives the result
/// of the Deferred it yielded (a `T`), and it `co_return`s the `R` of the Deferred that
/// inline_callbacks() returns. (Twisted's `deferredGenerator` was inlineCallbacks' predecessor.)
///
/// \code
/// using Steps = workbook::DeferredGenerator<int, int>;  // yields Deferred<int>s, returns an int
/// Steps add_one(workbook::Deferred<int> later) {
///     int n = co_yield std::move(later);  // waits for later to fire
///     co_return n + 1;
/// }
/// \endcode
template <typename T, typename R>
using DeferredGenerator = Generator<Deferred<T>, T, R>;

/// \cond detail
namespace detail {

template <typename T, typename R>
class InlineCallbacksDriver : public std::enable_shared_from_this<InlineCallbacksDriver<T, R>> {
public:
    explicit InlineCallbacksDriver(DeferredGenerator<T, R> generator) : generator_(std::move(generator)) {}

    const Deferred<R>& result() const noexcept { return result_; }

    // The trampoline: resumes the generator with `value` (or throws `error` into it), and goes
    // round for as long as what it yields has fired already.
    void run(std::any value, std::exception_ptr error) {
        for (;;) {
            std::optional<Deferred<T>> yielded;
            try {
                yielded = resume(std::move(value), std::move(error));
            } catch (...) {
                result_.errback(std::current_exception());  // uncaught in the generator: the errback branch
                return;
            }
            if (!yielded) return finish();
            arrived_ = false;
            waiting_ = true;
            try {
                if (!*yielded) throw DeferredError("inline_callbacks(): the generator yielded an empty Deferred");
                DeferredAccess::state(*yielded)->hand_on(
                    typeid(T), [self = this->shared_from_this()](std::any&& result, std::exception_ptr failure) {
                        self->arrive(std::move(result), std::move(failure));
                    });
            } catch (...) {
                waiting_ = false;
                value = std::any{};
                error = std::current_exception();  // thrown into the generator, at its co_yield
                continue;
            }
            waiting_ = false;
            if (!arrived_) return;  // not fired yet: its chain calls arrive() when it is
            value = std::move(value_);
            error = std::exchange(error_, nullptr);
        }
    }

private:
    std::optional<Deferred<T>> resume(std::any value, std::exception_ptr error) {
        if (error) return generator_.throw_into(std::move(error));
        if (!std::exchange(started_, true)) return generator_.next();
        if constexpr (std::is_void_v<T>) {
            return generator_.next();
        } else {
            return generator_.send(std::move(*std::any_cast<T>(&value)));
        }
    }

    // The yielded Deferred has fired: inside run()'s loop (it had fired already), leave the result
    // for the loop; later, start the loop again.
    void arrive(std::any&& value, std::exception_ptr error) {
        if (waiting_) {
            value_ = std::move(value);
            error_ = std::move(error);
            arrived_ = true;
        } else {
            run(std::move(value), std::move(error));
        }
    }

    void finish() {
        if constexpr (std::is_void_v<R>) {
            result_.callback();
        } else {
            result_.callback(std::move(generator_.result()));
        }
    }

    DeferredGenerator<T, R> generator_;
    Deferred<R> result_;
    std::any value_;
    std::exception_ptr error_;
    bool started_ = false;
    bool waiting_ = false;  // inside run(), handing the yielded Deferred its last link
    bool arrived_ = false;  // ... and it fired during that
};

}  // namespace detail
/// \endcond

/// Twisted's `inlineCallbacks`: runs `generator` now, up to the first Deferred it yields that has
/// not fired, and returns the Deferred of its result. Each Deferred it yields is given one last
/// link, which resumes the generator with its result (the value of the `co_yield`) or throws its
/// error there, where the generator may catch it; that Deferred's chain is left with nothing, so
/// an error handed to the generator is never reported as unhandled. What the generator
/// `co_return`s fires the returned Deferred; an exception it does not catch goes to the returned
/// Deferred's errbacks.
///
/// While it waits, the generator is kept alive by the Deferred it waits for; if that Deferred is
/// destroyed without firing, the generator is destroyed with it (closed: GeneratorExit at its
/// `co_yield`), and the returned Deferred never fires. Yield temporaries (`co_yield f()`), as
/// Twisted code does: a Deferred kept in a local of the generator would keep itself alive.
///
/// \code
/// workbook::DeferredGenerator<int, int> sum_of(workbook::Deferred<int> a, workbook::Deferred<int> b) {
///     int x = co_yield std::move(a);
///     int y = co_yield std::move(b);
///     co_return x + y;
/// }
/// void example() {
///     workbook::Deferred<int> a, b;
///     workbook::inline_callbacks(sum_of(a, b)).add_callback([](int sum) { std::printf("%d\n", sum); });
///     a.callback(1);
///     b.callback(2);  // prints 3
/// }
/// \endcode
template <typename T, typename R>
Deferred<R> inline_callbacks(DeferredGenerator<T, R> generator) {
    auto driver = std::make_shared<detail::InlineCallbacksDriver<T, R>>(std::move(generator));
    Deferred<R> result = driver->result();
    driver->run(std::any{}, nullptr);
    return result;
}

}  // namespace workbook
