// Counts heap allocations, so that the tests of chapters 05-10 can prove "no allocation per event":
// counting a long book must allocate exactly as often as counting a short one.
//
// It replaces the global operator new and delete (C++ allows one replacement per program), so
// include it in exactly ONE source file of a test program. The replacements forward to malloc and
// free, which the sanitizers intercept as usual.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace workbook::testing {

// Every operator new of the program since it started (all threads).
inline std::atomic<std::size_t> allocations{0};

// How many times `work` called operator new.
template <typename Work>
std::size_t allocations_during(Work&& work) {
    const std::size_t before = allocations.load();
    work();
    return allocations.load() - before;
}

}  // namespace workbook::testing

// The replacements. Only these are needed: by the standard, the default array and nothrow forms
// call them. Kept out of line, so that g++ pairs operator new with operator delete and does not see
// malloc matched with delete (a false -Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
    ++workbook::testing::allocations;
    if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
