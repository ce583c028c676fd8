/// \file
/// \brief Generator, a C++20 coroutine with Python's generator protocol: `next`, `send`, `throw`,
///        `close`, return values and delegation (`yield from`), PEP 342 and PEP 380 carried over.
///
/// One chain of delegating generators is driven through its outermost ("root") generator, but every
/// resume goes straight to the innermost ("leaf") frame, whose handle the root keeps (the design of
/// cppcoro's recursive_generator), so a resume costs the same at any depth. When delegation starts or
/// a subgenerator finishes, the frame suspends and the root's loop resumes the new leaf: the talk's
/// trampoline. Symmetric transfer would do the same only where the compiler turns it into a tail
/// call; g++ 12 does not under -fsanitize=address or thread, and a chain 3,000 deep then overflows
/// the stack. With the loop a chain 10,000 deep never grows the native stack, in any build.
///
/// What it promises, rule by rule, with where each rule comes from (PEP 342, PEP 380, CPython) and
/// the test that proves it: \ref promises. The two rules most easily missed:
///
/// - send() into a finished generator reports completion (an empty optional), as next() does:
///   PEP 342's `send()` raises `StopIteration` there, exactly like `next()`. Only sending into a
///   generator that has not started is an error (PEP 342: `TypeError`, "can't send non-None value to
///   a just-started generator").
/// - Destroying a suspended generator closes it first: PEP 342's `__del__` is "a wrapper for
///   close()". GeneratorExit is raised at its pending `co_yield`, innermost first under delegation,
///   so its handlers run. If the body yields again or raises anything but GeneratorExit, the
///   destructor writes one line to stderr, as CPython's "Exception ignored in" does, and goes on.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

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

/// A coroutine that yields `Yield` values, receives `Send` values as the value of each `co_yield`
/// (`void`: pull-only, `co_yield v;` is then a statement) and returns a `Return` value, with Python's
/// generator protocol: next(), send(), throw_into(), close(), result(), and delegation through
/// yield_from() (PEP 380). Nothing of the body runs until the first resume.
///
/// The Generator owns its frame: move-only, and the destructor closes a suspended generator (as
/// close() does) and then destroys the frame (and those of the generators it delegates to) exactly
/// once, running the destructors of their locals. One frame is allocated per generator; resuming
/// allocates nothing. Not thread-safe: one thread drives a chain.
///
/// \code
/// // The talk's generator_counter: `c = yield count` becomes `auto c = co_yield count;`.
/// workbook::Generator<std::uint64_t, unsigned char> generator_counter() {
///     std::uint64_t count = 0;
///     while (true) {
///         [[maybe_unused]] unsigned char c = co_yield count;
///         ++count;
///     }
/// }
/// auto vowel = workbook::prime(generator_counter());
/// vowel.send('a');
/// std::optional<std::uint64_t> total = vowel.send('e');  // 2
/// \endcode
template <typename Yield, typename Send, typename Return>
class Generator {
    static_assert(std::is_object_v<Yield> && std::is_same_v<Yield, std::remove_cv_t<Yield>> &&
                      !std::is_array_v<Yield>,
                  "Generator yields objects (not references, arrays, void or const types)");
    static_assert(std::is_void_v<Send> || (std::is_object_v<Send> && !std::is_array_v<Send>),
                  "Generator receives objects (or void: nothing)");
    static_assert(std::is_void_v<Return> || (std::is_object_v<Return> && !std::is_array_v<Return>),
                  "Generator returns an object (or void: nothing)");

public:
    /// The promise of every Generator coroutine: the frame-side half of the protocol. Only the
    /// compiler uses it; it inherits yield_value (also for yield_from()), initial_suspend,
    /// final_suspend, unhandled_exception and return_value/return_void from its bases.
    ///
    /// \code
    /// workbook::Generator<int> g() { co_yield 1; }  // the compiler creates a promise_type
    /// \endcode
    class promise_type : public detail::PromiseBase<Yield, Send>, public detail::ReturnSlot<Return> {
    public:
        /// The Generator the caller receives; the frame keeps its own handle to hand control on.
        ///
        /// \code
        /// workbook::Generator<int> g = numbers();  // calls get_return_object()
        /// \endcode
        Generator get_return_object() noexcept {
            auto frame = std::coroutine_handle<promise_type>::from_promise(*this);
            this->self_ = frame;
            this->leaf_handle_ = frame;
            return Generator(frame);
        }
    };

    /// An input iterator for range-for over a pull-only generator. It pulls lazily (when read or
    /// compared with end()), so `std::views::take(g, n)` resumes `g` exactly n times, like Python's
    /// `islice(g, 0, n)`, and never once more.
    ///
    /// \code
    /// for (int v : numbers()) std::cout << v << ' ';
    /// for (int v : std::views::take(feed, 64)) flush(v);  // at most 64 resumes
    /// \endcode
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;  ///< single pass
        using iterator_concept = std::input_iterator_tag;   ///< single pass, for std::ranges
        using value_type = Yield;                           ///< what it yields
        using difference_type = std::ptrdiff_t;             ///< required by iterator concepts
        using reference = Yield&;                           ///< the iterator's own copy

        /// A singular iterator, as iterator concepts require.
        iterator() = default;
        /// The yielded value (pulled now if needed); the iterator owns it, so it may be moved from.
        ///
        /// \code
        /// auto it = g.begin();
        /// auto owned = std::move(*it);
        /// \endcode
        reference operator*() const {
            pull();
            return *current_;
        }
        /// Steps on; the generator is resumed when the next value is needed.
        ///
        /// \code
        /// ++it;
        /// \endcode
        iterator& operator++() {
            pulled_ = false;
            return *this;
        }
        /// Steps on (post-increment of an input iterator returns nothing).
        ///
        /// \code
        /// it++;
        /// \endcode
        void operator++(int) { ++*this; }
        /// At the end when the generator has finished.
        ///
        /// \code
        /// bool finished = (it == std::default_sentinel);
        /// \endcode
        friend bool operator==(const iterator& it, std::default_sentinel_t) {
            it.pull();
            return !it.current_.has_value();
        }

    private:
        friend class Generator;
        explicit iterator(Generator* generator) noexcept : generator_(generator) {}
        void pull() const {
            if (!pulled_) {
                current_ = generator_->next();
                pulled_ = true;
            }
        }
        Generator* generator_ = nullptr;
        mutable std::optional<Yield> current_;
        mutable bool pulled_ = false;
    };

    /// An empty generator: `operator bool` is false, done() is true, resuming it is an error.
    ///
    /// \code
    /// workbook::Generator<int> none;
    /// assert(!none);
    /// \endcode
    Generator() noexcept = default;
    /// Takes over the frame; `other` becomes empty.
    ///
    /// \code
    /// auto g = numbers();
    /// auto h = std::move(g);  // g is empty, h owns the frame
    /// \endcode
    Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    /// Closes and destroys the generator it held (as the destructor does), then takes over `other`'s.
    ///
    /// \code
    /// g = numbers();  // the old generator, if suspended, is closed first; its frame is destroyed
    /// \endcode
    Generator& operator=(Generator&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Generator(const Generator&) = delete;             ///< one owner per frame
    Generator& operator=(const Generator&) = delete;  ///< one owner per frame
    /// Closes a suspended generator, then destroys its frame and every frame it delegates to,
    /// innermost first: the destructors of their locals run. Closing is PEP 342's finaliser
    /// (`__del__` is "a wrapper for close()", and CPython's test_generators checks that a `finally`
    /// runs on `del g`): GeneratorExit is raised at the pending `co_yield` of the innermost generator,
    /// then of each delegator in turn, so their handlers run as under close(). Where close() would
    /// raise (the body yields again: "generator ignored exit", or raises another exception), the
    /// destructor writes one line to stderr, `Exception ignored in workbook::Generator's destructor:
    /// <what>` (CPython's "Exception ignored in", its unraisable hook), destroys the frame all the
    /// same and returns: it never throws and never terminates for what the body does. A generator
    /// never started, or already finished, runs nothing of its body: its frame is simply destroyed.
    /// A subgenerator that yields instead of closing is destroyed with its delegation, once its
    /// delegator has received "generator ignored exit", without being closed a second time.
    /// Destroying a generator from inside its own body would pull the frame from under the running
    /// code, so it calls std::terminate() instead.
    ///
    /// \code
    /// {
    ///     auto g = numbers();
    ///     g.next();
    /// }  // GeneratorExit at numbers()' co_yield: its handlers run, then its locals are destroyed
    /// \endcode
    ~Generator() { reset(); }

    /// Resumes the generator: the next yielded value, or `std::nullopt` once it has finished (then
    /// again on every later call, running nothing). An exception that escapes the body leaves
    /// through here, once. When `Send` is not void, the pending `co_yield` receives `Send{}`
    /// (Python's `None`). Python's `next(g)`.
    ///
    /// \code
    /// auto g = numbers();
    /// while (auto v = g.next()) std::cout << *v;
    /// \endcode
    std::optional<Yield> next() {
        promise_type& root = live();
        if (!root.suspended()) [[unlikely]] {
            if (root.state_ == detail::State::done) return std::nullopt;
            if (root.state_ != detail::State::fresh) detail::refuse(root.state_, "next()");
            root.state_ = detail::State::active;
        }
        if constexpr (!std::is_void_v<Send>) root.sent_.clear();
        return root.resume_chain();
    }

    /// Resumes the generator with `value` as the value of its pending `co_yield`: the next yielded
    /// value, or `std::nullopt` if it finished. Into a finished generator (returned, raised or
    /// closed) it runs nothing and reports completion again, `std::nullopt`, exactly as next() does:
    /// PEP 342's `send()` raises `StopIteration` there, as `next()` does, and CPython's
    /// test_generators checks `g.send(2)` on a terminated generator raises StopIteration. Sending
    /// into a generator that has not started is a GeneratorError and runs nothing (PEP 342: "can't
    /// send non-None value to a just-started generator", a `TypeError`). Python's `g.send(value)`.
    ///
    /// \code
    /// auto echo = workbook::prime(echoer());
    /// auto reply = echo.send("hello");
    /// \endcode
    std::optional<Yield> send(detail::SendParameter<Send> value)
        requires(!std::is_void_v<Send>)
    {
        promise_type& root = live();
        if (!root.suspended()) [[unlikely]] {
            if (root.state_ == detail::State::done) return std::nullopt;  // Python's StopIteration
            detail::refuse(root.state_, "send()");
        }
        root.sent_.offer(value);
        return root.resume_chain();
    }

    /// Raises `error` at the pending `co_yield` (of the innermost generator, when delegating). If the
    /// body catches it and yields, that value is returned; if it catches it and returns, `nullopt`;
    /// uncaught, it leaves through here and the generator is finished. Into a generator that never
    /// started, it is raised at once without running the body; into a finished one, it is simply
    /// rethrown. A GeneratorExit thrown into a delegator closes the generator it delegates to first.
    /// Python's `g.throw(error)`.
    ///
    /// \code
    /// try {
    ///     g.throw_into(std::make_exception_ptr(std::runtime_error("stop")));
    /// } catch (const std::runtime_error&) { /* the body did not catch it */ }
    /// \endcode
    std::optional<Yield> throw_into(std::exception_ptr error) {
        if (!error) detail::fail("throw_into() needs an exception");
        promise_type& root = live();
        if (root.state_ == detail::State::done) std::rethrow_exception(error);
        if (root.executing() || root.state_ == detail::State::delegated) detail::refuse(root.state_, "throw_into()");
        const bool exit = detail::is_generator_exit(error);
        if (exit) mark_closing(root, false);
        return root.deliver(std::move(error), exit);
    }

    /// throw_into() for an exception object: `g.throw_into(std::runtime_error("x"))`.
    ///
    /// \code
    /// g.throw_into(std::runtime_error("stop"));
    /// \endcode
    template <typename E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, std::exception_ptr>)
    std::optional<Yield> throw_into(E&& error) {
        return throw_into(std::make_exception_ptr(std::forward<E>(error)));
    }

    /// Finishes the generator early: raises GeneratorExit at the pending `co_yield` (closing the
    /// generators it delegates to first, innermost first), so its cleanup runs. If the body yields
    /// instead of finishing, GeneratorError "generator ignored exit"; any other exception raised
    /// while closing propagates. On an unstarted generator it runs nothing but finishes it; on a
    /// finished or empty one it does nothing. Python's `g.close()`.
    ///
    /// \code
    /// auto g = numbers();
    /// g.next();
    /// g.close();  // numbers()' locals are destroyed, its catch/cleanup code ran
    /// assert(g.done());
    /// \endcode
    void close() {
        if (!handle_) return;
        promise_type& root = handle_.promise();
        if (root.state_ == detail::State::done) return;
        if (root.executing() || root.state_ == detail::State::delegated) detail::refuse(root.state_, "close()");
        mark_closing(root, true);
        try {
            (void)root.deliver(std::make_exception_ptr(GeneratorExit{}), true);
        } catch (const GeneratorExit&) {
            // The expected way to finish: the exit went all the way out.
        }
    }

    /// Whether it has finished (returned, thrown, or been closed); true for an empty generator.
    ///
    /// \code
    /// while (!g.done()) g.next();
    /// \endcode
    bool done() const noexcept { return !handle_ || handle_.promise().state_ == detail::State::done; }

    /// Whether it has been resumed at least once (or thrown into, or closed).
    ///
    /// \code
    /// auto g = workbook::prime(counter());
    /// assert(g.started());
    /// \endcode
    bool started() const noexcept { return handle_ && handle_.promise().state_ != detail::State::fresh; }

    /// The value of `co_return r;`, once the generator has returned (PEP 380's
    /// `StopIteration.value`). GeneratorError if it has not finished, or finished by an exception.
    ///
    /// \code
    /// workbook::Generator<int, void, int> running_sum(int n) {
    ///     int sum = 0;
    ///     for (int i = 1; i <= n; ++i) co_yield sum += i;
    ///     co_return sum;
    /// }
    /// auto g = running_sum(3);
    /// while (g.next()) {}
    /// assert(g.result() == 6);
    /// \endcode
    std::add_lvalue_reference_t<Return> result()
        requires(!std::is_void_v<Return>)
    {
        promise_type& root = live();
        if (!root.result_) [[unlikely]] no_result(root.state_);
        return *root.result_;
    }

    /// result() of a const generator.
    ///
    /// \code
    /// const auto& finished = g;
    /// auto r = finished.result();
    /// \endcode
    detail::ConstResult<Return> result() const
        requires(!std::is_void_v<Return>)
    {
        if (!handle_) detail::fail("result() of an empty generator");
        const promise_type& root = handle_.promise();
        if (!root.result_) [[unlikely]] no_result(root.state_);
        return *root.result_;
    }

    /// Starts range-for iteration (resuming lazily, see iterator).
    ///
    /// \code
    /// for (auto v : g) use(v);
    /// \endcode
    iterator begin() {
        live();
        return iterator(this);
    }
    /// The end of range-for iteration: the generator has finished.
    ///
    /// \code
    /// auto it = g.begin();
    /// while (it != g.end()) ++it;
    /// \endcode
    std::default_sentinel_t end() const noexcept { return {}; }

    /// False for an empty generator (default-constructed or moved from).
    ///
    /// \code
    /// auto g = numbers();
    /// auto h = std::move(g);
    /// assert(!g && h);
    /// \endcode
    explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

private:
    friend struct detail::Access;
    explicit Generator(std::coroutine_handle<promise_type> frame) noexcept : handle_(frame) {}

    promise_type& live() {
        if (!handle_) [[unlikely]] detail::fail("empty generator (default-constructed or moved from)");
        return handle_.promise();
    }

    // GeneratorExit is on its way in: every frame it will pass marks itself, so that a frame that
    // yields instead of finishing can be told apart from one that merely caught and went on.
    static void mark_closing(promise_type& root, bool including_root) noexcept {
        for (auto* frame = root.leaf_; frame != nullptr; frame = frame->parent_)
            if (frame != &root || including_root) frame->closing_ = true;
    }

    [[noreturn, gnu::cold]] static void no_result(detail::State state) {
        detail::fail(state == detail::State::done ? "result() of a generator that finished without returning"
                                                  : "result() of a generator that has not finished");
    }

    // The owner lets go first, so that a body that reaches its generator while being closed finds
    // it empty rather than half-destroyed.
    void reset() noexcept {
        if (!handle_) return;
        auto& root = std::exchange(handle_, {}).promise();
        if (root.suspended()) [[unlikely]] {
            finalise(root);
        } else if (root.executing()) {
            std::terminate();  // destroyed from its own body: nothing sane to do
        }
        root.destroy_chain();
    }

    // PEP 342's finaliser: close(), with what close() would raise reported instead of raised.
    [[gnu::cold, gnu::noinline]] static void finalise(promise_type& root) noexcept {
        mark_closing(root, true);
        try {
            (void)root.deliver(std::make_exception_ptr(GeneratorExit{}), true);
            if (root.state_ != detail::State::done) detail::report_ignored(detail::ignored_exit);
        } catch (const GeneratorExit&) {
            // The expected way to finish: the exit went all the way out.
        } catch (const std::exception& error) {
            detail::report_ignored(error.what());
        } catch (...) {
            detail::report_ignored("an exception not derived from std::exception");
        }
    }

    std::coroutine_handle<promise_type> handle_;
};

/// \cond detail
namespace detail {

// What yield_from() returns: the subgenerator, on its way into the delegator's frame.
template <typename Y, typename S, typename R>
struct Delegation {
    Generator<Y, S, R> generator;
};

// Lives in the delegator's frame for as long as it delegates, and owns the subgenerator's frame.
template <typename Y, typename S, typename R>
class DelegationAwaiter {
public:
    explicit DelegationAwaiter(Delegation<Y, S, R>&& delegation) noexcept
        : sub_(&Access::promise(delegation.generator)), frame_(Access::release(delegation.generator)) {}
    DelegationAwaiter(const DelegationAwaiter&) = delete;
    DelegationAwaiter& operator=(const DelegationAwaiter&) = delete;
    ~DelegationAwaiter() {
        if (frame_) sub_->destroy_chain();
    }

    bool await_ready() const noexcept { return sub_->state_ == State::done; }

    // Makes the subgenerator's leaf the chain's leaf and suspends; the root's loop resumes it.
    template <typename P>
    void await_suspend(std::coroutine_handle<P> delegator) noexcept {
        PromiseBase<Y, S>& parent = delegator.promise();
        PromiseBase<Y, S>& root = *parent.root_;
        PromiseBase<Y, S>& sub = *sub_;
        // A started subgenerator may itself be delegating: its whole chain now reports to our root.
        PromiseBase<Y, S>* leaf = sub.leaf_;
        for (PromiseBase<Y, S>* frame = leaf; frame != &sub; frame = frame->parent_) frame->root_ = &root;
        sub.root_ = &root;
        sub.leaf_ = &sub;
        sub.parent_ = &parent;
        sub.owner_ = &frame_;
        sub.state_ = State::delegated;
        sub.value_ = nullptr;
        if constexpr (!std::is_void_v<S>) sub.sent_.clear();  // its leaf's pending co_yield gets None
        root.leaf_ = leaf;
        root.leaf_handle_ = leaf->self_;
    }

    R await_resume() {
        auto& sub = *sub_;
        if (!frame_.done()) [[unlikely]] fail(ignored_exit);  // it yielded while being closed
        if (sub.error_) std::rethrow_exception(std::exchange(sub.error_, nullptr));
        if (sub.closing_) throw GeneratorExit{};  // closed cleanly: now the exit reaches us (PEP 380)
        if constexpr (!std::is_void_v<R>) {
            if (!sub.result_) fail("yield_from() a generator that finished without returning");
            return std::move(*sub.result_);
        }
    }

private:
    typename Generator<Y, S, R>::promise_type* sub_;
    std::coroutine_handle<> frame_;
};

}  // namespace detail
/// \endcond

/// The talk's `@coroutine` decorator: advances `generator` to its first `co_yield` (discarding that
/// value) and returns it, so the first send() is received there. GeneratorError if the generator
/// finishes without reaching a `co_yield`.
///
/// \code
/// auto vowel = workbook::prime(generator_counter());
/// vowel.send('a');  // received by the first `co_yield`
/// \endcode
template <typename G>
    requires requires(G& g) {
        g.next();
        g.done();
    }
G prime(G generator) {
    if (!generator.next()) detail::fail("prime(): the generator finished before its first co_yield");
    return generator;
}

/// Delegation, PEP 380's `yield from`: inside a `Generator<Y, S, R>` body,
/// `R2 r = co_yield workbook::yield_from(std::move(sub));` runs `sub` (a `Generator<Y, S, R2>`, owned
/// by the delegator from now on) until it finishes. Meanwhile its values go straight to the caller,
/// and send(), throw_into() and close() go straight to it (to the innermost of nested delegations);
/// its return value becomes the value of the `co_yield`, and an exception it raises is raised there.
/// A subgenerator that has already started receives `S{}` (None) first; a finished one returns its
/// result at once. Delegating to a generator that is executing (itself, directly or not) is
/// GeneratorError "generator already executing".
///
/// \code
/// workbook::Generator<std::pair<int, int>> subloop(int i) {
///     for (int j = 0; j < 3; ++j) co_yield {i, j};
/// }
/// workbook::Generator<std::pair<int, int>> pairs() {
///     for (int i = 0; i < 3; ++i) co_yield workbook::yield_from(subloop(i));
/// }
/// \endcode
template <typename Y, typename S, typename R>
detail::Delegation<Y, S, R> yield_from(Generator<Y, S, R>&& sub) {
    if (!sub) detail::fail("yield_from() an empty generator");
    if (detail::Access::promise(sub).executing()) detail::fail(detail::already_executing);
    return {std::move(sub)};
}

}  // namespace workbook
