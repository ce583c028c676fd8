/// \file
/// \brief workbook::Progress: how far a long run has got, on one line of a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace workbook {

/// Reports how far a long run has got, on one self-overwriting stderr line, and only when stderr
/// is a terminal: a log file or a test never sees it. Cheap to call per event: it looks at the
/// clock at most every 256 calls and redraws at most four times a second. The runner hands one to
/// each run through Settings::progress; a slow chapter (a process per event) reports to it.
///
/// \code
/// workbook::LetterTypes count_slowly(workbook::Events book, const workbook::Settings& settings) {
///     workbook::LetterTypes counts;
///     for (std::size_t i = 0; i < book.size(); ++i) {
///         counts.add(workbook::classify(book[i]));
///         if (settings.progress) settings.progress->update(i + 1);  // "...: 1200/5590193 events, ..."
///     }
///     return counts;
/// }
/// \endcode
class Progress {
public:
    /// `total` events are expected; `label` starts the line.
    Progress(std::uint64_t total, std::string label);
    /// Clears the line it drew, so that no half line is left on the terminal.
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    /// `done` events are finished so far.
    void update(std::uint64_t done);
    /// Whether anything is drawn at all (stderr is a terminal).
    bool visible() const noexcept { return visible_; }

private:
    std::uint64_t total_;
    std::string label_;
    bool visible_;
    std::uint32_t calls_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace workbook
