/// \file
/// \brief Counter, the talk's "computationally expensive" counter object.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace workbook {

/// The talk's `Counter`: a named callable that counts its calls. The talk asks us to pretend that
/// each call is expensive (a network, a database); here it is one increment, so what a chapter
/// measures is the cost of *reaching* the counter, which is the point of every step.
///
/// \code
/// workbook::Counter vowel{"vowel"};
/// vowel('a');
/// vowel('e');
/// assert(vowel.count == 2);
/// \endcode
struct Counter {
    std::string name;         ///< what it counts, as in the talk's `Counter('vowel')`
    std::uint64_t count = 0;  ///< calls so far

    /// A counter named `counter_name`, at zero.
    explicit Counter(std::string counter_name) : name(std::move(counter_name)) {}
    /// Counts one event; the event itself is ignored, as in the talk.
    void operator()(unsigned char /*event*/) noexcept { ++count; }
};

}  // namespace workbook
