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
/// This header is the entry point: it includes every part. The greenlet type is BasicGreenlet
/// (workbook/basic_greenlet.hpp); the exceptions it raises and the switchers are in
/// workbook/greenlet_exit.hpp, workbook/greenlet_error.hpp and workbook/greenlet_switcher.hpp.
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
