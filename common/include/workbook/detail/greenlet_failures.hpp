// The cold paths of workbook::BasicGreenlet, out of line (common/src/greenlet.cpp): the messages
// and the checks that fail, kept off the switch path.
#pragma once

#include <exception>
#include <typeinfo>

namespace workbook::detail::greenlets {

// Throws GreenletError.
[[noreturn]] void fail(const char* what);
// One line on stderr, then std::terminate: a state no greenlet can be left in.
[[noreturn]] void die(const char* what) noexcept;
bool is_greenlet_exit(const std::exception_ptr& error) noexcept;
// GreenletError for a value sent to start a function that takes none.
std::exception_ptr no_argument_error(const std::type_info& sent) noexcept;
// greenlet's "unraisable" hook: one line on stderr for an exception nobody can receive, here one
// raised by a greenlet being destroyed (`kind` names the greenlet type, `greenlet` its address).
void report_ignored(const char* kind, const void* greenlet, const std::exception_ptr& error) noexcept;

}  // namespace workbook::detail::greenlets
