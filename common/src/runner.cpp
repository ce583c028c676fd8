#include "workbook/runner.hpp"

#include "workbook/book.hpp"
#include "workbook/command_line.hpp"
#include "workbook/greenlet.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <unistd.h>

namespace workbook {
namespace {

std::string format_duration(double seconds) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1);
    if (seconds < 1e-6) out << seconds * 1e9 << " ns";
    else if (seconds < 1e-3) out << seconds * 1e6 << " us";
    else if (seconds < 1) out << seconds * 1e3 << " ms";
    else if (seconds < 120) out << seconds << " s";
    else if (seconds < 7200) out << seconds / 60 << " minutes";
    else out << seconds / 3600 << " hours";
    return out.str();
}

}  // namespace

Progress::Progress(std::uint64_t total, std::string label)
    : total_(total), label_(std::move(label)), visible_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
    if (visible_ && last_draw_ != start_) std::fputs("\r\033[K", stderr);  // leave no half line behind
}

void Progress::update(std::uint64_t done) {
    if (!visible_ || (++calls_ & 0xFF) != 0) return;
    auto now = std::chrono::steady_clock::now();
    // Short runs draw nothing; long ones redraw a few times a second.
    if (now - start_ < std::chrono::seconds(1) || now - last_draw_ < std::chrono::milliseconds(250)) return;
    last_draw_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = static_cast<double>(done) / elapsed;
    double left = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : 0;
    std::fprintf(stderr, "\r\033[K%s: %llu/%llu events, %.0f per second, %s left", label_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), rate,
                 format_duration(left).c_str());
    std::fflush(stderr);
}

Options parse_options(int argc, const char* const* argv, const Chapter* chapter) {
    CLI::App app{"", argc > 0 ? argv[0] : "workbook"};
    Options options;
    declare_options(app, options, chapter);
    options.help = parse_command_line(app, argc, argv);
    return options;
}

namespace {

std::string program_description(const Chapter& chapter) {
    std::ostringstream out;
    out << chapter.title << "\n(chapter " << std::setw(2) << std::setfill('0') << chapter.number
        << " of the Weightless workbook: " << chapter.mechanism << ")";
    return out.str();
}

constexpr const char* exit_status_text =
    "Exit status: 0 counted, 1 the mechanism failed while running (e.g. fork failed, or\n"
    "the counter server died), 2 a malformed option or a book that cannot be read.\n"
    "Ctrl-C ends it as SIGINT does (a shell shows 130), its workers and server with it.";

}  // namespace

std::string usage(const Chapter* chapter, std::string_view program) {
    CLI::App app{"", std::string(program)};
    Options options;
    declare_options(app, options, chapter);
    return usage_line(app);
}

namespace {

// The count function `--variant name` selects; a variant the chapter does not have is an error,
// not silently the default.
CountFunction chosen_count(const Chapter& chapter, const std::string& name) {
    if (CountFunction count = chapter.count_for(name)) return count;
    throw UsageError("--variant: " + detail::no_such_variant(chapter, name));
}

}  // namespace

RunResult run_and_report(const Chapter& chapter, Events book, std::uint64_t book_size,
                         const std::string& book_name, const Options& options, std::ostream& out,
                         const CounterBackend* counters) {
    std::uint64_t limit = options.limit_given ? options.limit : chapter.default_limit;
    Events events = limit == 0 || limit >= book.size() ? book : book.first(limit);
    int runs = options.runs > 0 ? options.runs : chapter.default_runs;

    const CountFunction count = chosen_count(chapter, options.variant);
    const std::string_view variant =
        options.variant.empty() && !chapter.variants.empty() ? chapter.variants.front().name : options.variant;
    if (options.in_flight > 1 && !chapter.takes_in_flight) {
        throw UsageError("--in-flight: " + detail::no_in_flight(chapter, std::to_string(options.in_flight)));
    }
    // Slow counters: one backend for all the runs (the caller's, or one of our own).
    std::unique_ptr<CounterBackend> own_counters;
    if (counters == nullptr && options.counters.calls_out()) {
        own_counters = std::make_unique<CounterBackend>(options.counters);
        counters = own_counters.get();
    }
    Settings settings;
    settings.batch = options.batch;
    settings.in_flight = options.in_flight != 0 ? options.in_flight : chapter.takes_in_flight ? chapter.default_in_flight : 1;
    settings.stack_size = options.stack_size;
    settings.counters = counters;
    LetterTypes first{};
    double seconds = 0;
    std::optional<std::chrono::steady_clock::time_point> all_started;
    double all_started_seconds = 0;  // over the runs, as `seconds`; NaN once a run could not tell
    if (chapter.takes_in_flight) settings.all_started = &all_started;
    for (int run = 0; run < runs; ++run) {
        Progress progress(events.size(), std::string(chapter.slug) + " run " + std::to_string(run + 1) + "/" +
                                             std::to_string(runs));
        settings.progress = &progress;
        if (counters) counters->reset();
        all_started.reset();
        auto start = std::chrono::steady_clock::now();
        LetterTypes counts = count(events, settings);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        all_started_seconds += all_started ? std::chrono::duration<double>(*all_started - start).count()
                                           : std::numeric_limits<double>::quiet_NaN();
        if (counters) counters->check_totals(counts);  // nothing lost, nothing counted twice
        if (run == 0) first = counts;
        else if (counts != first) {
            std::ostringstream message;
            message << "run " << run + 1 << " counted " << counts << " but run 1 counted " << first;
            throw ChapterError(message.str());
        }
    }
    RunResult result{first, events.size(), runs, seconds};
    const std::string counter = counters ? counters->settings().describe() : options.counters.describe();

    if (options.json) {
        // In this order: the tests and the bench's readers look for the fields, not their order,
        // but a reader of the line finds the chapter first and the counts last.
        nlohmann::ordered_json json = {
            {"chapter", chapter.number},   {"slug", chapter.slug},         {"title", chapter.title},
            {"mechanism", chapter.mechanism}, {"variant", variant},        {"batch", settings.batch},
            {"book", book_name},           {"book_events", book_size},     {"events", result.events},
            {"counter", counter},          {"in_flight", settings.in_flight},
            {"runs", runs},                {"seconds", seconds},           {"ns_per_event", result.seconds_per_event() * 1e9},
        };
        // The stack each waiting greenlet reserves, as --stack-size rounded it, for the chapters that take it.
        if (chapter.takes_stack_size)
            json["stack_size"] = settings.stack_size != 0 ? settings.stack_size : Greenlet::default_stack_size;
        // When all the calls kept at once were waiting: the time to start them, without the
        // replies and the cleanup that follow, for the chapters that can tell.
        if (chapter.takes_in_flight && !std::isnan(all_started_seconds)) json["all_started_seconds"] = all_started_seconds;
        json["vowels"] = first.vowels;
        json["consonants"] = first.consonants;
        json["others"] = first.others;
        // A book's name is a path, whatever bytes it has: those that are not UTF-8 print as U+FFFD.
        out << json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
        return result;
    }
    out << chapter.title << '\n' << first << '\n' << runs << (runs == 1 ? " run" : " runs") << " in "
        << std::fixed << std::setprecision(6) << seconds << " seconds\n";
    out.unsetf(std::ios::floatfield);
    if (counters) out << "(counters: " << counter << (settings.in_flight > 1 ? ", " + std::to_string(settings.in_flight) + " calls in flight" : "") << ")\n";
    if (events.size() < book_size) {
        double per_event = result.seconds_per_event();
        out << "(only the first " << events.size() << " of " << book_size << " events; --limit 0 counts them all: "
            << format_duration(per_event) << " per event, about " << format_duration(per_event * static_cast<double>(book_size))
            << " per run of the whole book)\n";
    }
    return result;
}

int run_chapter(const Chapter& chapter, int argc, const char* const* argv) {
    const std::string program(chapter.slug);
    CLI::App app{program_description(chapter), program};
    app.footer(exit_status_text);
    Options options;
    declare_options(app, options, &chapter);
    if (auto status = handle_command_line(app, argc, argv)) return *status;
    // Everything goes to a buffer first and reaches stdout only when the whole run succeeded, so a
    // failure never leaves half the output behind.
    std::ostringstream out;
    try {
        Book book = Book::open(options.book);
        if (!options.json && chapter.demonstrate != nullptr) {
            chapter.demonstrate(out);
            out << '\n';
        }
        // Started once, before the runs; destroyed on the way out, also after an error: no server,
        // socket or directory is left (and its keeper stops it should this process be killed).
        std::optional<CounterBackend> counters;
        if (options.counters.calls_out()) counters.emplace(options.counters);
        run_and_report(chapter, book.events(), book.size(), book.name(), options, out, counters ? &*counters : nullptr);
    } catch (const UsageError& error) {
        std::cerr << program << ": " << error.what() << "; " << usage_line(app) << '\n';
        return 2;
    } catch (const BookError& error) {
        std::cerr << program << ": " << error.what() << '\n';
        return 2;
    } catch (const std::exception& error) {  // ChapterError, or anything else the mechanism threw
        std::cerr << program << ": " << error.what() << '\n';
        return 1;
    }
    std::cout << out.str() << std::flush;
    return std::cout ? 0 : 1;
}

}  // namespace workbook
