// What the generator and delegation tests share: a trace of what happened, printed whole when a
// check fails, and Guard, which records that the frame holding it was unwound.
#pragma once

#include <doctest/doctest.h>

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
