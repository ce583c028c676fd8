/// \file
/// \brief Greenlet, a micro-thread with its own stack and explicit switching: Python's greenlet
///        carried over to C++, on Boost.Context fibers (Greenlet) or on POSIX `swapcontext`
///        (UcontextGreenlet).
///
/// A greenlet is "a micro-thread with no implicit scheduling": nothing runs it but an explicit
/// `switch_to`, which suspends the running greenlet where it stands, however deep in its own calls,
/// and resumes another one where that one stood. Each greenlet has a parent; when its function
/// returns (or throws), the value (or the exception) goes to the parent. Unlike a C++20 coroutine,
/// a greenlet can switch from any depth of ordinary function calls, because each has a whole stack.
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>

#include <cxxabi.h>
#include <ucontext.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

// Sanitizers must be told when the stack changes under them (see detail::greenlets::SanitizerStack).
#if defined(__SANITIZE_ADDRESS__)
#define WORKBOOK_GREENLET_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define WORKBOOK_GREENLET_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKBOOK_GREENLET_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define WORKBOOK_GREENLET_TSAN 1
#endif
#endif
#if defined(WORKBOOK_GREENLET_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#if defined(WORKBOOK_GREENLET_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace workbook {

/// Thrown into a suspended greenlet that is being destroyed (or by `throw_into()` with no
/// argument), like greenlet's `GreenletExit`: it unwinds the greenlet's stack so its destructors
/// run. A greenlet that lets it escape simply finishes; its parent receives nothing, not the
/// exception. Thrown into a greenlet that is not running any more (dead) or not yet (unstarted),
/// it is eaten there, as greenlet's `throw()` does (its test_throw.py, `test_kill`: "immediately
/// eaten by the already-dead greenlet"): the greenlet is dead and the throw becomes a switch with
/// nothing to its nearest live ancestor, so it returns at once when that is the thrower.
/// Deliberately not derived from `std::exception`, so `catch (const std::exception&)` does not
/// swallow it; a `catch (...)` inside a greenlet must rethrow it.
///
/// \code
/// workbook::Greenlet worker{[] {
///     try {
///         workbook::Greenlet::current().parent()->switch_to();
///     } catch (const workbook::GreenletExit&) {
///         std::puts("being destroyed");  // cleanup, then let it go on
///         throw;
///     }
/// }};
/// worker.switch_to();  // starts it; it suspends itself
/// // leaving the scope destroys `worker`: "being destroyed"
/// \endcode
struct GreenletExit {
    /// A short description, for messages; GreenletExit is not a `std::exception`.
    ///
    /// \code
    /// assert(std::string(workbook::GreenletExit{}.what()) == "greenlet exit");
    /// \endcode
    const char* what() const noexcept { return "greenlet exit"; }
};

/// Misuse of a greenlet: a value of the wrong type received, a value sent to start a function
/// that takes no argument, a switch to a greenlet of another thread (or of a thread that has
/// ended), a parent that would close a cycle, a dead greenlet with no live ancestor left.
/// A logic error: the program, not its input, is wrong. Where greenlet raises `TypeError` (a value
/// its `run` cannot take) this is raised the same way: in the greenlet being started, which dies
/// of it, so it goes to that greenlet's parent.
///
/// \code
/// workbook::Greenlet g{[](int x) { return x + 1; }};
/// try {
///     g.switch_to<int>(std::string("one"));  // run takes an int
/// } catch (const workbook::GreenletError& error) {
///     std::puts(error.what());  // greenlet received std::__cxx11::basic_string<...>, expected int
/// }
/// \endcode
class GreenletError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// The primitive that swaps the stacks: what a switch costs depends on it.
///
/// \code
/// static_assert(workbook::Greenlet::switcher == workbook::Switcher::fiber);
/// \endcode
enum class Switcher {
    fiber,     ///< `boost::context::fiber`: saves a few registers in user space, no system call
    ucontext,  ///< POSIX `swapcontext`: also saves the signal mask, one system call per switch
};

template <Switcher S>
class BasicGreenlet;

/// The greenlet of the workbook, switching with Boost.Context: a switch costs a few nanoseconds.
///
/// \code
/// workbook::Greenlet echo{[](int x) {
///     for (;;) x = workbook::Greenlet::current().parent()->switch_to<int>(x * 2);
/// }};
/// int a = echo.switch_to<int>(1);  // 2
/// int b = echo.switch_to<int>(5);  // 10
/// \endcode
using Greenlet = BasicGreenlet<Switcher::fiber>;

/// The same greenlet switching with POSIX `swapcontext`, which makes a system call
/// (`rt_sigprocmask`) on every switch: chapter 11's `--variant ucontext`.
///
/// \code
/// workbook::UcontextGreenlet hello{[] { std::puts("hello from another stack"); }};
/// hello.switch_to();
/// \endcode
using UcontextGreenlet = BasicGreenlet<Switcher::ucontext>;

/// \cond detail
namespace detail::greenlets {

// What one switch carries: the address of the value sent and its type. The value lives with the
// sender (in its suspended frame, or in a finished greenlet's result slot), which cannot change
// before the receiver has moved it out; so a switch copies two pointers, whatever the type.
// `type == nullptr` means an exception is on its way instead (in Runtime::error).
struct Transfer {
    void* value = nullptr;
    const std::type_info* type = &typeid(void);  // typeid(void): nothing was sent
};

// Out of line, the cold paths: messages and the checks that fail.
[[noreturn]] void fail(const char* what);
[[noreturn]] void die(const char* what) noexcept;
bool is_greenlet_exit(const std::exception_ptr& error) noexcept;
// GreenletError for a value sent to start a function that takes none.
std::exception_ptr no_argument_error(const std::type_info& sent) noexcept;
// greenlet's "unraisable" hook: one line on stderr for an exception nobody can receive, here one
// raised by a greenlet being destroyed (`kind` names the greenlet type, `greenlet` its address).
void report_ignored(const char* kind, const void* greenlet, const std::exception_ptr& error) noexcept;

// What the C++ runtime knows of the exceptions being handled on this thread: the stack of caught
// exceptions behind `std::current_exception()` and `throw;`, and the count behind
// `std::uncaught_exceptions()`. It lives in a per-thread `__cxa_eh_globals` and is not on the
// stack, so it does not switch with the stack: each greenlet keeps its own copy, saved when it
// switches away and restored when it resumes, as greenlet does for Python's exception state
// (its TExceptionState.cpp; test_greenlet.py, `test_exc_state`). <cxxabi.h> declares the struct
// but leaves it incomplete; this mirrors its layout, which libstdc++ (libsupc++/unwind-cxx.h) and
// libc++abi (cxa_exception.h) share: `caughtExceptions`, `uncaughtExceptions`, and on ARM's EH
// ABI `propagatingExceptions`. Copied with memcpy, as bytes, so no aliasing rule is bent.
#if !defined(__GLIBCXX__) && !defined(_LIBCPP_VERSION)
#error "workbook::Greenlet mirrors the __cxa_eh_globals of libstdc++ or libc++abi only"
#endif
struct ExceptionState {
    void* caught_exceptions = nullptr;     // caughtExceptions: innermost handled exception first
    unsigned int uncaught_exceptions = 0;  // uncaughtExceptions: thrown and not yet caught
#if defined(__ARM_EABI_UNWINDER__)
    void* propagating_exceptions = nullptr;  // propagatingExceptions
#endif
};
// The checks the compiler can make: the accessor's type, and a layout of plain members.
static_assert(std::is_same_v<decltype(abi::__cxa_get_globals()), abi::__cxa_eh_globals*>);
static_assert(std::is_standard_layout_v<ExceptionState> && std::is_trivially_copyable_v<ExceptionState>);
static_assert(offsetof(ExceptionState, uncaught_exceptions) == sizeof(void*));

// Out of line, what arrives unexpectedly: an exception (rethrown), or a value whose type_info is
// another object than typeid(R) (accepted if the types are equal, else GreenletError).
void check_arrival(Transfer transfer, const std::type_info& expected, std::exception_ptr& error);

// Delivers what a switch brought as an R: the value (moved out of the sender's keeping), or the
// exception raised. R = void accepts anything and drops it, like ignoring what `switch()` returns.
template <typename R>
R receive(Transfer transfer, std::exception_ptr& error) {
    if constexpr (std::is_void_v<R>) {
        if (transfer.type == nullptr) [[unlikely]] check_arrival(transfer, typeid(void), error);
    } else {
        if (transfer.type != &typeid(R)) [[unlikely]] check_arrival(transfer, typeid(R), error);
        return std::move(*static_cast<R*>(transfer.value));
    }
}

// The signature of a greenlet's function, read from its call operator (lambdas, function objects
// with one non-template operator()) or its type (function pointers).
template <typename F>
struct Signature : Signature<decltype(&F::operator())> {};
template <typename R, typename... A>
struct Signature<R (*)(A...)> {
    using result = R;
    using arguments = std::tuple<A...>;
};
template <typename R, typename... A>
struct Signature<R (*)(A...) noexcept> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...)> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) noexcept> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const noexcept> : Signature<R (*)(A...)> {};

// A greenlet's function, its type erased, and the slot its result waits in for the parent.
class Run {
public:
    explicit Run(bool takes_argument) noexcept : takes_argument(takes_argument) {}
    virtual ~Run() = default;
    const bool takes_argument;  // false: a value sent to start it is refused (no_argument_error)
    // Calls the function with the value `start` brought; returns what goes to the parent.
    virtual Transfer call(Transfer start, std::exception_ptr& error) = 0;
};

// The function's argument, if any, as received: a value moved out of the sender's keeping.
template <typename Arguments>
struct Argument {
    static_assert(std::tuple_size_v<Arguments> == 0, "a greenlet's function takes at most one argument (use a struct)");
    template <typename F>
    static decltype(auto) call_with(F& f, Transfer start, std::exception_ptr& error) {
        receive<void>(start, error);
        return std::invoke(f);
    }
};
template <typename A>
struct Argument<std::tuple<A>> {
    template <typename F>
    static decltype(auto) call_with(F& f, Transfer start, std::exception_ptr& error) {
        auto value = receive<std::remove_cvref_t<A>>(start, error);
        return std::invoke(f, static_cast<A&&>(value));
    }
};

template <typename F>
class RunOf final : public Run {
    using Result = typename Signature<F>::result;
    using Arguments = typename Signature<F>::arguments;
    static_assert(!std::is_reference_v<Result>, "a greenlet's function must return a value, not a reference");

public:
    explicit RunOf(F f) : Run(std::tuple_size_v<Arguments> != 0), f_(std::move(f)) {}

    Transfer call(Transfer start, std::exception_ptr& error) override {
        if constexpr (std::is_void_v<Result>) {
            Argument<Arguments>::call_with(f_, start, error);
            return {};
        } else {
            // Kept here, off the stack that is about to be freed, until the parent moves it out.
            result_.emplace(Argument<Arguments>::call_with(f_, start, error));
            return {&*result_, &typeid(Result)};
        }
    }

private:
    F f_;
    [[no_unique_address]] std::conditional_t<std::is_void_v<Result>, std::tuple<>, std::optional<Result>> result_;
};

// What the sanitizers must know about one stack. AddressSanitizer must be told before and after
// every switch (`__sanitizer_start_switch_fiber`/`__sanitizer_finish_switch_fiber`), or it takes
// the greenlet's stack for the thread's and its exception handling and fake frames go wrong;
// ThreadSanitizer keeps one shadow call stack per fiber (`__tsan_switch_to_fiber`). Without
// sanitizers this is empty and every call below compiles to nothing.
struct SanitizerStack {
#if defined(WORKBOOK_GREENLET_TSAN)
    static constexpr bool has_fiber = true;  // to destroy when its greenlet is dead
#else
    static constexpr bool has_fiber = false;
#endif
#if defined(WORKBOOK_GREENLET_ASAN)
    const void* bottom = nullptr;  // the thread's own stack: learnt when it is first left
    std::size_t size = 0;
    void* fake_stack = nullptr;
#endif
#if defined(WORKBOOK_GREENLET_TSAN)
    void* fiber = nullptr;
    bool owned = false;
#endif

    void adopt_thread() noexcept {
#if defined(WORKBOOK_GREENLET_TSAN)
        fiber = __tsan_get_current_fiber();
#endif
    }
    void create() noexcept {
#if defined(WORKBOOK_GREENLET_TSAN)
        fiber = __tsan_create_fiber(0);
        owned = true;
#endif
    }
    void destroy() noexcept {
#if defined(WORKBOOK_GREENLET_TSAN)
        if (owned) __tsan_destroy_fiber(fiber);
        fiber = nullptr;
        owned = false;
#endif
    }
    void set_bounds([[maybe_unused]] const boost::context::stack_context& stack) noexcept {
#if defined(WORKBOOK_GREENLET_ASAN)
        size = stack.size;
        bottom = static_cast<const char*>(stack.sp) - stack.size;
#endif
    }
    // Runs `code` with ThreadSanitizer attributing it to this stack's fiber: Boost.Context enters a
    // new fiber once while creating it, and that frame belongs on the new fiber's shadow stack.
    template <typename Code>
    void as_own([[maybe_unused]] SanitizerStack& running, Code code) {
#if defined(WORKBOOK_GREENLET_TSAN)
        __tsan_switch_to_fiber(fiber, 0);
        code();
        __tsan_switch_to_fiber(running.fiber, 0);
#else
        code();
#endif
    }
};

// Just before leaving `from` for `to`; `finished`: `from` will never run again.
inline void leaving([[maybe_unused]] SanitizerStack& from, [[maybe_unused]] const SanitizerStack& to,
                    [[maybe_unused]] bool finished) noexcept {
#if defined(WORKBOOK_GREENLET_ASAN)
    __sanitizer_start_switch_fiber(finished ? nullptr : &from.fake_stack, to.bottom, to.size);
#endif
}

// Just after arriving on `self`'s stack from `from`'s. ThreadSanitizer is told here, on the
// arriving side, so that each shadow stack only ever sees the calls made on its own stack.
inline void arrived([[maybe_unused]] SanitizerStack& self, [[maybe_unused]] SanitizerStack& from) noexcept {
#if defined(WORKBOOK_GREENLET_ASAN)
    __sanitizer_finish_switch_fiber(self.fake_stack, &from.bottom, &from.size);
#endif
#if defined(WORKBOOK_GREENLET_TSAN)
    __tsan_switch_to_fiber(self.fiber, 0);
#endif
}

// Stacks come from Boost's protected stack allocator (mmap plus a guard page, so an overflow
// faults instead of corrupting memory). A stack is unpoisoned before it is returned, because
// frames that never returned leave AddressSanitizer's marks on it. Each allocation is recorded in
// `where`, so that a stack can be freed without resuming it (its thread has ended).
class Stacks {
public:
    Stacks(std::size_t size, SanitizerStack& record, boost::context::stack_context& where, std::size_t& in_use)
        : allocator_(size), record_(&record), where_(&where), in_use_(&in_use) {}
    boost::context::stack_context allocate() {
        auto stack = allocator_.allocate();
        record_->set_bounds(stack);
        *where_ = stack;
        ++*in_use_;
        return stack;
    }
    void deallocate(boost::context::stack_context& stack) noexcept {
#if defined(WORKBOOK_GREENLET_ASAN)
        ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(stack.sp) - stack.size, stack.size);
#endif
        allocator_.deallocate(stack);
        --*in_use_;
    }

private:
    boost::context::protected_fixedsize_stack allocator_;
    SanitizerStack* record_;                // used by allocate() only, while the greenlet is created
    boost::context::stack_context* where_;  // likewise
    std::size_t* in_use_;                   // the thread's count, for stacks_in_use()
};

// Where a greenlet's stack is kept while it is suspended.
template <Switcher S>
struct Context;

// All of it moves with the greenlet when a suspended greenlet destroyed on another thread is
// handed to its own thread: nothing its stack's frames point into may stay in the old object.
template <>
struct Context<Switcher::fiber> {
    boost::context::fiber fiber;            // the suspended continuation; empty while running, unstarted, dead
    boost::context::stack_context stack{};  // what Boost allocated (and frees when the function returns)
    SanitizerStack sanitizer;
};

template <>
struct Context<Switcher::ucontext> {
    // On the heap: a saved ucontext_t points into itself (its floating-point state), so it must
    // never be copied, and the greenlet owning it may be handed over to another object.
    std::unique_ptr<ucontext_t> context;
    boost::context::stack_context stack{};  // allocated at the start, freed once dead
    SanitizerStack sanitizer;
};

// Lets go of a suspended fiber without resuming it: ~fiber would unwind it, running its frames.
inline void forget(boost::context::fiber&& fiber) noexcept {
    union Forgotten {
        Forgotten() noexcept {}
        ~Forgotten() {}  // deliberately does not destroy the fiber
        boost::context::fiber fiber;
    } forgotten;
    ::new (static_cast<void*>(&forgotten.fiber)) boost::context::fiber(std::move(fiber));
}

}  // namespace detail::greenlets
/// \endcond

/// A greenlet: a function running on its own stack, entered and left only by explicit switches.
/// Use it as Greenlet (Boost.Context) or UcontextGreenlet (`swapcontext`); both behave the same.
///
/// - `g.switch_to(v)` suspends the running greenlet and resumes `g`, delivering `v`: the first
///   switch starts `g`'s function with `v` as its argument, later ones make `g`'s own pending
///   `switch_to` return `v`. What `switch_to` returns is what the next switch back delivers.
/// - Values are typed at run time: the receiver names the type it expects
///   (`g.switch_to<int>(x)`, the function's parameter) and gets GreenletError if another arrives;
///   expecting `void` accepts anything and drops it. A switch copies two pointers, whatever the type.
/// - A value is delivered or refused, never dropped on the way: a value sent to start a function
///   that takes no argument kills that greenlet before it runs, and GreenletError goes on to its
///   nearest live ancestor instead (greenlet raises `TypeError` there; its test_greenlet.py,
///   `test_falling_off_end_switches_to_unstarted_parent_raises_error`). That holds for a result
///   going to a parent that has not started, as for `g.switch_to(v)`.
/// - Each greenlet has a parent, by default the greenlet that created it. When its function
///   returns, the greenlet is dead and the result goes to the parent's pending switch; an uncaught
///   exception is raised there instead. A switch to a dead greenlet goes to its nearest live
///   ancestor.
/// - Each greenlet has its own exception-handling state: inside a `catch` block, a switch away
///   and back leaves `std::current_exception()`, `throw;` and `std::uncaught_exceptions()` as they
///   were, whatever other greenlets caught or threw meanwhile (greenlet keeps each one's
///   `sys.exc_info()`: test_greenlet.py, `test_exc_state`). A new greenlet starts with none.
/// - Each thread has a main greenlet (its own stack), never dead and with no parent. It lives as
///   long as its thread, or as the last greenlet of that thread if one outlives it.
/// - A greenlet belongs to the thread that created it, and is neither copied nor moved: its
///   address is its identity, as parents and the running stack refer to it. Only that thread can
///   switch to it or throw into it; from any other, and once that thread has ended, that is a
///   GreenletError (greenlet's "cannot switch to a different thread").
/// - Destroying a suspended greenlet throws GreenletExit into it, so its stack unwinds and its
///   destructors run; its stack is freed. Destroying an unstarted or dead one frees nothing more.
///   On another thread than its own, see ~BasicGreenlet().
///
/// \code
/// // greenlet's documentation example: prints 12 56 34 (78 is never reached)
/// workbook::Greenlet* gr2_ptr = nullptr;
/// workbook::Greenlet gr1{[&] { std::puts("12"); gr2_ptr->switch_to(); std::puts("34"); }};
/// workbook::Greenlet gr2{[&] { std::puts("56"); gr1.switch_to(); std::puts("78"); }};
/// gr2_ptr = &gr2;
/// gr1.switch_to();
/// \endcode
template <Switcher S>
class BasicGreenlet {
public:
    /// The stack switching primitive this greenlet type uses.
    ///
    /// \code
    /// static_assert(workbook::UcontextGreenlet::switcher == workbook::Switcher::ucontext);
    /// \endcode
    static constexpr Switcher switcher = S;
    /// Each greenlet's stack size unless its constructor says otherwise: 256 KiB, of which only
    /// the pages touched are ever backed by memory.
    ///
    /// \code
    /// workbook::Greenlet deep{[] { /* deep recursion */ }, workbook::Greenlet::current(),
    ///                         4 * workbook::Greenlet::default_stack_size};
    /// \endcode
    static constexpr std::size_t default_stack_size = 256 * 1024;

    /// A greenlet that will run `run` when first switched to; it is given a stack only then.
    /// `run` takes no argument or one (the first switch's value) and may return a value (for the
    /// parent). `parent` defaults to the running greenlet; it must belong to this thread.
    ///
    /// \code
    /// workbook::Greenlet square{[](int x) { return x * x; }};
    /// int nine = square.switch_to<int>(3);  // starts it; its result comes back
    /// \endcode
    template <typename F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, BasicGreenlet>)
    explicit BasicGreenlet(F run, BasicGreenlet& parent = current(), std::size_t stack_size = default_stack_size)
        : runtime_(&runtime()),
          keep_runtime_(runtime_->shared_from_this()),
          run_(std::make_unique<detail::greenlets::RunOf<F>>(std::move(run))),
          stack_size_(stack_size) {
        if (parent.runtime_ != runtime_) detail::greenlets::fail("a greenlet's parent must belong to the same thread");
        std::lock_guard links{runtime_->links};
        link_to(&parent);
    }

    BasicGreenlet(const BasicGreenlet&) = delete;
    BasicGreenlet& operator=(const BasicGreenlet&) = delete;

    /// Destroys the greenlet. Children of a destroyed greenlet get its parent as theirs.
    ///
    /// On its own thread, a suspended greenlet is first unwound: GreenletExit is thrown into it
    /// with the destroying greenlet as its parent, so its destructors run and its stack is freed.
    /// If it raises another exception instead of finishing, that exception is reported on stderr,
    /// in one line naming the greenlet and the exception, and dropped: greenlet's "unraisable"
    /// hook (test_greenlet.py, `test_dealloc_catches_GreenletExit_throws_other`). If it switches
    /// away instead of finishing, the program terminates with a message saying so: its stack
    /// cannot outlive its object. Destroying the running greenlet terminates too.
    ///
    /// On another thread, a suspended greenlet's stack is handed to its own thread, which unwinds
    /// it the same way at its next switch or, at the latest, when it ends (greenlet's
    /// test_greenlet.py, `test_dealloc_other_thread`); if that thread has already ended, the
    /// stack is freed without running anything on it (its frames' destructors do not run). The
    /// frames unwound later must not use the destroyed object itself (`*this`); and, as for any
    /// object, the destruction must not race with its thread using it, its parent or children.
    ///
    /// \code
    /// {
    ///     workbook::Greenlet g{[] {
    ///         std::vector<int> buffer(1000);
    ///         workbook::Greenlet::main_greenlet().switch_to();
    ///     }};
    ///     g.switch_to();
    /// }  // g is suspended: GreenletExit unwinds it (~vector runs), then its stack is freed
    /// \endcode
    ~BasicGreenlet() {
        if (is_main()) {  // at its thread's end, or after the last greenlet of an ended thread
            while (first_child_ != nullptr) first_child_->link_to(nullptr);
            return;
        }
        BasicGreenlet* const grandparent = parent_;
        if (runtime_ == this_thread_) {
            if (state_ == State::active) kill();
            std::lock_guard links{runtime_->links};
            detach(grandparent);
            return;
        }
        std::lock_guard links{runtime_->links};
        detach(grandparent);
        if (state_ != State::active) return;
        if (runtime_->ended) {
            abandon();
        } else {
            runtime_->orphans.push_back(std::unique_ptr<BasicGreenlet>(new BasicGreenlet(HandOver{}, *this)));
            runtime_->has_orphans.store(true, std::memory_order_relaxed);  // the lock publishes the rest
        }
    }

    /// Suspends the running greenlet and resumes this one, delivering `value` (the first switch
    /// starts it with `value` as its function's argument). Returns when a switch comes back,
    /// with the value it delivered, as an `R` (GreenletError if it is another type), or raises
    /// the exception it delivered. A switch to a dead greenlet goes to its nearest live ancestor;
    /// a switch to the running greenlet returns `value` at once.
    ///
    /// \code
    /// workbook::Greenlet doubler{[](int x) {
    ///     auto& main = workbook::Greenlet::main_greenlet();
    ///     for (;;) x = main.switch_to<int>(2 * x);
    /// }};
    /// int four = doubler.switch_to<int>(2);
    /// int six = doubler.switch_to<int>(3);
    /// \endcode
    template <typename R = void, typename V>
    [[gnu::always_inline]] R switch_to(V value) {
        return deliver<R>({std::addressof(value), &typeid(V)});
    }

    /// The same with nothing to deliver (the function, if this starts it, takes no argument).
    ///
    /// \code
    /// workbook::Greenlet hello{[] { std::puts("hello"); }};
    /// hello.switch_to();
    /// \endcode
    template <typename R = void>
    [[gnu::always_inline]] R switch_to() {
        return deliver<R>({});
    }

    /// Switches to this greenlet and raises `error` there, at its pending `switch_to`. If it
    /// catches it and switches back, that switch's value is returned here; if not, the exception
    /// goes to its parent like any other (GreenletExit excepted: that one just ends it). A greenlet
    /// that has not started dies without running, and `error` goes to its parent at once; so does
    /// `error` thrown into a dead greenlet, unless it is GreenletExit, which is eaten there
    /// (GreenletExit).
    ///
    /// \code
    /// workbook::Greenlet worker{[] { workbook::Greenlet::main_greenlet().switch_to(); }};
    /// worker.switch_to();  // started, now suspended
    /// try {
    ///     worker.throw_into(std::make_exception_ptr(std::runtime_error("stop")));
    /// } catch (const std::runtime_error&) {
    ///     assert(worker.dead());  // it did not catch it: it died, and its parent (here) receives it
    /// }
    /// \endcode
    template <typename R = void>
    R throw_into(std::exception_ptr error) {
        if (!error) detail::greenlets::fail("throw_into() needs an exception");
        Runtime& rt = switch_slowly({nullptr, nullptr}, std::move(error));
        return detail::greenlets::receive<R>(rt.transfer, rt.error);
    }

    /// The same with an exception object; with none, GreenletExit, which ends the greenlet quietly.
    ///
    /// \code
    /// workbook::Greenlet worker{[] {
    ///     auto& main = workbook::Greenlet::main_greenlet();
    ///     try {
    ///         main.switch_to();
    ///     } catch (const std::out_of_range&) {
    ///         main.switch_to();  // caught: it lives on
    ///     }
    /// }};
    /// worker.switch_to();
    /// worker.throw_into(std::out_of_range("no more work"));  // returns when it switches back
    /// worker.throw_into();  // GreenletExit: it unwinds, and this returns once it is dead
    /// worker.throw_into();  // dead: eaten, this returns at once
    /// \endcode
    template <typename R = void, typename E = GreenletExit>
    R throw_into(E error = E{}) {
        return throw_into<R>(std::make_exception_ptr(std::move(error)));
    }

    /// Whether the greenlet has finished (returned or raised). The main greenlet is never dead.
    ///
    /// \code
    /// workbook::Greenlet once{[] {}};
    /// once.switch_to();
    /// assert(once.dead());
    /// \endcode
    bool dead() const noexcept { return state_ == State::dead; }

    /// Whether it has been started (it may be dead since). The main greenlet always has.
    ///
    /// \code
    /// workbook::Greenlet g{[] {}};
    /// assert(!g.started());
    /// \endcode
    bool started() const noexcept { return state_ != State::unstarted; }

    /// Started and not dead: running or suspended (greenlet's `bool(g)`).
    ///
    /// \code
    /// assert(workbook::Greenlet::current().active());
    /// \endcode
    bool active() const noexcept { return state_ == State::active; }

    /// Whether this is its thread's main greenlet.
    ///
    /// \code
    /// assert(workbook::Greenlet::main_greenlet().is_main());
    /// \endcode
    bool is_main() const noexcept { return this == &runtime_->main; }

    /// The parent, which receives this greenlet's result; null for the main greenlet (and for a
    /// greenlet whose ancestors were all destroyed, like the main greenlet at thread exit).
    ///
    /// \code
    /// workbook::Greenlet child{[] {}};
    /// assert(child.parent() == &workbook::Greenlet::current());
    /// \endcode
    BasicGreenlet* parent() const noexcept { return parent_; }

    /// Makes `parent` this greenlet's parent. Throws GreenletError if that would make a cycle
    /// (this greenlet would be its own ancestor), if `parent` belongs to another thread, or if this
    /// is the main greenlet.
    ///
    /// \code
    /// workbook::Greenlet a{[] {}}, b{[] {}};
    /// b.set_parent(a);
    /// try {
    ///     a.set_parent(b);
    /// } catch (const workbook::GreenletError& error) {
    ///     std::puts(error.what());  // cannot set a greenlet's parent: it would close a cycle
    /// }
    /// \endcode
    void set_parent(BasicGreenlet& parent) {
        if (is_main()) detail::greenlets::fail("the main greenlet cannot have a parent");
        if (parent.runtime_ != runtime_) detail::greenlets::fail("a greenlet's parent must belong to the same thread");
        for (const BasicGreenlet* g = &parent; g != nullptr; g = g->parent_) {
            if (g == this) detail::greenlets::fail("cannot set a greenlet's parent: it would close a cycle");
        }
        std::lock_guard links{runtime_->links};
        link_to(&parent);
    }

    /// The greenlet running on this thread now.
    ///
    /// \code
    /// workbook::Greenlet g{[] { assert(!workbook::Greenlet::current().is_main()); }};
    /// g.switch_to();
    /// \endcode
    static BasicGreenlet& current() noexcept { return *runtime().current; }

    /// This thread's main greenlet: the thread's own stack, where greenlets' results end up.
    ///
    /// \code
    /// assert(&workbook::Greenlet::main_greenlet() == &workbook::Greenlet::current());  // in main()
    /// \endcode
    static BasicGreenlet& main_greenlet() noexcept { return runtime().main; }

    /// How many greenlet stacks of this kind this thread has allocated and not yet freed: one per
    /// started greenlet that is not dead yet (a finished greenlet's stack is freed at its last
    /// switch). For tests that prove no stack is leaked.
    ///
    /// \code
    /// auto before = workbook::Greenlet::stacks_in_use();
    /// { workbook::Greenlet g{[] { workbook::Greenlet::main_greenlet().switch_to(); }}; g.switch_to(); }
    /// assert(workbook::Greenlet::stacks_in_use() == before);
    /// \endcode
    static std::size_t stacks_in_use() noexcept { return runtime().stacks; }

private:
    enum class State : unsigned char { unstarted, active, dead };
    struct Runtime;
    struct ThreadEnd;
    struct MainTag {};
    struct HandOver {};

    // The main greenlet: the thread's stack as it is. It does not keep its own runtime alive.
    BasicGreenlet(MainTag, Runtime& rt) : runtime_(&rt), state_(State::active) {
        if constexpr (S == Switcher::ucontext) context_.context = std::make_unique<ucontext_t>();
        context_.sanitizer.adopt_thread();
    }

    // A suspended greenlet destroyed on another thread: `dying`'s stack and everything the frames
    // on it refer to (its function, its context), taken over for its own thread to unwind.
    BasicGreenlet(HandOver, BasicGreenlet& dying) noexcept
        : runtime_(dying.runtime_),
          keep_runtime_(dying.keep_runtime_),
          run_(std::move(dying.run_)),
          stack_size_(dying.stack_size_),
          state_(std::exchange(dying.state_, State::dead)),
          exceptions_(dying.exceptions_),
          context_(std::move(dying.context_)) {}

    static Runtime& runtime() noexcept {
        if (Runtime* rt = this_thread_) [[likely]] return *rt;
        return make_runtime();
    }
    static Runtime& make_runtime() noexcept;

    // Switches to this greenlet with `message` and returns what the switch back delivers. The
    // common case (a suspended greenlet of this thread, nothing handed over from another thread)
    // is inline, always: a few loads and stores around the stack switch itself.
    template <typename R>
    [[gnu::always_inline]] R deliver(detail::greenlets::Transfer message) {
        static_assert(std::is_void_v<R> || std::is_same_v<R, std::remove_cvref_t<R>>, "receive a plain value type");
        Runtime* rt = this_thread_;
        if (rt == runtime_ && state_ == State::active && this != rt->current &&
            !rt->has_orphans.load(std::memory_order_relaxed)) [[likely]] {
            rt->transfer = message;
            jump(*rt, *this);
        } else {
            rt = &switch_slowly(message, nullptr);
        }
        return detail::greenlets::receive<R>(rt->transfer, rt->error);
    }

    // Every other switch: to an unstarted, dead or running greenlet, or one of another thread, or
    // with an exception, or with greenlets destroyed on other threads to unwind first. Returns the
    // thread's runtime, where the switch back left its message.
    [[gnu::noinline]] Runtime& switch_slowly(detail::greenlets::Transfer message, std::exception_ptr error) {
        Runtime& rt = runtime();
        // runtime_ is kept alive by this greenlet, so no later thread's runtime can have its address.
        if (runtime_ != &rt) detail::greenlets::fail("cannot switch to a greenlet of another thread");
        unwind_orphans(rt);
        rt.transfer = message;
        rt.error = std::move(error);
        BasicGreenlet* target = nearest_live(this, rt);
        if (target == nullptr) {
            rt.error = nullptr;  // a switch that cannot happen drops what it carried
            detail::greenlets::fail("switch to a dead greenlet with no live ancestor");
        }
        if (target != rt.current) {
            if (target->state_ == State::unstarted) target->prepare();
            jump(rt, *target);
        }
        return rt;
    }

    // greenlet's rule, for a switch and for a greenlet's end alike: the message (rt.transfer,
    // rt.error) goes to `g` if it is live, else to its nearest live ancestor. On the way, an
    // unstarted greenlet is started if the message is one it can take; if not, it dies without
    // running, and an exception (GreenletError for a value it cannot take) goes on in its place.
    // GreenletExit dies where it meets a greenlet that is not running: dead or unstarted.
    // Returns the greenlet to switch to (the running one: nothing to switch), or null if none is left.
    static BasicGreenlet* nearest_live(BasicGreenlet* g, Runtime& rt) noexcept {
        for (; g != nullptr; g = g->parent_) {
            if (g == rt.current || g->state_ == State::active) return g;
            if (g->state_ == State::unstarted) {
                const bool value = rt.transfer.type != nullptr;
                if (value && (g->run_->takes_argument || *rt.transfer.type == typeid(void))) return g;
                g->state_ = State::dead;  // it will never run
                if (value) {
                    rt.error = detail::greenlets::no_argument_error(*rt.transfer.type);
                    rt.transfer = {nullptr, nullptr};
                    continue;
                }
            }
            if (detail::greenlets::is_greenlet_exit(rt.error)) {
                rt.error = nullptr;
                rt.transfer = {};
            }
        }
        return nullptr;
    }

    // The switch itself, to a suspended or just prepared greenlet. On return, this thread runs
    // this stack again, resumed by rt.from.
    [[gnu::always_inline]] static void jump(Runtime& rt, BasicGreenlet& target) {
        BasicGreenlet& self = *rt.current;
        rt.from = &self;
        rt.current = &target;
        std::memcpy(&self.exceptions_, rt.exceptions, sizeof self.exceptions_);
        detail::greenlets::leaving(self.context_.sanitizer, target.context_.sanitizer, false);
        if constexpr (S == Switcher::fiber) {
            boost::context::fiber back = std::move(target.context_.fiber).resume();
            rt.from->context_.fiber = std::move(back);  // how to resume whoever switched here
        } else {
            ::swapcontext(self.context_.context.get(), target.context_.context.get());
        }
        // Whoever switched here made this stack's owner current: `self`, or the greenlet it was
        // handed over to if it was destroyed on another thread meanwhile.
        arrived(rt, *rt.current);
    }

    // After landing on `self`'s stack: tell the sanitizers, restore its exception-handling state,
    // and free what a greenlet that has just finished left behind (it could not free the stack it
    // was running on).
    [[gnu::always_inline]] static void arrived(Runtime& rt, BasicGreenlet& self) noexcept {
        detail::greenlets::arrived(self.context_.sanitizer, rt.from->context_.sanitizer);
        std::memcpy(rt.exceptions, &self.exceptions_, sizeof self.exceptions_);
        if constexpr (S == Switcher::ucontext || detail::greenlets::SanitizerStack::has_fiber) {
            if (rt.from->state_ == State::dead) [[unlikely]] rt.from->release();
        }
    }

    // Gives an unstarted greenlet its stack, ready to enter start() on the next switch.
    void prepare() {
        state_ = State::active;
        context_.sanitizer.create();
        detail::greenlets::Stacks stacks(stack_size_, context_.sanitizer, context_.stack, runtime_->stacks);
        if constexpr (S == Switcher::fiber) {
            // Boost allocates the stack (and frees it once the function has returned).
            context_.sanitizer.as_own(runtime_->current->context_.sanitizer, [this, &stacks] {
                context_.fiber = boost::context::fiber(std::allocator_arg, stacks, [](boost::context::fiber&& caller) {
                    Runtime& rt = runtime();
                    rt.from->context_.fiber = std::move(caller);
                    BasicGreenlet& next = start(rt);
                    return std::move(next.context_.fiber);  // Boost switches there and frees this stack
                });
            });
        } else {
            context_.context = std::make_unique<ucontext_t>();
            stacks.allocate();
            ::getcontext(context_.context.get());
            context_.context->uc_stack.ss_sp = static_cast<char*>(context_.stack.sp) - context_.stack.size;
            context_.context->uc_stack.ss_size = context_.stack.size;
            context_.context->uc_link = nullptr;
            ::makecontext(context_.context.get(), &enter, 0);
        }
    }

    // The ucontext stack's first function. It never returns: it leaves with setcontext.
    static void enter() {
        Runtime& rt = runtime();
        BasicGreenlet& next = start(rt);
        ::setcontext(next.context_.context.get());
    }

    // Runs the greenlet's function on its new stack, then decides where the result goes: the
    // nearest live ancestor. Returns it, prepared, for the caller to switch to for good.
    static BasicGreenlet& start(Runtime& rt) noexcept {
        arrived(rt, *rt.current);
        detail::greenlets::Run& run = *rt.current->run_;  // stays where it is if the greenlet is handed over
        detail::greenlets::Transfer result;
        try {
            result = run.call(rt.transfer, rt.error);
        } catch (const boost::context::detail::forced_unwind&) {
            detail::greenlets::die("Boost.Context unwound a greenlet it does not own");
        } catch (const GreenletExit&) {
            result = {};  // the greenlet was asked to end: it ended
        } catch (...) {
            rt.error = std::current_exception();
            result = {nullptr, nullptr};
        }
        BasicGreenlet& self = *rt.current;  // this stack's owner now (see jump)
        self.state_ = State::dead;
        rt.transfer = result;
        BasicGreenlet* next = nearest_live(self.parent_, rt);  // never self: it is dead
        if (next == nullptr) detail::greenlets::die("a greenlet finished with no live ancestor to return to");
        if (next->state_ == State::unstarted) next->prepare();
        rt.from = &self;
        rt.current = next;
        detail::greenlets::leaving(self.context_.sanitizer, next->context_.sanitizer, true);
        return *next;
    }

    // Frees a dead greenlet's stack (ucontext; Boost frees its own) and sanitizer state.
    void release() noexcept {
        if constexpr (S == Switcher::ucontext) {
            if (context_.stack.sp != nullptr) {
                stacks().deallocate(context_.stack);
                context_.stack = {};
            }
            context_.context.reset();
        }
        context_.sanitizer.destroy();
    }

    // Frees a suspended greenlet's stack without running anything on it: its thread has ended.
    void abandon() noexcept {
        if constexpr (S == Switcher::fiber) detail::greenlets::forget(std::move(context_.fiber));
        stacks().deallocate(context_.stack);
        context_.stack = {};
        context_.sanitizer.destroy();
        state_ = State::dead;
    }

    detail::greenlets::Stacks stacks() noexcept {
        return detail::greenlets::Stacks(stack_size_, context_.sanitizer, context_.stack, runtime_->stacks);
    }

    // Unwinds a suspended greenlet by throwing GreenletExit into it, from the greenlet destroying it.
    void kill() noexcept {
        Runtime& rt = *runtime_;
        if (rt.current == this) detail::greenlets::die("a greenlet cannot be destroyed while it runs");
        {
            std::lock_guard links{rt.links};
            link_to(rt.current);
        }
        std::exception_ptr raised;
        try {
            throw_into<void>(GreenletExit{});
        } catch (...) {
            raised = std::current_exception();
        }
        if (state_ != State::dead) {
            detail::greenlets::die(
                "a greenlet being destroyed switched away instead of finishing: it cannot outlive its object");
        }
        if (raised) detail::greenlets::report_ignored(kind, this, raised);
    }

    // Unwinds, on this thread, the suspended greenlets destroyed on other threads.
    static void unwind_orphans(Runtime& rt) noexcept {
        if (!rt.has_orphans.load(std::memory_order_relaxed)) [[likely]] return;
        std::vector<std::unique_ptr<BasicGreenlet>> orphans;
        {
            std::lock_guard links{rt.links};
            orphans.swap(rt.orphans);
            rt.has_orphans.store(false, std::memory_order_relaxed);
        }
        for (auto& orphan : orphans) orphan->kill();
    }

    // The parent links, with each greenlet's children in a list, so that destroying a greenlet can
    // hand its children to its own parent. Changed under the runtime's `links` lock, because a
    // greenlet destroyed on another thread changes them too.
    void link_to(BasicGreenlet* parent) noexcept {
        unlink();
        parent_ = parent;
        if (parent == nullptr) return;
        next_sibling_ = parent->first_child_;
        if (next_sibling_ != nullptr) next_sibling_->previous_sibling_ = this;
        parent->first_child_ = this;
    }
    void unlink() noexcept {
        if (parent_ == nullptr) return;
        if (previous_sibling_ != nullptr) {
            previous_sibling_->next_sibling_ = next_sibling_;
        } else {
            parent_->first_child_ = next_sibling_;
        }
        if (next_sibling_ != nullptr) next_sibling_->previous_sibling_ = previous_sibling_;
        parent_ = next_sibling_ = previous_sibling_ = nullptr;
    }
    // Leaves the tree for good: out of its parent's children, its own children to `grandparent`.
    void detach(BasicGreenlet* grandparent) noexcept {
        unlink();
        while (first_child_ != nullptr) first_child_->link_to(grandparent);
    }

    static constexpr const char* kind = S == Switcher::fiber ? "workbook::Greenlet" : "workbook::UcontextGreenlet";
    static constinit inline thread_local Runtime* this_thread_ = nullptr;

    Runtime* runtime_;
    std::shared_ptr<Runtime> keep_runtime_;  // null for the main greenlet, which its runtime owns
    std::unique_ptr<detail::greenlets::Run> run_;  // null for the main greenlet
    std::size_t stack_size_ = default_stack_size;
    State state_ = State::unstarted;
    BasicGreenlet* parent_ = nullptr;
    BasicGreenlet* first_child_ = nullptr;
    BasicGreenlet* next_sibling_ = nullptr;
    BasicGreenlet* previous_sibling_ = nullptr;
    detail::greenlets::ExceptionState exceptions_;  // saved while it is not running
    detail::greenlets::Context<S> context_;
};

/// \cond detail
// Per thread: who runs, who switched last, the message of the switch in progress, the main
// greenlet. Owned by the thread and by each of its greenlets, so its address identifies the thread
// for as long as any greenlet can ask.
template <Switcher S>
struct BasicGreenlet<S>::Runtime : std::enable_shared_from_this<Runtime> {
    Runtime() : main(MainTag{}, *this), current(&main) {}
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    BasicGreenlet main;
    BasicGreenlet* current;
    BasicGreenlet* from = nullptr;  // the greenlet that switched last: its context is stored on arrival
    detail::greenlets::Transfer transfer;
    std::exception_ptr error;  // the exception a switch carries, when transfer.type is null
    std::size_t stacks = 0;    // allocated and not yet freed
    void* const exceptions = abi::__cxa_get_globals();  // this thread's; the same all its life

    // Suspended greenlets destroyed on other threads, for this thread to unwind; with `ended`
    // (after which they are freed where they are destroyed) and the parent links, under `links`.
    std::mutex links;
    std::vector<std::unique_ptr<BasicGreenlet>> orphans;
    std::atomic<bool> has_orphans{false};  // read without the lock at every switch
    bool ended = false;
};

// At thread exit: unwinds what other threads handed over, and marks the runtime ended.
template <Switcher S>
struct BasicGreenlet<S>::ThreadEnd {
    std::shared_ptr<Runtime> runtime;
    ThreadEnd() = default;
    ThreadEnd(const ThreadEnd&) = delete;
    ThreadEnd& operator=(const ThreadEnd&) = delete;
    ~ThreadEnd() {
        if (!runtime) return;
        std::vector<std::unique_ptr<BasicGreenlet>> orphans;
        {
            std::lock_guard links{runtime->links};
            orphans.swap(runtime->orphans);
            runtime->has_orphans.store(false, std::memory_order_relaxed);
            runtime->ended = true;
        }
        for (auto& orphan : orphans) orphan->kill();
        orphans.clear();
        this_thread_ = nullptr;
    }
};

template <Switcher S>
typename BasicGreenlet<S>::Runtime& BasicGreenlet<S>::make_runtime() noexcept {
    static thread_local ThreadEnd owner;  // the runtime outlives the thread while a greenlet keeps it
    owner.runtime = std::make_shared<Runtime>();
    this_thread_ = owner.runtime.get();
    return *owner.runtime;
}
/// \endcond

}  // namespace workbook
