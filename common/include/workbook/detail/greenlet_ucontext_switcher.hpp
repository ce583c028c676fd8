// The swapcontext switcher: a greenlet's stack as a POSIX ucontext_t, and the switch to it, which
// also saves and restores the signal mask: one system call (rt_sigprocmask) per switch.
#pragma once

#include "workbook/detail/greenlet_sanitizer.hpp"
#include "workbook/detail/greenlet_stacks.hpp"

#include <boost/context/stack_context.hpp>

#include <ucontext.h>

#include <memory>

namespace workbook::detail::greenlets {

// Where a greenlet's stack is kept while it is suspended, and how to switch to it. All of it moves
// with the greenlet when a suspended greenlet destroyed on another thread is handed to its own
// thread: nothing its stack's frames point into may stay in the old object.
struct UcontextSwitcher {
    // swapcontext saves the running context itself: there is nothing to hand over.
    struct Caller {};
    // A greenlet's stack is allocated here, and freed here once it is dead.
    static constexpr bool release_when_dead = true;

    // On the heap: a saved ucontext_t points into itself (its floating-point state), so it must
    // never be copied, and the greenlet owning it may be handed over to another object.
    std::unique_ptr<ucontext_t> context;
    boost::context::stack_context stack{};  // allocated at the start, freed once dead
    SanitizerStack sanitizer;

    // The thread's own stack, for its main greenlet: swapcontext saves it here when it is left.
    void adopt_thread() {
        context = std::make_unique<ucontext_t>();
        sanitizer.adopt_thread();
    }

    // A new stack, whose first function is `Begin` on the first switch: Begin takes the Caller and
    // returns the switcher to leave for, for good, once the greenlet's function has finished.
    template <UcontextSwitcher& (*Begin)(Caller&&) noexcept>
    void prepare(Stacks stacks, SanitizerStack& /*running*/) {
        context = std::make_unique<ucontext_t>();
        stacks.allocate();
        ::getcontext(context.get());
        context->uc_stack.ss_sp = static_cast<char*>(stack.sp) - stack.size;
        context->uc_stack.ss_size = stack.size;
        context->uc_link = nullptr;
        ::makecontext(context.get(), &enter<Begin>, 0);
    }

    // The switch itself, from the running stack to `target`'s; returns once something switches back.
    [[gnu::always_inline]] static Caller switch_stacks(UcontextSwitcher& running, UcontextSwitcher& target) {
        ::swapcontext(running.context.get(), target.context.get());
        return {};
    }
    [[gnu::always_inline]] void keep(Caller&& /*caller*/) noexcept {}

    // After its greenlet's death, on another stack: frees the stack it ran on.
    void release(Stacks stacks) noexcept {
        if (stack.sp != nullptr) {
            stacks.deallocate(stack);
            stack = {};
        }
        context.reset();
        sanitizer.destroy();
    }

    // Frees a suspended greenlet's stack without running anything on it: its thread has ended.
    void abandon(Stacks stacks) noexcept {
        stacks.deallocate(stack);
        stack = {};
        sanitizer.destroy();
    }

private:
    // The stack's first function. It never returns: it leaves with setcontext.
    template <UcontextSwitcher& (*Begin)(Caller&&) noexcept>
    static void enter() {
        ::setcontext(Begin(Caller{}).context.get());
    }
};

}  // namespace workbook::detail::greenlets
