// todo(), what a stub calls where the learner's code goes (like Rust's `todo!()`): it throws
// std::logic_error("TODO: ..."), so every test that reaches it fails with that message, and
// `./workbook check` reports the exercise as "not started". Replace each call with your code.
#pragma once

#include <stdexcept>
#include <string>

namespace exercises {

// `unused` takes the stub's parameters, so that an unwritten function compiles without warnings.
template <typename... Unused>
[[noreturn]] void todo(const std::string& what, const Unused&... /*unused*/) {
    throw std::logic_error("TODO: " + what);
}

}  // namespace exercises
