// What the generator and delegation tests share: a trace of what happened, printed whole when a
// check fails, Guard, which records that the frame holding it was unwound, and CapturedStderr, which
// shows what a destructor reported.
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using Trace = std::vector<std::string>;

namespace doctest {
// Failing checks print traces and optionals, not "{?}".
template <>
struct StringMaker<Trace> {
    static String convert(const Trace& trace) {
        std::string text = "{";
        for (const auto& line : trace) text += (text.size() > 1 ? ", \"" : "\"") + line + "\"";
        return (text + "}").c_str();
    }
};
template <typename T>
struct StringMaker<std::optional<T>> {
    static String convert(const std::optional<T>& value) {
        return value ? "optional(" + StringMaker<T>::convert(*value) + ")" : String("nullopt");
    }
};
}  // namespace doctest

// Records its destruction: proof that the frame holding it was unwound, and when.
struct Guard {
    Trace& trace;
    std::string name;
    Guard(Trace& t, std::string n) : trace(t), name(std::move(n)) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { trace.push_back(name + " destroyed"); }
};

// Captures what is written to the standard error stream (file descriptor 2) while it lives, so that a
// test can check the one line a destructor reports.
class CapturedStderr {
public:
    CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
        REQUIRE(file_ != nullptr);
        REQUIRE(saved_ >= 0);
        std::fflush(stderr);
        REQUIRE(::dup2(::fileno(file_), STDERR_FILENO) >= 0);
    }
    CapturedStderr(const CapturedStderr&) = delete;
    CapturedStderr& operator=(const CapturedStderr&) = delete;
    ~CapturedStderr() {
        restore();
        std::fclose(file_);
    }

    // Everything written so far; stderr is the real one again afterwards.
    std::string text() {
        restore();
        std::string text;
        std::rewind(file_);
        for (int c; (c = std::fgetc(file_)) != EOF;) text += static_cast<char>(c);
        return text;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    std::FILE* file_;
    int saved_;
};
