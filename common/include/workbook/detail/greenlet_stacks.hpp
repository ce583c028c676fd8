// Where greenlets' stacks come from, and how many of them a thread has in use.
#pragma once

#include "workbook/detail/greenlet_sanitizer.hpp"

#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>

#include <cstddef>

namespace workbook::detail::greenlets {

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

}  // namespace workbook::detail::greenlets
