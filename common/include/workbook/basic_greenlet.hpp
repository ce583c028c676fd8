/// \file
/// \brief BasicGreenlet, the greenlet type itself: its switches, its parent, its life and death,
///        on either switcher (workbook/greenlet.hpp names the two: Greenlet, UcontextGreenlet).
///
/// greenlet.hpp is the entry point, and lists the other parts by role.
#pragma once

#include "workbook/detail/greenlet_exception_state.hpp"
#include "workbook/detail/greenlet_failures.hpp"
#include "workbook/detail/greenlet_fiber_switcher.hpp"
#include "workbook/detail/greenlet_run.hpp"
#include "workbook/detail/greenlet_runtime.hpp"
#include "workbook/detail/greenlet_sanitizer.hpp"
#include "workbook/detail/greenlet_stacks.hpp"
#include "workbook/detail/greenlet_transfer.hpp"
#include "workbook/detail/greenlet_ucontext_switcher.hpp"
#include "workbook/greenlet_error.hpp"
#include "workbook/greenlet_exit.hpp"
#include "workbook/greenlet_switcher.hpp"

#include <boost/context/detail/exception.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace workbook {

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
    /// The smallest stack the workbook's command lines accept (`--stack-size`): room for a
    /// greenlet's first frames, its switches, and the unwinding of an exception through a
    /// function of modest depth (the unwinder alone takes a few KiB). The constructor does not
    /// check it: a smaller stack works for a function that needs less, and one that needs more
    /// than it has faults on the guard page below it.
    ///
    /// \code
    /// static_assert(workbook::Greenlet::minimum_stack_size <= workbook::Greenlet::default_stack_size);
    /// \endcode
    static constexpr std::size_t minimum_stack_size = 16 * 1024;

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
        if (runtime_ == Runtime::this_thread) {
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
    using Runtime = detail::greenlets::Runtime<BasicGreenlet>;
    // The switcher S names: where a suspended greenlet's stack is kept, and how to switch to it.
    using Context = std::conditional_t<S == Switcher::fiber, detail::greenlets::FiberSwitcher,
                                       detail::greenlets::UcontextSwitcher>;
    friend Runtime;
    struct MainTag {};
    struct HandOver {};

    // The main greenlet: the thread's stack as it is. It does not keep its own runtime alive.
    BasicGreenlet(MainTag, Runtime& rt) : runtime_(&rt), state_(State::active) { context_.adopt_thread(); }

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

    static Runtime& runtime() noexcept { return Runtime::of_this_thread(); }

    // Switches to this greenlet with `message` and returns what the switch back delivers. The
    // common case (a suspended greenlet of this thread, nothing handed over from another thread)
    // is inline, always: a few loads and stores around the stack switch itself.
    template <typename R>
    [[gnu::always_inline]] R deliver(detail::greenlets::Transfer message) {
        static_assert(std::is_void_v<R> || std::is_same_v<R, std::remove_cvref_t<R>>, "receive a plain value type");
        Runtime* rt = Runtime::this_thread;
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
        if (rt.has_orphans.load(std::memory_order_relaxed)) [[unlikely]] rt.unwind_orphans();
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
        rt.save_exceptions(self.exceptions_);
        detail::greenlets::leaving(self.context_.sanitizer, target.context_.sanitizer, false);
        typename Context::Caller caller = Context::switch_stacks(self.context_, target.context_);
        rt.from->context_.keep(std::move(caller));  // how to resume whoever switched here
        // Whoever switched here made this stack's owner current: `self`, or the greenlet it was
        // handed over to if it was destroyed on another thread meanwhile.
        arrived(rt, *rt.current);
    }

    // After landing on `self`'s stack: tell the sanitizers, restore its exception-handling state,
    // and free what a greenlet that has just finished left behind (it could not free the stack it
    // was running on).
    [[gnu::always_inline]] static void arrived(Runtime& rt, BasicGreenlet& self) noexcept {
        detail::greenlets::arrived(self.context_.sanitizer, rt.from->context_.sanitizer);
        rt.restore_exceptions(self.exceptions_);
        if constexpr (Context::release_when_dead) {
            if (rt.from->state_ == State::dead) [[unlikely]] rt.from->release();
        }
    }

    // Gives an unstarted greenlet its stack, ready to enter begin() on the next switch.
    void prepare() {
        state_ = State::active;
        context_.sanitizer.create();
        context_.template prepare<&BasicGreenlet::begin>(stacks(), runtime_->current->context_.sanitizer);
    }

    // The first function on every new stack, whatever the switcher: keeps how to resume the
    // greenlet that switched here, runs this one's function, and returns where to go for good.
    static Context& begin(typename Context::Caller&& caller) noexcept {
        Runtime& rt = runtime();
        rt.from->context_.keep(std::move(caller));
        return start(rt).context_;
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
    void release() noexcept { context_.release(stacks()); }

    // Frees a suspended greenlet's stack without running anything on it: its thread has ended.
    void abandon() noexcept {
        context_.abandon(stacks());
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
    Context context_;
};

}  // namespace workbook
