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
///
/// This header is the entry point: include it, and every part comes with it. The parts are laid
/// out by role, as greenlet's own C++ core is (its `TGreenlet`, `TThreadState`, switching code):
///
/// - basic_greenlet.hpp: BasicGreenlet, the greenlet type itself, with greenlet's rule of the
///   nearest live ancestor; greenlet_exit.hpp, greenlet_error.hpp: GreenletExit, GreenletError;
///   greenlet_switcher.hpp: Switcher, the choice of the two switchers.
/// - `detail/greenlet_runtime.hpp`: the per-thread runtime (who runs, the switch in progress, the
///   main greenlet, greenlets handed over by other threads) and the save and restore of each
///   greenlet's exception-handling state (`detail/greenlet_exception_state.hpp`).
/// - `detail/greenlet_fiber_switcher.hpp`, `detail/greenlet_ucontext_switcher.hpp`: the two
///   switchers, where a suspended greenlet's stack is kept and how the switch to it is made.
/// - `detail/greenlet_sanitizer.hpp`: what AddressSanitizer and ThreadSanitizer are told at each
///   switch (`SanitizerStack`); `detail/greenlet_stacks.hpp`: where the stacks come from.
/// - `detail/greenlet_run.hpp`, `detail/greenlet_transfer.hpp`, `detail/greenlet_failures.hpp`:
///   the function, type-erased; what a switch carries; the cold paths (common/src/greenlet.cpp).
#pragma once

#include "workbook/basic_greenlet.hpp"
#include "workbook/greenlet_error.hpp"
#include "workbook/greenlet_exit.hpp"
#include "workbook/greenlet_switcher.hpp"

namespace workbook {

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

}  // namespace workbook
