/// \file
/// \brief Deferred, Twisted's `Deferred`: a result that is not there yet, and one chain of
///        callbacks and errbacks that runs once it is.
///
/// Twisted's rules, from `twisted/internet/defer.py` and its Deferred howto, carried over:
///
/// - Callbacks and errbacks make one chain of pairs, run in the order they were added. A result
///   goes to the next callback, an error to the next errback; the other half of the pair is
///   skipped. A callback that throws switches to the errback branch; an errback that returns a
///   value switches back to the callbacks (Python's `except:` that does not re-raise).
/// - A callback (or errback) that returns another Deferred pauses the chain until that one fires;
///   the chain then goes on with its result or its error (Twisted's chaining).
/// - A Deferred fires once: a second callback() or errback() is an AlreadyCalledError.
/// - An error left at the end of the chain when the Deferred is destroyed is reported, one line on
///   stderr (`Unhandled error in workbook::Deferred: ...`, Twisted logs "Unhandled error in
///   Deferred"), never thrown from the destructor.
///
/// **Why this shape.** Twisted's chain is untyped: each link receives whatever the one before it
/// returned. A typed C++ chain could make every link take and return a type-erased value (every
/// callback's first line a cast, the lesson lost under them), or make each `then()` a new object,
/// as JavaScript's promises do, which splits Twisted's one chain into many, each with its own
/// unhandled error. The workbook keeps Twisted's one chain and types the *handles* on it: the chain
/// holds its current result type-erased (a `std::any`, or the error), and a `Deferred<T>` says that
/// the chain it refers to ends in a `T`. `add_callback(f)` with `f: T -> U` appends to that same
/// chain and returns the handle `Deferred<U>` on it, as Twisted's `addCallback` returns the
/// Deferred itself; when `U` is `T`, the returned handle may be ignored, as Twisted's usually is.
/// A handle whose `T` is no longer the type of the chain's end is refused at once (DeferredError),
/// never misread. The chain keeps the type it was made with for firing: callback() takes that one.
///
/// Copies of a Deferred are handles on the same chain (Python's references); the chain lives as
/// long as its last handle or the last pending link that will resume it. A Deferred belongs to one
/// thread, as Twisted's belong to the reactor's. Its cost: one allocation for the chain, and a
/// `std::function` per half of each pair, called once.
///
/// Every rule, with where it comes from in Twisted and the test that proves it: \ref promises.
#pragma once

#include "workbook/deferred_error.hpp"
#include "workbook/failure.hpp"

#include <any>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

namespace workbook {

template <typename T>
class Deferred;

/// \cond detail
namespace detail {

// The type of the end of a chain whose result went on to another Deferred or to a generator
// (Twisted leaves None there): no handle has this type, so none can add to it any more.
struct Consumed {};

// What a callback `F` of a chain ending in `T` returns (it takes nothing when `T` is void).
template <typename T, typename F>
struct CallbackResult : std::invoke_result<F&, T&&> {};
template <typename F>
struct CallbackResult<void, F> : std::invoke_result<F&> {};
template <typename T, typename F>
inline constexpr bool takes_result = std::is_invocable_v<F&, T&&>;
template <typename F>
inline constexpr bool takes_result<void, F> = std::is_invocable_v<F&>;

template <typename R>
struct Unwrap {
    using type = R;
    static constexpr bool chained = false;
};
template <typename V>
struct Unwrap<Deferred<V>> {
    using type = V;
    static constexpr bool chained = true;
};

inline void report_unhandled(const Failure& failure) noexcept {
    try {
        std::fprintf(stderr, "Unhandled error in workbook::Deferred: %s\n", failure.what().c_str());
    } catch (...) {
        std::fputs("Unhandled error in workbook::Deferred\n", stderr);
    }
}

// One chain, whatever its handles' types.
class DeferredState : public std::enable_shared_from_this<DeferredState> {
public:
    // What a link hands on: a result, an error, or another chain to wait for.
    struct Step {
        std::any value;
        std::exception_ptr error;
        std::shared_ptr<DeferredState> chained;
    };
    // One pair of the chain; an empty half passes the result (or the error) on unchanged.
    struct Link {
        std::function<Step(std::any&&)> on_value;
        std::function<Step(const Failure&)> on_error;
    };

    DeferredState(std::type_index head, std::type_index tail) : head_(head), tail_(tail) {}
    DeferredState(const DeferredState&) = delete;
    DeferredState& operator=(const DeferredState&) = delete;
    ~DeferredState() {
        if (error_) report_unhandled(Failure(error_));
    }

    void fire(std::any value, std::exception_ptr error, std::type_index type) {
        if (type != head_) throw DeferredError("callback() with another type than the Deferred was made with");
        if (called_) throw AlreadyCalledError("this Deferred has already been fired");
        called_ = true;
        value_ = std::move(value);
        error_ = std::move(error);
        run();
    }

    // Appends a link to a chain that ends in `from`; from now on it ends in `to`.
    void append(std::type_index from, std::type_index to, Link link) {
        check_tail(from);
        links_.push_back(std::move(link));
        tail_ = to;
        run();
    }

    void check_tail(std::type_index type) const {
        if (type == tail_) return;
        if (tail_ == std::type_index(typeid(Consumed)))
            throw DeferredError("this Deferred's result went on to another Deferred or a generator: nothing can follow it");
        throw DeferredError("this handle's type is no longer the type of its chain's end: "
                            "add to the Deferred that add_callback() returned");
    }

    // Ends the chain with `done`, which receives its result or its error; the chain is left with
    // nothing (handled), as Twisted's chaining and inlineCallbacks leave None.
    void hand_on(std::type_index from, std::function<void(std::any&&, std::exception_ptr)> done) {
        auto both = std::make_shared<std::function<void(std::any&&, std::exception_ptr)>>(std::move(done));
        append(from, typeid(Consumed),
               Link{[both](std::any&& value) {
                        (*both)(std::move(value), nullptr);
                        return Step{};
                    },
                    [both](const Failure& failure) {
                        (*both)(std::any{}, failure.error());
                        return Step{};
                    }});
    }

    bool called() const noexcept { return called_; }

private:
    // Runs links until none is left or the chain waits for another one. Never re-entered: a link
    // that adds links or fires another Deferred whose chain resumes this one leaves the work to
    // this loop, which goes round.
    void run() {
        if (!called_ || running_ || paused_) return;
        running_ = true;
        const auto keep = shared_from_this();  // a link may drop the last handle on this chain
        while (!links_.empty() && !paused_) {
            Link link = std::move(links_.front());
            links_.pop_front();
            Step step;
            try {
                if (error_) {
                    if (!link.on_error) continue;  // no errback in this pair: the error goes on
                    step = link.on_error(Failure(std::exchange(error_, nullptr)));
                } else {
                    if (!link.on_value) continue;  // no callback in this pair: the result goes on
                    step = link.on_value(std::exchange(value_, std::any{}));
                }
            } catch (...) {
                step.error = std::current_exception();
            }
            if (step.chained.get() == this) {
                DeferredError loop("a callback returned the Deferred it was added to");
                step = {std::any{}, std::make_exception_ptr(loop), nullptr};
            }
            if (step.chained) {
                wait_for(std::move(step.chained));
            } else {
                value_ = std::move(step.value);
                error_ = std::move(step.error);
            }
        }
        running_ = false;
    }

    // Pauses until `other` fires, then goes on with its outcome. If it has fired already, its
    // outcome arrives at once, inside this call, and the loop above goes on without a pause.
    void wait_for(std::shared_ptr<DeferredState> other) {
        paused_ = true;
        other->hand_on(other->tail_, [self = shared_from_this()](std::any&& value, std::exception_ptr error) {
            self->value_ = std::move(value);
            self->error_ = std::move(error);
            self->paused_ = false;
            self->run();
        });
    }

    std::deque<Link> links_;
    std::any value_;
    std::exception_ptr error_;
    std::type_index head_;  // what callback() takes
    std::type_index tail_;  // what the last link hands on
    bool called_ = false;
    bool running_ = false;
    bool paused_ = false;
};

struct DeferredAccess {
    template <typename T>
    static const std::shared_ptr<DeferredState>& state(const Deferred<T>& deferred) { return deferred.live(); }
};

}  // namespace detail
/// \endcond

/// Twisted's Deferred: a result that is not there yet. Whoever will have it fires the Deferred once,
/// with callback() or errback(); whoever wants it adds callbacks and errbacks to its chain,
/// before or after it fires. `T` is the type of the result at the end of the chain as this handle
/// knows it (`void` for none: Python's None); see the file's comment for why the handles are typed.
///
/// \code
/// workbook::Deferred<int> d;
/// d.add_callback([](int n) { return n * 2; })
///     .add_callback([](int n) { return std::to_string(n); })
///     .add_callbacks([](const std::string& text) { std::puts(text.c_str()); },
///                    [](const workbook::Failure& failure) { std::puts(failure.what().c_str()); });
/// d.callback(21);  // prints 42
/// \endcode
template <typename T>
class Deferred {
    static_assert(!detail::Unwrap<T>::chained, "a Deferred of a Deferred: return the inner one from a callback instead");
    static_assert(std::is_void_v<T> || std::is_copy_constructible_v<T>,
                  "a Deferred's result type must be copyable (the chain keeps it in a std::any)");

public:
    /// The result type this handle knows the chain ends in.
    using value_type = T;

    /// A new Deferred, not fired, with an empty chain.
    ///
    /// \code
    /// workbook::Deferred<std::int64_t> count;
    /// \endcode
    Deferred() : state_(std::make_shared<detail::DeferredState>(typeid(T), typeid(T))) {}

    /// Fires the Deferred with `value`: the chain runs now, and every link added later runs as it
    /// is added. AlreadyCalledError if it has been fired before.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.callback(3);
    /// \endcode
    template <typename V = T>
        requires(!std::is_void_v<V>)
    void callback(std::type_identity_t<V> value) {  // not deduced: "text" fires a Deferred<std::string>
        live()->fire(std::any(std::move(value)), nullptr, typeid(T));
    }

    /// Fires a `Deferred<void>`: Twisted's `d.callback(None)`.
    ///
    /// \code
    /// workbook::Deferred<void> done;
    /// done.callback();
    /// \endcode
    void callback()
        requires std::is_void_v<T>
    {
        live()->fire(std::any{}, nullptr, typeid(T));
    }

    /// Fires the Deferred with an error: the chain's first errback receives it. DeferredError if
    /// `error` is null; AlreadyCalledError if the Deferred has been fired before.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.add_errback([](const workbook::Failure&) { return 0; });
    /// d.errback(std::make_exception_ptr(std::runtime_error("lost")));
    /// \endcode
    void errback(std::exception_ptr error) {
        if (!error) throw DeferredError("errback() needs an exception");
        live()->fire(std::any{}, std::move(error), typeid(T));
    }

    /// errback() with an exception object: `d.errback(std::runtime_error("lost"))`.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.add_errback([](const workbook::Failure&) { return 0; });
    /// d.errback(std::runtime_error("lost"));
    /// \endcode
    template <typename E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr> &&
                 !std::is_same_v<std::remove_cvref_t<E>, Failure>)
    void errback(E&& error) {
        errback(std::make_exception_ptr(std::forward<E>(error)));
    }

    /// errback() with the Failure an errback received.
    ///
    /// \code
    /// workbook::Deferred<int> mirror;
    /// workbook::Deferred<int> d;
    /// d.add_errback([mirror](const workbook::Failure& failure) mutable {
    ///     mirror.errback(failure);
    ///     return 0;
    /// });
    /// \endcode
    void errback(const Failure& failure) { errback(failure.error()); }

    /// Appends a pair to the chain: `on_result` receives the result (a `T`), `on_error` the error
    /// (a Failure); whichever runs, what it returns goes to the next pair's callback and what it
    /// throws to the next pair's errback. Both return the same `U` (or a `Deferred<U>`, which pauses
    /// the chain until it fires). Returns the handle on the same chain, now ending in `U`. Unlike a
    /// callback followed by an errback, `on_error` does not see what `on_result` throws (the
    /// howto's "Case 2").
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// auto text = d.add_callbacks([](int n) { return std::to_string(n); },
    ///                             [](const workbook::Failure& failure) { return failure.what(); });
    /// \endcode
    template <typename OnResult, typename OnError>
    auto add_callbacks(OnResult on_result, OnError on_error) {
        static_assert(detail::takes_result<T, OnResult>,
                      "add_callbacks(): the callback must take the chain's result (nothing, for a Deferred<void>)");
        static_assert(std::is_invocable_v<OnError&, const Failure&>,
                      "add_callbacks(): the errback must take a const workbook::Failure&");
        using R = typename detail::Unwrap<ResultOf<OnResult>>::type;
        using E = typename detail::Unwrap<std::invoke_result_t<OnError&, const Failure&>>::type;
        static_assert(std::is_same_v<R, E>, "add_callbacks(): the callback and the errback must return the same type");
        return append<R>(value_half(std::move(on_result)), error_half(std::move(on_error)));
    }

    /// Appends a callback alone (the errback half passes the error on): Twisted's `addCallback`.
    /// `f` takes the result (nothing, for `Deferred<void>`) and returns the next one, of any type,
    /// or a Deferred to wait for; the handle returned ends in that type.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// workbook::Deferred<std::string> text = d.add_callback([](int n) { return std::to_string(n); });
    /// \endcode
    template <typename F>
    auto add_callback(F f) {
        static_assert(detail::takes_result<T, F>,
                      "add_callback(): the callback must take the chain's result (nothing, for a Deferred<void>)");
        using R = typename detail::Unwrap<ResultOf<F>>::type;
        return append<R>(value_half(std::move(f)), nullptr);
    }

    /// Appends an errback alone (the callback half passes the result on): Twisted's `addErrback`.
    /// `f` takes the Failure and returns a `T` (or a `Deferred<T>`) to switch back to the
    /// callbacks, or throws to go on down the errback branch.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.add_errback([](const workbook::Failure& failure) {
    ///     std::puts(failure.what().c_str());
    ///     return 0;
    /// });
    /// \endcode
    template <typename F>
    Deferred<T> add_errback(F f) {
        static_assert(std::is_invocable_v<F&, const Failure&>,
                      "add_errback(): the errback must take a const workbook::Failure&");
        using E = typename detail::Unwrap<std::invoke_result_t<F&, const Failure&>>::type;
        static_assert(std::is_same_v<E, T>,
                      "add_errback(): the errback must return the chain's type, to recover, or throw");
        return append<T>(nullptr, error_half(std::move(f)));
    }

    /// Appends `f` as both halves of a pair: Twisted's `addBoth`. `f` is called with the result
    /// or with the Failure (a generic lambda or an overload set takes both) and returns the same
    /// type either way.
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// d.add_both([](const auto& result_or_failure) {
    ///     if constexpr (std::is_same_v<std::decay_t<decltype(result_or_failure)>, workbook::Failure>) return -1;
    ///     else return result_or_failure;
    /// });
    /// \endcode
    template <typename F>
    auto add_both(F f) {
        return add_callbacks(f, f);
    }

    /// Whether callback() or errback() has been called (Twisted's `called`).
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// assert(!d.called());
    /// \endcode
    bool called() const { return live()->called(); }

    /// False for an empty handle (moved from).
    ///
    /// \code
    /// workbook::Deferred<int> d;
    /// auto e = std::move(d);
    /// assert(!d && e);
    /// \endcode
    explicit operator bool() const noexcept { return static_cast<bool>(state_); }

private:
    template <typename U>
    friend class Deferred;
    friend struct detail::DeferredAccess;

    template <typename F>
    using ResultOf = typename detail::CallbackResult<T, F>::type;

    explicit Deferred(std::shared_ptr<detail::DeferredState> state) noexcept : state_(std::move(state)) {}

    const std::shared_ptr<detail::DeferredState>& live() const {
        if (!state_) throw DeferredError("empty Deferred (moved from)");
        return state_;
    }

    template <typename R>
    static detail::DeferredState::Step step_of(R&& returned) {
        using V = std::remove_cvref_t<R>;
        if constexpr (detail::Unwrap<V>::chained) {
            const auto& state = returned.live();
            state->check_tail(typeid(typename V::value_type));  // a stale handle would hand on another type
            return {std::any{}, nullptr, state};
        } else {
            return {std::any(std::forward<R>(returned)), nullptr, nullptr};
        }
    }

    template <typename F, typename... Args>
    static detail::DeferredState::Step call(F& f, Args&&... args) {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, Args...>>) {
            std::invoke(f, std::forward<Args>(args)...);
            return {};
        } else {
            return step_of(std::invoke(f, std::forward<Args>(args)...));
        }
    }

    template <typename F>
    static std::function<detail::DeferredState::Step(std::any&&)> value_half(F f) {
        return [f = std::move(f)](std::any&& value) mutable {
            if constexpr (std::is_void_v<T>) {
                return call(f);
            } else {
                T* result = std::any_cast<T>(&value);
                if (result == nullptr) throw DeferredError("a Deferred's chain handed on a result of another type");
                return call(f, std::move(*result));
            }
        };
    }

    template <typename F>
    static std::function<detail::DeferredState::Step(const Failure&)> error_half(F f) {
        return [f = std::move(f)](const Failure& failure) mutable { return call(f, failure); };
    }

    template <typename R>
    Deferred<R> append(std::function<detail::DeferredState::Step(std::any&&)> on_value,
                       std::function<detail::DeferredState::Step(const Failure&)> on_error) {
        const auto& state = live();
        state->append(typeid(T), typeid(R), {std::move(on_value), std::move(on_error)});
        return Deferred<R>(state);
    }

    std::shared_ptr<detail::DeferredState> state_;
};

/// A Deferred already fired with `value`: Twisted's `succeed()`. Callbacks added to it run at once.
///
/// \code
/// auto d = workbook::succeed(7);
/// d.add_callback([](int n) { std::printf("%d\n", n); });  // prints 7 now
/// \endcode
template <typename T>
Deferred<std::decay_t<T>> succeed(T&& value) {
    Deferred<std::decay_t<T>> deferred;
    deferred.callback(std::forward<T>(value));
    return deferred;
}

/// A Deferred of `T` already fired with `error`: Twisted's `fail()`.
///
/// \code
/// auto d = workbook::fail<int>(std::make_exception_ptr(std::runtime_error("lost")));
/// d.add_errback([](const workbook::Failure&) { return 0; });
/// \endcode
template <typename T>
Deferred<T> fail(std::exception_ptr error) {
    Deferred<T> deferred;
    deferred.errback(std::move(error));
    return deferred;
}

/// Twisted's `gatherResults(deferreds, consumeErrors=True)`: a Deferred that fires with every
/// result, in the order of `deferreds`, once all have fired, or with the first error as soon as one
/// fails. Each of `deferreds` is given one last link that hands its result or error over, so
/// nothing can be added to them afterwards, and an error after the first is not reported again.
///
/// \code
/// workbook::Deferred<int> a, b;
/// workbook::gather(std::vector{a, b}).add_callback([](const std::vector<int>& all) {
///     std::printf("%d %d\n", all[0], all[1]);
/// });
/// b.callback(2);
/// a.callback(1);  // prints 1 2
/// \endcode
template <typename T>
    requires(!std::is_void_v<T>)
Deferred<std::vector<T>> gather(std::vector<Deferred<T>> deferreds) {
    struct Gathering {
        std::vector<std::optional<T>> results;
        std::size_t left;
        Deferred<std::vector<T>> done;
    };
    auto gathering =
        std::make_shared<Gathering>(Gathering{std::vector<std::optional<T>>(deferreds.size()), deferreds.size(), {}});
    Deferred<std::vector<T>> done = gathering->done;
    if (deferreds.empty()) done.callback({});
    for (std::size_t i = 0; i < deferreds.size(); ++i) {
        auto& state = detail::DeferredAccess::state(deferreds[i]);
        state->hand_on(typeid(T), [gathering, i](std::any&& value, std::exception_ptr error) {
            if (gathering->done.called()) return;  // an error came first: this one is consumed
            if (error) return gathering->done.errback(std::move(error));
            gathering->results[i] = std::move(*std::any_cast<T>(&value));
            if (--gathering->left > 0) return;
            std::vector<T> all;
            all.reserve(gathering->results.size());
            for (auto& result : gathering->results) all.push_back(std::move(*result));
            gathering->done.callback(std::move(all));
        });
    }
    return done;
}

}  // namespace workbook
