/// \file
/// \brief Generator, the coroutine with Python's generator protocol, and prime(), the talk's
///        `@coroutine`. Include workbook/generator.hpp, which brings delegation with it.
#pragma once

#include "workbook/detail/generator_promise.hpp"
#include "workbook/generator_error.hpp"

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace workbook {

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


}  // namespace workbook
