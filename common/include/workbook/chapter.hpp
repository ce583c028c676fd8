/// \file
/// \brief workbook::Chapter: what the runner needs to know about a chapter, and its variants.
#pragma once

#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace workbook {

/// A way of counting: must give exactly reference_count(events). Throws ChapterError on failure.
using CountFunction = LetterTypes (*)(Events events, const Settings& settings);

/// One implementation of a chapter, chosen with `--variant NAME`; Chapter::variants lists them.
///
/// \code
/// const workbook::Variant variant{"fork", [](workbook::Events book, const workbook::Settings&) {
///     return workbook::reference_count(book);
/// }, "a fork() per event: the child gets a copy-on-write copy of the parent"};
/// assert(variant.name == "fork");
/// \endcode
struct Variant {
    std::string_view name;         ///< what `--variant` takes, e.g. `vfork`
    CountFunction count;           ///< counts the events
    std::string_view description;  ///< one line for `--help`
};

/// A chapter failed at run time: a `fork` that failed, a worker that died, a thread that could not
/// start. The runner prints `what()` as one line and exits with status 1.
///
/// \code
/// pid_t child = fork();
/// if (child < 0)
///     throw workbook::ChapterError(std::string("cannot start a process for an event: ") + std::strerror(errno));
/// \endcode
class ChapterError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What the runner needs to know about a chapter. Each chapter defines one, named
/// `workbook::chapterNN::chapter`, and `workbook_chapter()` in CMake registers it. A chapter counts
/// in one way (`count`) or in several (`variants`, the first the default), never both.
///
/// \code
/// // A chapter defines it at namespace scope, as `extern const workbook::Chapter chapter{...}`.
/// const workbook::Chapter chapter{
///     .number = 1,
///     .slug = "01_serial",
///     .title = "Count letters with callout to counter object",
///     .mechanism = "indirect call (std::function)",
///     .count = [](workbook::Events book, const workbook::Settings&) { return workbook::reference_count(book); },
///     .default_runs = 10,
/// };
/// // One with variants names each, with its own count function, and no `.count`.
/// const workbook::Chapter two_ways{
///     .number = 2,
///     .slug = "02_processes",
///     .title = "Count letters with a process per event",
///     .mechanism = "fork + waitpid per event",
///     .variants = {{"fork", chapter.count, "a fork() per event"}, {"vfork", chapter.count, "a vfork() per event"}},
/// };
/// assert(two_ways.count_for() == chapter.count && two_ways.count_for("spawn") == nullptr);
/// \endcode
struct Chapter {
    int number;                  ///< 1 to 14, the talk's order (and what came after it)
    std::string_view slug;       ///< the folder name, e.g. `01_serial`
    std::string_view title;      ///< first output line, in the talk's words
    std::string_view mechanism;  ///< a few words for tables, e.g. `call through std::function`
    /// Counts `events`, for a chapter without variants (null for one with variants).
    CountFunction count = nullptr;
    int default_runs = 10;            ///< runs when `--runs` is not given
    std::uint64_t default_limit = 0;  ///< events when `--limit` is not given; 0 = the whole book
    /// Prints the talk's demonstration (e.g. `A C B D`) before the three lines; may be null.
    void (*demonstrate)(std::ostream& out) = nullptr;
    bool takes_batch = false;        ///< accepts `--batch N`
    bool takes_in_flight = false;    ///< accepts `--in-flight N` (Settings::in_flight)
    /// Counter calls kept waiting at once when `--in-flight` is not given (with takes_in_flight).
    std::size_t default_in_flight = 1;
    bool takes_stack_size = false;   ///< accepts `--stack-size BYTES` (Settings::stack_size): its waits are greenlets
    std::vector<Variant> variants{};  ///< what `--variant` chooses from; the first is the default

    /// What `--variant name` runs: that variant's count function, the first variant's for an
    /// empty name, `count` for a chapter without variants; null when the chapter has no such
    /// variant.
    CountFunction count_for(std::string_view name = {}) const noexcept {
        if (variants.empty()) return name.empty() ? count : nullptr;
        if (name.empty()) return variants.front().count;
        for (const Variant& variant : variants)
            if (variant.name == name) return variant.count;
        return nullptr;
    }
};

}  // namespace workbook
