// What AddressSanitizer and ThreadSanitizer must be told when a greenlet switches stacks; without
// sanitizers, nothing.
#pragma once

#include <boost/context/stack_context.hpp>

#include <cstddef>

// Sanitizers must be told when the stack changes under them (see SanitizerStack below).
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

namespace workbook::detail::greenlets {

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

}  // namespace workbook::detail::greenlets
