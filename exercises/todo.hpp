// todo(), what a stub calls where the learner's code goes (like Rust's `todo!()`): it throws
// exercises::Todo ("TODO: ..."), so every test that reaches it fails with that message, and
// `./workbook check` reports the exercise as "not started". Replace each call with your code.
#pragma once

#include <exception>
#include <string>
#include <utility>

namespace exercises {

// Deliberately not a std::logic_error or std::runtime_error: a test that expects one of those (a
// refused input, say) must not pass because the stub threw this.
class Todo : public std::exception {
public:
    explicit Todo(std::string what) : what_("TODO: " + std::move(what)) {}
    const char* what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

// `unused` takes the stub's parameters, so that an unwritten function compiles without warnings.
template <typename... Unused>
[[noreturn]] void todo(std::string what, const Unused&... /*unused*/) {
    throw Todo(std::move(what));
}

}  // namespace exercises
