#include "workbook/command_line.hpp"

#include "workbook/greenlet.hpp"

#include <boost/context/stack_traits.hpp>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string_view>

namespace workbook {
namespace {

constexpr std::uint64_t most_runs = 1'000'000;

// The group of options a program knows only to refuse with a reason: left out of --help and usage.
// (CLI11's own hidden group, "", would also drop the option's name from its errors.)
const std::string refused_group = "Refused";

// CLI11's layout, with the workbook's usage line in place of CLI11's `Usage: NAME [OPTIONS]`.
class Layout : public CLI::Formatter {
public:
    Layout() { column_width(20); }
    std::string make_usage(const CLI::App* app, std::string) const override { return "\n" + usage_line(*app) + "\n"; }
    // --help last, as in the usage line: a program's own options come first.
    std::string make_group(std::string group, bool is_positional, std::vector<const CLI::Option*> options) const override {
        std::stable_partition(options.begin(), options.end(),
                              [](const CLI::Option* option) { return option->get_name() != "--help"; });
        if (group == refused_group) return {};
        return CLI::Formatter::make_group(std::move(group), is_positional, std::move(options));
    }
};

std::string quoted_if_empty(const std::string& text) { return text.empty() ? "''" : text; }

std::string variant_names(const Chapter& chapter) {
    std::string names;
    for (const Variant& variant : chapter.variants) names += (names.empty() ? "" : ", ") + std::string(variant.name);
    return names;
}

std::string variant_help(const Chapter* chapter) {
    if (chapter == nullptr) return "which implementation to run, in the chapters that have it (see their --help)";
    std::ostringstream out;
    out << "which implementation to run (default " << chapter->variants.front().name << "):";
    std::size_t width = 0;
    for (const Variant& variant : chapter->variants) width = std::max(width, variant.name.size());
    for (const Variant& variant : chapter->variants) {
        out << "\n  " << std::left << std::setw(static_cast<int>(width + 2)) << variant.name << variant.description;
    }
    return out.str();
}

// The talk's "pretend that Counter is computationally expensive or uses slow resources".
void declare_counter_options(CLI::App& app, CounterSettings& counters) {
    app.add_option_function<std::string>(
           "--counter", [&counters](const std::string& kind) { counters.kind = *counter_kind_named(kind); },
           "where each counter call goes (default local):\n"
           "  local    the chapter's own count += 1, as in the talk\n"
           "  service  an INCR to a private counter service that answers after --wait US\n"
           "  redis    an INCR on a private redis-server, or on your Redis at --redis SOCKET")
        ->type_name("KIND")
        ->check(CLI::Validator(
            [](const std::string& kind) {
                return counter_kind_named(kind) ? std::string()
                                                : quoted_if_empty(kind) + " is not a counter kind (local, service, redis)";
            },
            ""));
    app.add_option_function<std::uint64_t>(
           "--wait", [&counters](const std::uint64_t& us) { counters.wait_us = static_cast<std::int64_t>(us); },
           "with --counter service: the service waits US microseconds before each answer (default 0)")
        ->type_name("US")
        ->transform(whole_number(0, CounterSettings::max_wait_us));
    app.add_option_function<std::uint64_t>(
           "--work", [&counters](const std::uint64_t& ns) { counters.work_ns = static_cast<std::int64_t>(ns); },
           "burn about NS nanoseconds of CPU in each counter call, with any --counter (default 0)")
        ->type_name("NS")
        ->transform(whole_number(0, CounterSettings::max_work_ns));
    app.add_option_function<std::string>(
           "--redis", [&counters](const std::string& socket) { counters.redis_socket = socket; },
           "with --counter redis: use the running Redis at the Unix socket SOCKET (default: a private one)")
        ->type_name("SOCKET");
}

// The check of `--stack-size`: a whole number of bytes, or of KiB or MiB with a suffix (K, KiB, M,
// MiB, any case: CLI11's sizes, 1024 each), at least what a greenlet needs, rounded up to a whole
// page as Boost's stack allocator rounds it, so that the size reported is the size reserved.
CLI::Validator stack_size_bytes() {
    constexpr std::uint64_t most = std::uint64_t{1} << 30;
    constexpr std::uint64_t least = Greenlet::minimum_stack_size;
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const std::string given = quoted_if_empty(text);
            const std::string rule = "a number of bytes, or of KiB or MiB with K or M after it";
            // Decimal digits, then the unit if any: CLI11 alone would also take 0x8000, 1e5 and 010 (octal).
            const std::size_t unit = text.find_first_not_of("0123456789");
            std::string value = text.substr(0, unit);
            const std::string suffix = unit == std::string::npos ? std::string() : text.substr(unit);
            if (value.empty() || suffix.find_first_of("0123456789+-.") != std::string::npos) return given + " is not " + rule;
            value.erase(0, std::min(value.find_first_not_of('0'), value.size() - 1));
            value += suffix;
            try {  // an unknown unit is thrown, the rest returned
                if (!CLI::AsSizeValue(false)(value).empty()) return given + " is not " + rule;
            } catch (const CLI::ValidationError&) {
                return given + " is not " + rule;
            }
            std::uint64_t bytes = 0;
            auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), bytes);
            if (error != std::errc{} || end != value.data() + value.size()) return given + " is not " + rule;
            if (bytes < least || bytes > most) {
                return given + " is not a stack size from " + std::to_string(least) + " (" +
                       std::to_string(least / 1024) + "K, the least a greenlet needs) to " + std::to_string(most) +
                       " (" + std::to_string(most >> 20) + "M)";
            }
            const std::uint64_t page = boost::context::stack_traits::page_size();
            text = std::to_string((bytes + page - 1) / page * page);
            return {};
        },
        "");
}

}  // namespace

std::string detail::no_in_flight(const Chapter& chapter, std::string_view n) {
    return std::string(chapter.slug) + " makes one counter call at a time, as its step of the talk does, so it cannot keep " +
           std::string(n) + " waiting (only " + std::string(chapters_taking_in_flight) + " take --in-flight)";
}

std::string detail::no_such_variant(const Chapter& chapter, std::string_view name) {
    std::string names = variant_names(chapter);
    return quoted_if_empty(std::string(name)) + " is not a variant of " + std::string(chapter.slug) + " (it has " +
           (names.empty() ? std::string("none") : names) + ")";
}

void apply_conventions(CLI::App& app) {
    app.formatter(std::make_shared<Layout>());
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.set_help_flag("-h,--help", "show this help");
}

CLI::Validator book_path() {
    return CLI::Validator(
        [](const std::string& path) {
            return path.empty() ? std::string("'' is not a book: give a path, or - for standard input") : std::string();
        },
        "");
}

CLI::Validator whole_number(std::uint64_t minimum, std::uint64_t maximum) {
    std::string rule = maximum == std::numeric_limits<std::uint64_t>::max()
                           ? "of at least " + std::to_string(minimum)
                           : "from " + std::to_string(minimum) + " to " + std::to_string(maximum);
    // No description: the option's help text states the rule in its own words.
    return CLI::Validator(
        [minimum, maximum, rule](std::string& text) -> std::string {
            std::uint64_t value = 0;
            auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < minimum ||
                value > maximum) {
                return quoted_if_empty(text) + " is not a whole number " + rule;
            }
            text = std::to_string(value);  // CLI11 reads 010 as octal: hand it the plain decimal
            return {};
        },
        "");
}

void declare_options(CLI::App& app, Options& options, const Chapter* chapter) {
    apply_conventions(app);
    if (chapter == nullptr) {
        app.add_option("CHAPTER", options.positional,
                       "a chapter to run: its number (1, 01) or its folder (01_serial); default: every chapter")
            ->type_name("");
    }
    app.add_option("--book", options.book,
                   "count the bytes of the file PATH, or of standard input for '-'\n"
                   "(default: the workbook's generated default book)")
        ->type_name("PATH|-")
        ->check(book_path());
    std::string runs_default =
        chapter ? " " + std::to_string(chapter->default_runs) : std::string(": each chapter's own");
    app.add_option("--runs", options.runs,
                   "count N times and report the total time (default" + runs_default + "; at most " +
                       std::to_string(most_runs) + ")")
        ->type_name("N")
        ->transform(whole_number(1, most_runs));
    std::string limit_default =
        chapter ? " " + std::to_string(chapter->default_limit) : std::string(": each chapter's own");
    app.add_option_function<std::uint64_t>(
           "--limit",
           [&options](const std::uint64_t& limit) {
               options.limit = limit;
               options.limit_given = true;
           },
           "count only the first N events; 0 counts the whole book (default" + limit_default + ")")
        ->type_name("N")
        ->transform(whole_number(0));
    if (chapter == nullptr || chapter->takes_batch) {
        app.add_option("--batch", options.batch, "hand events over N at a time (default: the chapter's own, see its README)")
            ->type_name("N")
            ->transform(whole_number(1));
    }
    if (chapter == nullptr || !chapter->variants.empty()) {
        CLI::Option* variant = app.add_option("--variant", options.variant, variant_help(chapter))->type_name("NAME");
        if (chapter != nullptr) {
            variant->check(CLI::Validator(
                [chapter](const std::string& name) {
                    return chapter->count_for(name) ? std::string() : detail::no_such_variant(*chapter, name);
                },
                ""));
        }
    }
    if (chapter == nullptr || chapter->takes_in_flight) {
        app.add_option("--in-flight", options.in_flight,
                       "keep N counter calls waiting at once (default" +
                           (chapter ? " " + std::to_string(chapter->default_in_flight)
                                    : std::string(": each chapter's own; only in the chapters that take it")) + ")")
            ->type_name("N")
            ->transform(whole_number(1, 1'000'000));
    } else {
        // Known, so that asking for it says why this chapter cannot, rather than only "not
        // expected"; but not in the help or the usage line.
        app.add_option("--in-flight", options.in_flight, "")
            ->group(refused_group)
            ->type_name("N")
            ->transform(whole_number(1, 1'000'000))
            ->check(CLI::Validator(
                [chapter](const std::string& n) { return n == "1" ? std::string() : detail::no_in_flight(*chapter, n); }, ""));
    }
    if (chapter == nullptr || chapter->takes_stack_size) {
        static_assert(Greenlet::default_stack_size % 1024 == 0);
        app.add_option("--stack-size", options.stack_size,
                       "give each waiting greenlet a stack of BYTES (default " +
                           std::to_string(Greenlet::default_stack_size / 1024) +
                           "K): address space reserved, of which\nonly the pages it touches become memory; "
                           "K and M count 1024s; at least " + std::to_string(Greenlet::minimum_stack_size / 1024) +
                           "K,\nrounded up to a whole page" +
                           (chapter ? std::string() : std::string("; only in the chapters that take it")))
            ->type_name("BYTES")
            ->transform(stack_size_bytes());
    }
    declare_counter_options(app, options.counters);
    app.add_flag("--json", options.json, "print one JSON object instead of the talk's three lines");
    // The rules between options (--wait only with --counter service, ...), once all are parsed.
    app.final_callback([&options] { options.counters.validate(); });
}

std::string usage_line(const CLI::App& app) {
    std::string line = "usage: " + app.get_name();
    for (const CLI::Option* option : app.get_options()) {
        if (!option->get_positional() || option->nonpositional()) continue;
        line += " [" + option->get_name(true) + (option->get_expected_max() > 1 ? "...]" : "]");
    }
    for (const CLI::Option* option : app.get_options()) {
        if (!option->nonpositional() || option == app.get_help_ptr() || option->get_group() == refused_group) continue;
        line += " [" + option->get_name();
        if (option->get_expected_max() != 0 && !option->get_type_name().empty()) line += " " + option->get_type_name();
        line += "]";
    }
    if (app.get_help_ptr() != nullptr) line += " [" + app.get_help_ptr()->get_name() + "]";
    return line;
}

bool parse_command_line(CLI::App& app, int argc, const char* const* argv) {
    // CLI11 lets a flag take a value (--json=false); the workbook's flags take none.
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") break;
        std::size_t equals = arg.find('=');
        if (!arg.starts_with("--") || equals == std::string_view::npos) continue;
        const CLI::Option* option = app.get_option_no_throw(std::string(arg.substr(0, equals)));
        if (option != nullptr && option->get_expected_max() == 0) {  // a flag
            throw UsageError(std::string(arg.substr(0, equals)) + ": takes no value, got '" +
                             std::string(arg.substr(equals + 1)) + "'");
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return true;
    } catch (const CLI::ExtrasError&) {
        std::string extras;
        for (const std::string& arg : app.remaining()) extras += (extras.empty() ? "" : " ") + arg;
        throw UsageError("not expected: " + extras);
    } catch (const CLI::ParseError& error) {
        std::string message = error.what();
        for (char& c : message) c = c == '\n' ? ' ' : c;  // one line, whatever CLI11 says
        throw UsageError(message);
    }
    return false;
}

std::optional<int> handle_command_line(CLI::App& app, int argc, const char* const* argv) {
    try {
        if (parse_command_line(app, argc, argv)) {
            std::cout << app.help() << std::flush;
            return std::cout ? 0 : 1;
        }
    } catch (const UsageError& error) {
        std::cerr << app.get_name() << ": " << error.what() << "; " << usage_line(app) << '\n';
        return 2;
    }
    return std::nullopt;
}

}  // namespace workbook
