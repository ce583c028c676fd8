/// \file
/// \brief workbook::Settings: the options a chapter's count function receives.
#pragma once

#include "workbook/counter_kinds.hpp"
#include "workbook/progress.hpp"

#include <chrono>
#include <cstddef>
#include <optional>

namespace workbook {

/// Options a chapter's count function receives, parsed by the runner. Which variant runs is not
/// among them: the runner calls that variant's own count function (Chapter::variants).
///
/// \code
/// workbook::Settings settings;
/// settings.batch = 4096;  // as `--batch 4096` would
/// auto book = workbook::Book::default_book(100'000);
/// for (const workbook::Chapter* chapter : workbook::registered_chapters())
///     if (chapter->takes_batch) std::cout << chapter->count_for()(book.events(), settings) << '\n';
/// \endcode
struct Settings {
    /// `--batch N`: events sent per message, for chapters that declare `takes_batch`
    /// (0 = the chapter's own default).
    std::size_t batch = 0;
    /// `--in-flight N`: counter calls a chapter that declares `takes_in_flight` keeps waiting at
    /// once (1: one call at a time).
    std::size_t in_flight = 1;
    /// `--stack-size BYTES`: the stack of each greenlet a chapter that declares `takes_stack_size`
    /// makes for its waits (0: Greenlet::default_stack_size).
    std::size_t stack_size = 0;
    /// Set by the runner for a chapter that keeps calls waiting at once (`takes_in_flight`): where
    /// the chapter may record the moment it first had every call it keeps at once made and waiting
    /// (its first `in_flight` calls, or the book's, if fewer). `--json` reports it as
    /// `all_started_seconds`; a chapter that cannot tell leaves it empty.
    std::optional<std::chrono::steady_clock::time_point>* all_started = nullptr;
    /// Set by the runner when progress should be shown (a long run, stderr a terminal).
    Progress* progress = nullptr;
    /// The counters' kind and work (`--counter`, `--wait`, `--work`, `--redis`), made by the
    /// runner before the runs; null: local counters, no work.
    const CounterBackend* counters = nullptr;

    /// A link to the counters for the calling thread or process, to call once per event next to
    /// the chapter's own `++count`. Each thread makes its own; a forked child makes its own, in
    /// the child. With no backend the link does nothing.
    ///
    /// \code
    /// workbook::LetterTypes callout_count(workbook::Events book, const workbook::Settings& settings) {
    ///     workbook::CounterLink link = settings.link();
    ///     workbook::LetterTypes counts;
    ///     for (unsigned char c : book) {
    ///         counts.add(workbook::classify(c));
    ///         link.call(workbook::classify(c));  // --counter service: one INCR, waits for the reply
    ///     }
    ///     return counts;
    /// }
    /// \endcode
    CounterLink link() const { return counters ? counters->link() : CounterLink(); }
};

}  // namespace workbook
