// One greenlet's share of the C++ runtime's exception-handling state, saved while it is suspended.
#pragma once

#include <cxxabi.h>

#include <cstddef>
#include <type_traits>

namespace workbook::detail::greenlets {

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

}  // namespace workbook::detail::greenlets
