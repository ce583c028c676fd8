// The per-thread runtime of one greenlet type (greenlet's ThreadState): who runs, who switched
// last, the message of the switch in progress, the main greenlet, the greenlets handed over by
// other threads; and the thread's exception-handling state, saved and restored around switches.
#pragma once

#include "workbook/detail/greenlet_exception_state.hpp"
#include "workbook/detail/greenlet_transfer.hpp"

#include <cxxabi.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace workbook::detail::greenlets {

// Owned by the thread and by each of its greenlets, so its address identifies the thread for as
// long as any greenlet can ask. `Greenlet` befriends it: the runtime creates the main greenlet and
// unwinds the greenlets handed over to it (Greenlet::MainTag, Greenlet::kill()).
template <typename Greenlet>
struct Runtime : std::enable_shared_from_this<Runtime<Greenlet>> {
    Runtime() : main(typename Greenlet::MainTag{}, *this), current(&main) {}
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    Greenlet main;
    Greenlet* current;
    Greenlet* from = nullptr;  // the greenlet that switched last: its context is stored on arrival
    Transfer transfer;
    std::exception_ptr error;  // the exception a switch carries, when transfer.type is null
    std::size_t stacks = 0;    // allocated and not yet freed
    void* const exceptions = abi::__cxa_get_globals();  // this thread's; the same all its life

    // Suspended greenlets destroyed on other threads, for this thread to unwind; with `ended`
    // (after which they are freed where they are destroyed) and the parent links, under `links`.
    std::mutex links;
    std::vector<std::unique_ptr<Greenlet>> orphans;
    std::atomic<bool> has_orphans{false};  // read without the lock at every switch
    bool ended = false;

    // This thread's runtime; null before its first greenlet and after the thread's end.
    static constinit inline thread_local Runtime* this_thread = nullptr;

    static Runtime& of_this_thread() noexcept {
        if (Runtime* rt = this_thread) [[likely]] return *rt;
        return make();
    }

    // The running greenlet's exception-handling state, kept in `into` while it is suspended, and
    // put back when it resumes.
    [[gnu::always_inline]] void save_exceptions(ExceptionState& into) const noexcept {
        std::memcpy(&into, exceptions, sizeof into);
    }
    [[gnu::always_inline]] void restore_exceptions(const ExceptionState& from_state) const noexcept {
        std::memcpy(exceptions, &from_state, sizeof from_state);
    }

    // Unwinds, on this thread, the suspended greenlets destroyed on other threads; `ending`: this
    // is the thread's end, after which other threads free what they destroy themselves.
    void unwind_orphans(bool ending = false) noexcept {
        std::vector<std::unique_ptr<Greenlet>> taken;
        {
            std::lock_guard lock{links};
            taken.swap(orphans);
            has_orphans.store(false, std::memory_order_relaxed);
            if (ending) ended = true;
        }
        for (auto& orphan : taken) orphan->kill();
    }

private:
    // At thread exit: unwinds what other threads handed over, and marks the runtime ended.
    struct ThreadEnd {
        std::shared_ptr<Runtime> runtime;
        ThreadEnd() = default;
        ThreadEnd(const ThreadEnd&) = delete;
        ThreadEnd& operator=(const ThreadEnd&) = delete;
        ~ThreadEnd() {
            if (!runtime) return;
            runtime->unwind_orphans(true);
            this_thread = nullptr;
        }
    };

    static Runtime& make() noexcept {
        static thread_local ThreadEnd owner;  // the runtime outlives the thread while a greenlet keeps it
        owner.runtime = std::make_shared<Runtime>();
        this_thread = owner.runtime.get();
        return *owner.runtime;
    }
};

}  // namespace workbook::detail::greenlets
