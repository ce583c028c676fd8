/// \file
/// \brief The workbook's command lines, on CLI11: the shared options declared once, and what every
/// program of the workbook (each chapter, the tour, the bench, the corpus writer) does alike.
///
/// Every option is declared once, on a CLI::App, with its help text and its check; `--help`, the
/// usage line and the usage errors all come from that declaration. What every program does alike:
/// `-h`/`--help` prints the help and exits 0; the last of a repeated option wins; an option that
/// takes no value refuses one (`--json=yes`); a usage error is one line on stderr, the program's
/// name, what is wrong (the option, the value given and what is allowed) and the usage line, and
/// exit status 2.
#pragma once

#include "workbook/chapter.hpp"
#include "workbook/runner.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace workbook {

/// Gives `app` the workbook's conventions: `-h`/`--help`, the last of a repeated option wins, and
/// the help's layout (the description, the usage line, the options, the footer). Call it before
/// adding options; declare_options() calls it itself.
///
/// \code
/// CLI::App app{"Writes the default book", "workbook corpus"};
/// workbook::apply_conventions(app);
/// std::uint64_t size = 100;
/// app.add_option("--size", size, "write N bytes")->type_name("N")->transform(workbook::whole_number(0));
/// assert(workbook::usage_line(app) == "usage: workbook corpus [--size N] [--help]");
/// \endcode
void apply_conventions(CLI::App& app);

/// Declares on `app` the options `chapter` takes, bound to `options`: `--book`, `--runs`,
/// `--limit`, `--json`, the counter options (`--counter`, `--wait`, `--work`, `--redis`, into
/// Options::counters, their rules between each other checked by CounterSettings::validate() once
/// all are parsed), and `--batch`, `--in-flight`, `--stack-size` and `--variant` where the chapter takes them
/// (`--variant` checked against Chapter::variants). With a null `chapter`, the tour's: all of
/// them, and `CHAPTER` arguments. Calls apply_conventions() first. A program adds its own options
/// after it.
///
/// \code
/// // A program with the chapters' options and one of its own:
/// CLI::App app{"Counts the book, waiting between events", "waiting"};
/// workbook::Options options;
/// workbook::declare_options(app, options, nullptr);
/// std::uint64_t pause = 0;
/// app.add_option("--pause", pause, "pause US microseconds per event (default 0)")
///     ->type_name("US")->transform(workbook::whole_number(0, 1'000'000));
/// const char* argv[] = {"waiting", "--runs", "2", "--pause", "5"};
/// assert(!workbook::handle_command_line(app, 5, argv) && options.runs == 2 && pause == 5);
/// \endcode
void declare_options(CLI::App& app, Options& options, const Chapter* chapter);

/// The check of an option whose value is a whole number from `minimum` to `maximum`, written in
/// decimal digits only (no sign, no `0x`). Its error names the value and the rule: `0 is not a
/// whole number of at least 1`. Give it to `->transform()`, not `->check()`: it hands CLI11 the
/// plain decimal, which CLI11 would otherwise read as octal after a leading zero (`010`).
///
/// \code
/// CLI::App app{"", "example"};
/// int runs = 0;
/// app.add_option("--runs", runs)->transform(workbook::whole_number(1, 1'000'000));
/// \endcode
CLI::Validator whole_number(std::uint64_t minimum,
                            std::uint64_t maximum = std::numeric_limits<std::uint64_t>::max());

/// The check of a `--book` value: a path, or `-` for standard input; an empty one is refused
/// (`'' is not a book: give a path, or - for standard input`). Whether the file opens is the
/// book loader's check, which says why it cannot.
///
/// \code
/// CLI::App app{"", "example"};
/// std::string book;
/// app.add_option("--book", book)->check(workbook::book_path());
/// \endcode
CLI::Validator book_path();

/// `usage: NAME [ARGUMENT...] [--option VALUE]... [--help]`, from the options declared on `app`.
///
/// \code
/// CLI::App app{"", "workbook run"};
/// workbook::Options options;
/// workbook::declare_options(app, options, nullptr);
/// std::cout << workbook::usage_line(app) << '\n';  // usage: workbook run [CHAPTER...] [--book PATH|-] ...
/// \endcode
std::string usage_line(const CLI::App& app);

/// Parses `argv` with `app`. Returns true when `--help` was given (nothing else is then checked).
/// Throws UsageError, whose one-line `what()` names the option, the value and the rule.
///
/// \code
/// CLI::App app{"", "example"};
/// workbook::Options options;
/// workbook::declare_options(app, options, nullptr);
/// const char* argv[] = {"example", "--json=yes"};
/// try {
///     workbook::parse_command_line(app, 2, argv);
/// } catch (const workbook::UsageError& error) {
///     std::cerr << error.what() << '\n';  // --json: takes no value, got 'yes'
/// }
/// \endcode
bool parse_command_line(CLI::App& app, int argc, const char* const* argv);

/// A program's command line handled the workbook's way: parses `argv` with `app`; after `--help`,
/// prints the help to stdout and returns 0; after a usage error, prints one line to stderr,
/// `NAME: what is wrong; usage: ...`, and returns 2; otherwise returns nothing and the program goes
/// on.
///
/// \code
/// int main(int argc, char** argv) {
///     CLI::App app{"Writes the default book", "workbook corpus"};
///     workbook::apply_conventions(app);
///     std::uint64_t size = 5'590'193;
///     app.add_option("--size", size, "write N bytes")->type_name("N")->transform(workbook::whole_number(0));
///     if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;
///     return 0;
/// }
/// \endcode
std::optional<int> handle_command_line(CLI::App& app, int argc, const char* const* argv);

namespace detail {
// The chapters that take `--in-flight` (Chapter::takes_in_flight), named in the error of those that
// do not; the command-line tests check it against the registered chapters.
inline constexpr std::string_view chapters_taking_in_flight = "02_processes, 12_event_loop, 13_deferreds, 14_async_await";
// `09_weightless makes one counter call at a time, as its step of the talk does, so it cannot keep 8
// waiting (only 02_processes, 12_event_loop, 13_deferreds, 14_async_await take --in-flight)`: the check of --in-flight in a chapter that does not take it, and the runner's.
std::string no_in_flight(const Chapter& chapter, std::string_view n);
// `x is not a variant of 02_processes (it has fork, vfork)`: the check of --variant, and the
// runner's when a variant is named through Options.
std::string no_such_variant(const Chapter& chapter, std::string_view name);
}  // namespace detail

}  // namespace workbook
