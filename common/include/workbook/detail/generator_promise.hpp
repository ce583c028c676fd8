// The frame-side half of workbook::Generator: where a generator is in its life, the chain of
// delegating frames and the root's per-resume slots, the coroutine protocol every return type
// shares, and the loop that resumes a chain (the trampoline). Generator (generator_class.hpp)
// drives it; delegation (yield_from.hpp) links frames into it.
#pragma once

#include "workbook/generator_error.hpp"

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace workbook {

template <typename Yield, typename Send = void, typename Return = void>
class Generator;

/// \cond detail
namespace detail {

// Where a generator is in its life. Whether an active chain is suspended at a co_yield or executing
// is not kept here but in the root's value_ (set by the yield, cleared by the resume), so that a
// resume writes and tests one word instead of two.
enum class State : unsigned char {
    fresh,      // created, body not started
    active,     // started, not finished: suspended if the root's value_ is set, else executing
    delegated,  // not a root: part of another generator's chain
    done,       // returned, threw, or was closed
};

// The type of send()'s parameter when nothing can be sent (Send = void): send() is then disabled.
struct NoSend {};
template <typename S>
using SendParameter = std::conditional_t<std::is_void_v<S>, NoSend, S>;
template <typename R>
using ConstResult = std::add_lvalue_reference_t<std::conditional_t<std::is_void_v<R>, void, const R>>;

// Small trivially copyable values travel by value through the root's slots, not by pointer: the
// caller and the frame then meet at one known address, and a send costs one store and one load
// instead of a pointer's store and load and then the value's.
template <typename T>
consteval bool travels_by_value() {
    if constexpr (std::is_void_v<T>) return false;
    else return std::is_trivially_copyable_v<T> && sizeof(T) <= 2 * sizeof(void*);
}
template <typename T>
inline constexpr bool by_value = travels_by_value<T>();

// What send() passes to the pending co_yield; get() is null when nothing is (next(), a throw).
template <typename S, bool = by_value<S>>
class SendSlot {
public:
    void offer(S& value) noexcept { sent_ = std::addressof(value); }
    void clear() noexcept { sent_ = nullptr; }
    S* get() const noexcept { return sent_; }

private:
    S* sent_ = nullptr;
};
template <typename S>
class SendSlot<S, true> {
public:
    void offer(const S& value) noexcept {
        std::construct_at(&slot_.value, value);
        present_ = true;
    }
    void clear() noexcept { present_ = false; }
    S* get() noexcept { return present_ ? &slot_.value : nullptr; }

private:
    union Slot {
        Slot() noexcept : none() {}
        char none;
        S value;
    } slot_;
    bool present_ = false;
};
template <>
class SendSlot<void, false> {};

// Where a by-value yielded object is copied for the caller (nothing, for the others: the caller
// reads them in the leaf's frame).
template <typename Y, bool = by_value<Y>>
struct YieldSlot {
    Y* keep(Y& value) noexcept { return std::addressof(value); }
};
template <typename Y>
struct YieldSlot<Y, true> {
    Y* keep(const Y& value) noexcept { return std::construct_at(&slot_.value, value); }
    union Slot {
        Slot() noexcept : none() {}
        char none;
        Y value;
    } slot_;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void fail(const char* message) { throw GeneratorError(message); }

inline constexpr const char* already_executing = "generator already executing";
inline constexpr const char* ignored_exit = "generator ignored exit";

[[noreturn, gnu::cold, gnu::noinline]] inline void refuse(State state, const char* operation) {
    switch (state) {
        case State::fresh:
            throw GeneratorError(std::string(operation) +
                                 " into a generator that has not started: call next() or prime() first");
        case State::done: throw GeneratorError(std::string(operation) + " into a finished generator");
        case State::delegated: fail("generator is being delegated to: resume the outermost one");
        case State::active: break;
    }
    fail(already_executing);
}

// What a destructor cannot raise, it reports: one line on stderr, as CPython reports an exception
// raised by a finaliser ("Exception ignored in: ..."), and the program goes on.
[[gnu::cold, gnu::noinline]] inline void report_ignored(const char* what) noexcept {
    std::fprintf(stderr, "Exception ignored in workbook::Generator's destructor: %s\n", what);
}

inline bool is_generator_exit(const std::exception_ptr& error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const GeneratorExit&) {
        return true;
    } catch (...) {
        return false;
    }
}

template <typename Y, typename S, typename R>
struct Delegation;
template <typename Y, typename S, typename R>
class DelegationAwaiter;

// Lets the detail helpers reach a Generator's frame without making it public.
struct Access {
    template <typename G>
    static auto& promise(G& generator) noexcept { return generator.handle_.promise(); }
    template <typename G>
    static auto release(G& generator) noexcept { return std::exchange(generator.handle_, {}); }
};

// Everything a frame of a chain needs, whatever its return type: chains mix Generator<Y, S, R> frames
// of different R, so links and the per-resume slots are typed by Y and S only.
template <typename Y, typename S>
class PromiseBase {
public:
    PromiseBase() = default;
    PromiseBase(const PromiseBase&) = delete;
    PromiseBase& operator=(const PromiseBase&) = delete;

    // --- The per-resume slots, used in the root only. The leaf writes value_ and reads sent_ through
    // its root, so a value travels straight between the caller and the innermost frame.
    Y* value_ = nullptr;  // the yielded object, alive in the leaf's frame; null: not suspended
    [[no_unique_address]] SendSlot<S> sent_;      // what send() passes; none: next(), a throw
    [[no_unique_address]] YieldSlot<Y> yielded_;  // a by-value yielded object, copied for the caller
    std::coroutine_handle<> leaf_handle_;        // the frame every resume goes to
    State state_ = State::fresh;
    bool value_movable_ = false;  // value_ came from an rvalue, so the caller may move from it
    bool closing_ = false;        // a GeneratorExit is on its way to or through this frame

    // --- Links of the chain.
    PromiseBase* root_ = this;    // the outermost generator, whose owner resumes the chain
    PromiseBase* leaf_ = this;    // in a root: the innermost frame of its chain; elsewhere, itself
    PromiseBase* parent_ = nullptr;                // the generator delegating to this one
    std::coroutine_handle<> self_;                 // this frame
    std::coroutine_handle<>* owner_ = nullptr;     // the delegator's slot that owns this frame

    std::exception_ptr pending_;  // in the root: raise this at the leaf's co_yield (throw, close)
    std::exception_ptr error_;    // what escaped this body; taken by whoever resumed it

    // --- The coroutine protocol shared by every return type.
    struct InitialAwaiter {
        PromiseBase& self;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        // A throw into (or close of) a generator that never started raises here, before the body.
        void await_resume() const {
            if (self.root_->pending_) [[unlikely]] self.root_->raise_pending();
        }
    };
    InitialAwaiter initial_suspend() noexcept { return {*this}; }

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <typename P>
        void await_suspend(std::coroutine_handle<P> frame) const noexcept {
            PromiseBase& self = frame.promise();
            self.state_ = State::done;
            if (PromiseBase* parent = self.parent_) {
                // A delegated frame makes its delegator the leaf; the root's loop resumes it, and
                // it picks up our result (no value is set, so the root's loop goes round).
                self.root_->leaf_ = parent;
                self.root_->leaf_handle_ = parent->self_;
            }
        }
        void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    // Keeps the root of the moment: when a suspended root is delegated to, its leaf is resumed once
    // through the old root (now the subgenerator, whose sent_ is then cleared: None) and its next
    // co_yield picks up the new one.
    struct YieldAwaiter {
        PromiseBase& root;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        S await_resume() const {
            if constexpr (std::is_void_v<S>) {
                if (root.pending_) [[unlikely]] root.raise_pending();
            } else {
                S* sent = root.sent_.get();
                if (sent == nullptr) [[unlikely]] return root.resume_without_value();
                return std::move(*sent);
            }
        }
    };

    YieldAwaiter yield_value(Y&& value) noexcept { return publish(value, true); }
    YieldAwaiter yield_value(const Y& value) noexcept
        requires std::copy_constructible<Y>
    {
        return publish(const_cast<Y&>(value), false);  // only ever copied from, never written
    }
    template <typename R>
    DelegationAwaiter<Y, S, R> yield_value(Delegation<Y, S, R>&& delegation) noexcept {
        return DelegationAwaiter<Y, S, R>(std::move(delegation));
    }
    template <typename Y2, typename S2, typename R2>
    void yield_value(Delegation<Y2, S2, R2>&&) {
        static_assert(std::is_same_v<Y2, Y> && std::is_same_v<S2, S>,
                      "yield_from() needs a generator with the same Yield and Send types");
    }
    // A generator only suspends at co_yield, as in Python; co_await has no meaning in one.
    template <typename U>
    void await_transform(U&&) = delete;

    // --- Driving the chain, called on the root by Generator.
    bool suspended() const noexcept { return value_ != nullptr; }
    bool executing() const noexcept { return state_ == State::active && value_ == nullptr; }

    // The loop is the trampoline: it goes round more than once only when delegation starts or a
    // subgenerator finishes (the frame suspends without a value, still active).
    std::optional<Y> resume_chain() {
        value_ = nullptr;
        for (;;) {
            leaf_handle_.resume();
            if (Y* value = value_) [[likely]] {
                // The slot's own address, not the pointer just loaded: the two loads go in parallel.
                if constexpr (by_value<Y>) return yielded_.slot_.value;
                else return take_value(value);
            }
            if (state_ == State::done) return finish();
        }
    }
    std::optional<Y> take_value(Y* value) {
        if constexpr (std::is_trivially_copyable_v<Y>) {
            return *value;
        } else if constexpr (!std::copy_constructible<Y>) {
            return std::move(*value);
        } else {
            if (value_movable_) return std::move(*value);
            return *value;
        }
    }
    [[gnu::noinline]] std::optional<Y> finish() {
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
        return std::nullopt;
    }

    // Raises `error` at the leaf's pending co_yield (or at the start of an unstarted body). A frame
    // that is closing must finish: if it yields instead, the frame that delegated to it gets
    // "generator ignored exit" (PEP 380: the delegator's close() of it failed), or, for the root,
    // the caller does.
    std::optional<Y> deliver(std::exception_ptr error, bool closing) {
        pending_ = std::move(error);
        if constexpr (!std::is_void_v<S>) sent_.clear();
        state_ = State::active;
        value_ = nullptr;
        for (;;) {
            leaf_handle_.resume();
            if (state_ == State::done) {
                closing_ = false;
                return finish();
            }
            if (value_ == nullptr) continue;  // delegation started or a subgenerator finished
            PromiseBase* ignoring = nullptr;
            if (closing) {
                for (PromiseBase* frame = leaf_; frame != nullptr && ignoring == nullptr; frame = frame->parent_)
                    if (frame->closing_) ignoring = frame;
            }
            if (ignoring == nullptr) return take_value(value_);
            if (ignoring == this) {
                closing_ = false;
                fail(ignored_exit);
            }
            // Leave the ignoring frame suspended (its owner destroys it and the frames below it, from
            // its leaf up) and resume its delegator, whose co_yield raises "generator ignored exit".
            ignoring->leaf_ = leaf_;
            leaf_ = ignoring->parent_;
            leaf_handle_ = leaf_->self_;
            if constexpr (!std::is_void_v<S>) sent_.clear();
            value_ = nullptr;
        }
    }

    // Frees the frames from the innermost up, so that a deep chain is destroyed without recursion.
    void destroy_chain() noexcept {
        PromiseBase* frame = leaf_;
        while (frame != this) {
            PromiseBase* parent = frame->parent_;
            *frame->owner_ = nullptr;  // its delegator must not destroy it again
            frame->self_.destroy();
            frame = parent;
        }
        self_.destroy();
    }

    [[noreturn, gnu::noinline]] void raise_pending() { std::rethrow_exception(std::exchange(pending_, nullptr)); }

    // next() into a generator that expects a value delivers S{}, Python's None (also what a started
    // generator receives first when it is delegated to, as PEP 380's `next(_i)`).
    [[gnu::noinline]] S resume_without_value()
        requires(!std::is_void_v<S>)
    {
        if (pending_) raise_pending();
        if constexpr (std::is_default_constructible_v<S>) {
            return S{};
        } else {
            fail("next() into a generator that expects a value it cannot default-construct: use send()");
        }
    }

private:
    YieldAwaiter publish(Y& value, bool movable) noexcept {
        PromiseBase& root = *root_;
        if constexpr (!std::is_trivially_copyable_v<Y>) root.value_movable_ = movable;
        root.value_ = root.yielded_.keep(value);
        return {root};
    }
};

// Where the value of `co_return r;` is kept until result() or the delegator reads it.
template <typename R>
class ReturnSlot {
public:
    void return_value(R&& value) { result_.emplace(std::move(value)); }
    void return_value(const R& value) { result_.emplace(value); }
    std::optional<R> result_;
};
template <>
class ReturnSlot<void> {
public:
    void return_void() noexcept {}
};

}  // namespace detail
/// \endcond

}  // namespace workbook
