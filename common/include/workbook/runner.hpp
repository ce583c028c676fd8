/// \file
/// \brief The chapter runner: every chapter's `main` is one call to run_chapter().
#pragma once

#include "workbook/letter_types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

/// Options a chapter's count function receives, parsed by the runner.
///
/// \code
/// workbook::Settings settings;
/// settings.batch = 4096;  // as `--batch 4096` would
/// auto book = workbook::Book::default_book(100'000);
/// for (const workbook::Chapter* chapter : workbook::registered_chapters())
///     if (chapter->takes_batch) std::cout << chapter->count(book.events(), settings) << '\n';
/// \endcode
struct Settings {
    /// `--batch N`: events sent per message, for chapters that declare `takes_batch`
    /// (0 = the chapter's own default).
    std::size_t batch = 0;
    /// `--variant NAME`: one of the chapter's declared variants (empty = the first).
    std::string variant;
    /// Set by the runner when progress should be shown (a long run, stderr a terminal).
    Progress* progress = nullptr;
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
/// `workbook::chapterNN::chapter`, and `workbook_chapter()` in CMake registers it.
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
/// \endcode
struct Chapter {
    int number;                  ///< 1 to 11, the talk's order
    std::string_view slug;       ///< the folder name, e.g. `01_serial`
    std::string_view title;      ///< first output line, in the talk's words
    std::string_view mechanism;  ///< a few words for tables, e.g. `call through std::function`
    /// Counts `events`; must give exactly reference_count(events). Throws ChapterError on failure.
    LetterTypes (*count)(Events events, const Settings& settings);
    int default_runs = 10;            ///< runs when `--runs` is not given
    std::uint64_t default_limit = 0;  ///< events when `--limit` is not given; 0 = the whole book
    /// Prints the talk's demonstration (e.g. `A C B D`) before the three lines; may be null.
    void (*demonstrate)(std::ostream& out) = nullptr;
    bool takes_batch = false;                 ///< accepts `--batch N`
    std::vector<std::string_view> variants{};  ///< accepted `--variant` names; first is default
};

/// Command-line options shared by every chapter (and the tour).
///
/// \code
/// const char* argv[] = {"01_serial", "--runs", "3", "--limit=1000"};
/// workbook::Options options = workbook::parse_options(4, argv);
/// assert(options.runs == 3 && options.limit == 1000 && options.limit_given);
/// \endcode
struct Options {
    std::string book;             ///< `--book PATH|-`; empty = the default book
    int runs = 0;                 ///< `--runs N`; 0 = the chapter's default
    std::uint64_t limit = 0;      ///< `--limit N`; 0 = whole book
    bool limit_given = false;     ///< whether `--limit` was on the command line
    bool json = false;            ///< `--json`: one JSON object instead of the three lines
    bool help = false;            ///< `--help`
    std::size_t batch = 0;        ///< `--batch N`
    std::string variant;          ///< `--variant NAME`
    std::vector<std::string> positional;  ///< anything else (only the tour accepts it)
};

/// A malformed command line. `what()` says what is wrong, e.g.
/// `--runs needs a whole number of at least 1, got 'x'`. The runner prints it with the usage line
/// and exits with status 2.
///
/// \code
/// const char* argv[] = {"01_serial", "--runs", "x"};
/// try {
///     workbook::parse_options(3, argv);
/// } catch (const workbook::UsageError& error) {
///     std::cerr << error.what() << '\n';
/// }
/// \endcode
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses the shared options. Throws UsageError. `allow_positional` lets the tour take
/// chapter numbers.
///
/// \code
/// const char* argv[] = {"workbook-tour", "1", "9", "--json"};
/// auto options = workbook::parse_options(4, argv, /*allow_positional=*/true);
/// assert(options.json && options.positional == (std::vector<std::string>{"1", "9"}));
/// \endcode
Options parse_options(int argc, const char* const* argv, bool allow_positional = false);

/// The result of running one chapter on one book.
///
/// \code
/// workbook::RunResult result{{1, 2, 3}, 6, 10, 0.000'006};  // 10 runs of 6 events in 6 us
/// assert(result.seconds_per_event() == 0.000'006 / 60);   // 0.1 us per event
/// \endcode
struct RunResult {
    LetterTypes counts;       ///< the counts (all runs agreed)
    std::uint64_t events;     ///< events per run
    int runs;                 ///< how many runs
    double seconds;           ///< all runs together, as the talk reports it
    /// Seconds per event, the figure the workbook compares across chapters.
    double seconds_per_event() const noexcept {
        return events == 0 || runs == 0 ? 0.0 : seconds / (static_cast<double>(events) * runs);
    }
};

/// Runs `chapter` on `events` as `options` say and prints the result to `out`: the talk's three
/// lines (title, counts, `N runs in X seconds`), plus a note when only a prefix was counted, or
/// one JSON object with `--json`. Throws ChapterError when the chapter fails.
///
/// \code
/// for (const workbook::Chapter* chapter : workbook::registered_chapters()) {  // the tour, in short
///     auto book = workbook::Book::default_book();
///     workbook::Options options;
///     options.runs = 1;
///     workbook::run_and_report(*chapter, book.events(), book.size(), book.name(), options, std::cout);
/// }
/// \endcode
RunResult run_and_report(const Chapter& chapter, Events events, std::uint64_t book_size,
                         const std::string& book_name, const Options& options, std::ostream& out);

/// A chapter's whole `main`: parses options, loads the book, runs, prints. Exit status 0 on
/// success, 1 when the chapter fails at run time, 2 for a bad option or an unreadable book;
/// every error is one line on stderr and nothing on stdout.
///
/// \code
/// // chapters/01_serial/main.cpp, the whole program:
/// namespace workbook::chapter01 { extern const Chapter chapter; }
///
/// int main(int argc, char** argv) {
///     return workbook::run_chapter(workbook::chapter01::chapter, argc, argv);
/// }
/// \endcode
int run_chapter(const Chapter& chapter, int argc, const char* const* argv);

/// The usage line for `chapter` (or for the tour when `chapter` is null), as `--help` and every
/// usage error print it.
///
/// \code
/// std::cout << workbook::usage(nullptr, "workbook-tour") << '\n';
/// // usage: workbook-tour [CHAPTER...] [--book PATH|-] [--runs N] [--limit N] [--batch N] ...
/// \endcode
std::string usage(const Chapter* chapter, std::string_view program);

}  // namespace workbook
