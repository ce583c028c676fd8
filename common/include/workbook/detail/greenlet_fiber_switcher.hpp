// The fiber switcher: a greenlet's stack as a Boost.Context fiber, and the switch to it, which
// saves a few registers in user space and makes no system call.
#pragma once

#include "workbook/detail/greenlet_sanitizer.hpp"
#include "workbook/detail/greenlet_stacks.hpp"

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>

#include <memory>
#include <new>
#include <utility>

namespace workbook::detail::greenlets {

// Where a greenlet's stack is kept while it is suspended, and how to switch to it. All of it moves
// with the greenlet when a suspended greenlet destroyed on another thread is handed to its own
// thread: nothing its stack's frames point into may stay in the old object.
struct FiberSwitcher {
    // How to resume the greenlet that switched here: the continuation Boost hands over.
    using Caller = boost::context::fiber;
    // Boost frees a fiber's stack when its function returns; only a sanitizer's fiber remains to be
    // released once a greenlet is dead.
    static constexpr bool release_when_dead = SanitizerStack::has_fiber;

    boost::context::fiber fiber;            // the suspended continuation; empty while running, unstarted, dead
    boost::context::stack_context stack{};  // what Boost allocated (and frees when the function returns)
    SanitizerStack sanitizer;

    // The thread's own stack, for its main greenlet.
    void adopt_thread() noexcept { sanitizer.adopt_thread(); }

    // A new stack, whose first function is `Begin` on the first switch: Begin takes the Caller and
    // returns the switcher to leave for, for good, once the greenlet's function has finished.
    template <FiberSwitcher& (*Begin)(Caller&&) noexcept>
    void prepare(Stacks stacks, SanitizerStack& running) {
        // Boost allocates the stack (and frees it once the function has returned).
        sanitizer.as_own(running, [this, &stacks] {
            fiber = boost::context::fiber(std::allocator_arg, stacks, [](boost::context::fiber&& caller) {
                return std::move(Begin(std::move(caller)).fiber);  // Boost switches there and frees this stack
            });
        });
    }

    // The switch itself, from the running stack to `target`'s. Returns, once something switches
    // back, how to resume whoever did (for keep()).
    [[gnu::always_inline]] static Caller switch_stacks(FiberSwitcher& /*running*/, FiberSwitcher& target) {
        return std::move(target.fiber).resume();
    }
    // Stores how to resume this greenlet, which has just switched away.
    [[gnu::always_inline]] void keep(Caller&& caller) noexcept { fiber = std::move(caller); }

    // After its greenlet's death, on another stack (see release_when_dead).
    void release(Stacks /*stacks*/) noexcept { sanitizer.destroy(); }

    // Frees a suspended greenlet's stack without running anything on it: its thread has ended.
    void abandon(Stacks stacks) noexcept {
        forget(std::move(fiber));
        stacks.deallocate(stack);
        stack = {};
        sanitizer.destroy();
    }

private:
    // Lets go of a suspended fiber without resuming it: ~fiber would unwind it, running its frames.
    static void forget(boost::context::fiber&& fiber) noexcept {
        union Forgotten {
            Forgotten() noexcept {}
            ~Forgotten() {}  // deliberately does not destroy the fiber
            boost::context::fiber fiber;
        } forgotten;
        ::new (static_cast<void*>(&forgotten.fiber)) boost::context::fiber(std::move(fiber));
    }
};

}  // namespace workbook::detail::greenlets
