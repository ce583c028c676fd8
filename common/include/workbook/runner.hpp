/// \file
/// \brief The chapter runner: every chapter's `main` is one call to run_chapter(). Including it
/// includes the chapter record (workbook/chapter.hpp), its settings and progress too.
#pragma once

#include "workbook/chapter.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/letter_types.hpp"
#include "workbook/progress.hpp"
#include "workbook/settings.hpp"

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace workbook {

/// Command-line options shared by every chapter (and the tour). declare_options() (in
/// workbook/command_line.hpp) declares each on a CLI::App, with its help text and its check;
/// a new option is a field here and one declaration there.
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
    bool help = false;            ///< `--help` (or `-h`) was given
    std::size_t batch = 0;        ///< `--batch N`
    std::string variant;          ///< `--variant NAME`
    std::size_t in_flight = 0;    ///< `--in-flight N`, for chapters that declare `takes_in_flight`; 0 = the chapter's default
    std::size_t stack_size = 0;   ///< `--stack-size BYTES`, for chapters that declare `takes_stack_size`; 0 = Greenlet's default
    /// `--counter KIND`, `--wait US`, `--work NS`, `--redis SOCKET`: validated after parsing.
    CounterSettings counters;
    std::vector<std::string> positional;  ///< the tour's `CHAPTER` arguments (a chapter takes none)
};

/// A malformed command line. `what()` is one line that names the option, the value given and
/// what is allowed, e.g. `--runs: x is not a whole number from 1 to 1000000`. The programs print
/// it after their name and before the usage line, and exit with status 2.
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

/// Parses the options `chapter` takes (`--batch` only when it takes a batch, `--variant` only when
/// it has variants, checked against them); with a null `chapter`, those of the tour: every option,
/// and chapter names or numbers as `CHAPTER` arguments. The last of a repeated option wins. Throws
/// UsageError; `--help` sets Options::help.
///
/// \code
/// const char* argv[] = {"workbook-tour", "1", "9", "--json"};
/// auto options = workbook::parse_options(4, argv);  // no chapter: the tour's options
/// assert(options.json && options.positional == (std::vector<std::string>{"1", "9"}));
/// \endcode
Options parse_options(int argc, const char* const* argv, const Chapter* chapter = nullptr);

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
/// lines (title, counts, `N runs in X seconds`), plus a line naming the counters when they are
/// slow (`--counter`, `--work`) and a note when only a prefix was counted, or one JSON object with
/// `--json`. Runs the variant `options.variant` names (the default when empty). With slow
/// counters it uses `counters`, or, when that is null, makes a CounterBackend of its own for the
/// runs; it resets the server's counters before each run and checks after each that the server
/// counted exactly what the chapter did. Throws UsageError when the chapter has no such variant
/// or cannot honour an option (`--in-flight` where it makes one call at a time), ChapterError
/// when it fails. Nothing is printed unless every run succeeded.
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
                         const std::string& book_name, const Options& options, std::ostream& out,
                         const CounterBackend* counters = nullptr);

/// A chapter's whole `main`: parses options, loads the book, starts the counters the options ask
/// for (once, before the runs; stopped at exit, also after an error), runs, prints. Exit status 0 on
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
/// usage error print it: the options parse_options() takes for it.
///
/// \code
/// std::cout << workbook::usage(nullptr, "workbook-tour") << '\n';
/// // usage: workbook-tour [CHAPTER...] [--book PATH|-] [--runs N] [--limit N] [--batch N] ...
/// \endcode
std::string usage(const Chapter* chapter, std::string_view program);

}  // namespace workbook
