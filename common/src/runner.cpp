#include "workbook/runner.hpp"

#include "workbook/book.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace workbook {
namespace {

std::uint64_t parse_number(std::string_view option, std::string_view text, std::uint64_t minimum) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < minimum) {
        throw UsageError(std::string(option) + " needs a whole number of at least " + std::to_string(minimum) +
                         ", got '" + std::string(text) + "'");
    }
    return value;
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

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

Options parse_options(int argc, const char* const* argv, bool allow_positional) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool has_inline_value = false;
        if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
            value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
            has_inline_value = true;
        }
        auto take_value = [&]() -> std::string_view {
            if (has_inline_value) return value;
            if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
            return argv[++i];
        };
        auto no_value = [&] {
            if (has_inline_value) throw UsageError(std::string(arg) + " takes no value");
        };
        if (arg == "--help" || arg == "-h") no_value(), options.help = true;
        else if (arg == "--json") no_value(), options.json = true;
        else if (arg == "--book") {
            options.book = std::string(take_value());
            if (options.book.empty()) throw UsageError("--book needs a path, or - for standard input");
        } else if (arg == "--runs") {
            auto runs = parse_number(arg, take_value(), 1);
            if (runs > 1'000'000) throw UsageError("--runs takes at most 1000000, got " + std::to_string(runs));
            options.runs = static_cast<int>(runs);
        } else if (arg == "--limit") {
            options.limit = parse_number(arg, take_value(), 0);
            options.limit_given = true;
        } else if (arg == "--batch") options.batch = parse_number(arg, take_value(), 1);
        else if (arg == "--variant") options.variant = std::string(take_value());
        else if (allow_positional && !arg.starts_with("-")) options.positional.emplace_back(arg);
        else throw UsageError("unknown option '" + std::string(argv[i]) + "'");
    }
    return options;
}

std::string usage(const Chapter* chapter, std::string_view program) {
    std::ostringstream out;
    out << "usage: " << program << (chapter ? "" : " [CHAPTER...]")
        << " [--book PATH|-] [--runs N] [--limit N]"
        << (chapter == nullptr || chapter->takes_batch ? " [--batch N]" : "")
        << (chapter == nullptr || !chapter->variants.empty() ? " [--variant NAME]" : "") << " [--json] [--help]";
    return out.str();
}

namespace {

std::string help_text(const Chapter& chapter, std::string_view program) {
    std::ostringstream out;
    out << chapter.title << "\n(chapter " << std::setw(2) << std::setfill('0') << chapter.number
        << " of the Weightless workbook: " << chapter.mechanism << ")\n\n"
        << usage(&chapter, program) << "\n\n"
        << "  --book PATH   count the bytes of the file PATH, or of standard input for '-'\n"
        << "                (default: the workbook's generated default book)\n"
        << "  --runs N      count N times and report the total time (default " << chapter.default_runs << ")\n"
        << "  --limit N     count only the first N events; 0 counts the whole book (default "
        << (chapter.default_limit ? std::to_string(chapter.default_limit) : "0") << ")\n";
    if (chapter.takes_batch) out << "  --batch N     hand events over N at a time (default: the chapter's own, see its README)\n";
    if (!chapter.variants.empty()) {
        out << "  --variant V   which implementation to run (default " << chapter.variants.front().name << "):\n";
        std::size_t width = 0;
        for (const Variant& variant : chapter.variants) width = std::max(width, variant.name.size());
        for (const Variant& variant : chapter.variants) {
            out << "                  " << std::left << std::setfill(' ') << std::setw(static_cast<int>(width + 2)) << variant.name
                << std::right << variant.description << '\n';
        }
    }
    out << "  --json        print one JSON object instead of the talk's three lines\n"
        << "  --help        show this help\n\n"
        << "Exit status: 0 counted, 1 the mechanism failed while running (e.g. fork failed),\n"
        << "2 a malformed option or a book that cannot be read.\n";
    return out.str();
}

// The count function `--variant name` selects; a variant the chapter does not have is an error,
// not silently the default.
CountFunction chosen_count(const Chapter& chapter, const std::string& name) {
    if (CountFunction count = chapter.count_for(name)) return count;
    std::string names;
    for (const Variant& variant : chapter.variants) names += (names.empty() ? "" : ", ") + std::string(variant.name);
    throw UsageError("chapter " + std::string(chapter.slug) + " has no variant '" + name + "'" +
                     (names.empty() ? std::string() : " (it has: " + names + ")"));
}

// Options a chapter does not take are errors, not silently ignored.
void check_fits(const Chapter& chapter, const Options& options) {
    if (options.batch != 0 && !chapter.takes_batch)
        throw UsageError("chapter " + std::string(chapter.slug) + " takes no --batch");
    chosen_count(chapter, options.variant);
}

}  // namespace

RunResult run_and_report(const Chapter& chapter, Events book, std::uint64_t book_size,
                         const std::string& book_name, const Options& options, std::ostream& out) {
    std::uint64_t limit = options.limit_given ? options.limit : chapter.default_limit;
    Events events = limit == 0 || limit >= book.size() ? book : book.first(limit);
    int runs = options.runs > 0 ? options.runs : chapter.default_runs;

    const CountFunction count = chosen_count(chapter, options.variant);
    const std::string_view variant =
        options.variant.empty() && !chapter.variants.empty() ? chapter.variants.front().name : options.variant;
    Settings settings;
    settings.batch = options.batch;
    LetterTypes first{};
    double seconds = 0;
    for (int run = 0; run < runs; ++run) {
        Progress progress(events.size(), std::string(chapter.slug) + " run " + std::to_string(run + 1) + "/" +
                                             std::to_string(runs));
        settings.progress = &progress;
        auto start = std::chrono::steady_clock::now();
        LetterTypes counts = count(events, settings);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (run == 0) first = counts;
        else if (counts != first) {
            std::ostringstream message;
            message << "run " << run + 1 << " counted " << counts << " but run 1 counted " << first;
            throw ChapterError(message.str());
        }
    }
    RunResult result{first, events.size(), runs, seconds};

    if (options.json) {
        out << "{\"chapter\":" << chapter.number << ",\"slug\":" << json_string(chapter.slug)
            << ",\"title\":" << json_string(chapter.title) << ",\"mechanism\":" << json_string(chapter.mechanism)
            << ",\"variant\":" << json_string(variant) << ",\"batch\":" << settings.batch
            << ",\"book\":" << json_string(book_name) << ",\"book_events\":" << book_size
            << ",\"events\":" << result.events << ",\"runs\":" << runs << std::setprecision(9)
            << ",\"seconds\":" << seconds << ",\"ns_per_event\":" << result.seconds_per_event() * 1e9
            << ",\"vowels\":" << first.vowels << ",\"consonants\":" << first.consonants
            << ",\"others\":" << first.others << "}\n";
        return result;
    }
    out << chapter.title << '\n' << first << '\n' << runs << (runs == 1 ? " run" : " runs") << " in "
        << std::fixed << std::setprecision(6) << seconds << " seconds\n";
    out.unsetf(std::ios::floatfield);
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
    // Everything goes to a buffer first and reaches stdout only when the whole run succeeded, so a
    // failure never leaves half the output behind.
    std::ostringstream out;
    try {
        Options options = parse_options(argc, argv);
        if (options.help) {
            std::cout << help_text(chapter, program);
            return 0;
        }
        check_fits(chapter, options);
        Book book = Book::open(options.book);
        if (!options.json && chapter.demonstrate != nullptr) {
            chapter.demonstrate(out);
            out << '\n';
        }
        run_and_report(chapter, book.events(), book.size(), book.name(), options, out);
    } catch (const UsageError& error) {
        std::cerr << program << ": " << error.what() << "; " << usage(&chapter, program) << '\n';
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
