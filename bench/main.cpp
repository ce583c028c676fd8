// `workbook bench`: what each mechanism costs. Runs every chapter on the same book (in this one
// program, which links them all through the registry), beside the floor (reference_count), the
// talk's Python programs (--python) and the primitives each chapter rests on (bench/micro.cpp),
// then prints the table and writes it as CSV, JSON and a gnuplot chart.
#include "bench.hpp"
#include "waiters.hpp"

#include "workbook/book.hpp"
#include "workbook/command_line.hpp"
#include "workbook/registry.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <string_view>
#include <unistd.h>

namespace {

namespace bench = workbook::bench;
namespace fs = std::filesystem;

struct Options {
    bool quick = false;
    bool slow = false;
    bool waiters = false;
    bool python = false;
    bool talk = false;
    bool no_micro = false;
    bool no_chart = false;
    std::string book;
    std::uint64_t limit = 0;
    std::set<int> chapters;  // empty = all
    std::optional<fs::path> out;
};

std::string chapter_list() {
    std::string list;
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        list += (list.empty() ? "" : ",") + std::to_string(chapter->number);
    }
    return list;
}

// Each option once: its help text, its check. The usage line and --help come from here.
void declare(CLI::App& app, Options& options) {
    workbook::apply_conventions(app);
    app.add_flag("--quick", options.quick, "a fast pass: smaller budgets, fewer runs, shorter prefixes");
    app.add_flag("--slow", options.slow,
                 "when each mechanism wins: every chapter against slow counters (the counter service at\n"
                 "waits 0 to 10,000 us, --work 1 and 10 us, Redis), each rate beside its bound; writes\n"
                 "slow.csv, slow.json and the crossover chart, slow.svg");
    app.add_flag("--waiters", options.waiters,
                 "how many waits each mechanism holds at once: N counter calls of 100 ms waiting at once\n"
                 "(N = 100 to 10,000; 30,000 for the event loops), the memory per waiter, the time to start\n"
                 "them; writes waiters.csv, waiters.json and waiters.svg");
    app.add_option("--chapters", options.chapters,
                   "only these chapters, e.g. 1,9,11 (chapter 01 is always measured: the ratios need it)")
        ->type_name("LIST")
        ->option_text("LIST")  // not CLI11's "LIST ...": the list is one value, split at commas
        ->delimiter(',')
        ->check(CLI::Validator(
            [](const std::string& item) {
                for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
                    if (std::to_string(chapter->number) == item) return std::string();
                }
                return (item.empty() ? "''" : item) + " is not a chapter here (chapters: " + chapter_list() + ")";
            },
            ""));
    app.add_option("--book", options.book, "count this file (or standard input) instead of the default book")
        ->type_name("PATH|-")
        ->check(workbook::book_path());
    app.add_option("--limit", options.limit, "count at most the first N events in every row (marked prefix, like any other)")
        ->type_name("N")
        ->transform(workbook::whole_number(1));
    app.add_flag("--python", options.python,
                 "add the talk's Python programs (chapters/*/*.py) with python3 and, where\n"
                 "installed, pypy3, and the ratio C++ / Python; with --slow, chapters 12, 13 and\n"
                 "14's peers (gevent, Twisted, asyncio) against the same servers as the C++ rows, and\n"
                 "the GIL's rows: chapters 01-04 and 09's peers under CPython and PyPy, at work and waits");
    app.add_flag("--talk", options.talk,
                 "the talk's own measurement: ten runs of the whole book by the serial callout (chapter 01)\n"
                 "and the weightless dispatch (chapter 09), in C++, CPython and PyPy, beside the talk's 2012\n"
                 "figures; prints only, writes nothing");
    app.add_flag("--no-micro", options.no_micro, "skip the microbenchmarks (workbook-microbench, Google Benchmark)");
    app.add_flag("--no-chart", options.no_chart, "do not draw the chart (no gnuplot needed)");
    app.add_option("--out", options.out,
                   "where bench.csv, bench.json and chart.svg (or slow.*) go (default: the build folder's bench/)")
        ->type_name("DIR");
}

fs::path own_folder() {
    std::error_code error;
    fs::path self = fs::read_symlink("/proc/self/exe", error);
    return error ? fs::current_path() : self.parent_path();
}

void say(const std::string& text) {
    std::cerr << "bench: " << text << '\n' << std::flush;
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, seconds < 1 ? "%.0f ms" : "%.2f s", seconds < 1 ? seconds * 1e3 : seconds);
    return text;
}

// One line of progress per row: what was measured, on how many events, and what it cost.
void report_progress(const bench::Row& row, int index, int total) {
    std::string line = "[" + std::to_string(index) + "/" + std::to_string(total) + "] " + row.label() +
                       (row.python ? " (" + row.implementation + ")" : "") + ": ";
    if (!row.ok()) line += "FAILED: " + row.error;
    else {
        char cost[64];
        std::snprintf(cost, sizeof cost, "%.3g ns per event", row.ns_per_event());
        line += std::to_string(row.run_seconds.size()) + " runs of " + std::to_string(row.events) + " events" +
                (row.prefix_reason.empty() ? "" : " (prefix: " + row.prefix_reason + ")") + ", " +
                seconds_text(row.median_seconds()) + " per run, " + cost;
    }
    say(line);
}

// One line of progress per slow row: its rate and its share of its bound come after the whole
// run (the in-flight bounds need wait 0's rates), so the line says what was counted, how fast.
void report_slow_progress(const bench::SlowRow& row, int index, int total) {
    std::string line = "[" + std::to_string(index) + "/" + std::to_string(total) + "] " + row.label + ", " +
                       row.counter.label() + ": ";
    if (!row.ok()) line += "FAILED: " + row.error;
    else {
        char rate[64];
        std::snprintf(rate, sizeof rate, "%.4g events per second", row.rate());
        line += std::to_string(row.events) + " events in " + seconds_text(row.seconds) + ", " + rate;
    }
    say(line);
}

// `--slow`: the crossover table, its files and its chart.
// Writes the CSV and JSON files (`write`), and the chart (`draw`) unless `chart` is empty (--no-chart),
// and says where. 1 when a file cannot be written or a row was not measured, else 0.
template <typename Row>
int write_outputs(const std::vector<Row>& rows, const fs::path& csv, const fs::path& json, const fs::path& chart,
                  const std::function<void()>& write, const std::function<void()>& draw) {
    try {
        write();
        std::cout << "\nwrote " << csv.string() << " and " << json.string();
        if (!chart.empty()) {
            draw();
            std::cout << " and " << chart.string();
        }
        std::cout << '\n';
    } catch (const std::exception& failure) {
        std::cout << std::flush;
        std::cerr << "workbook bench: " << failure.what() << '\n';
        return 1;
    }
    bool all_measured = true;
    for (const auto& row : rows) all_measured = all_measured && row.ok();
    return all_measured ? 0 : 1;
}

int run_slow(const Options& options, const std::vector<const workbook::Chapter*>& chapters,
             const workbook::Book& book, const fs::path& out) {
    bench::Budget budget = options.quick ? bench::Budget::quick() : bench::Budget::standard();
    budget.limit = options.limit;
    bench::Machine machine = bench::describe_machine();
    if (machine.load_before > 0.5 * machine.cores) {
        say("the machine is busy (load average " + std::to_string(machine.load_before).substr(0, 4) +
            "): timings will be noisy");
    }
    say("measuring every mechanism against slow counters on " + book.name() + (options.quick ? ", quick" : ""));
    bench::SlowPython python;  // --python: the peers of chapters 01-04, 09 and 12-14, on the same servers
    if (options.python) python = {bench::python_peers(WORKBOOK_SOURCE_DIR), out / "book.txt"};
    bench::SlowResults results;
    try {
        results = bench::measure_slow(chapters, book.events(), budget, report_slow_progress, python);
    } catch (const std::exception& failure) {
        std::cerr << "workbook bench: " << failure.what() << '\n';
        return 1;
    }
    results.machine = machine;
    results.machine.load_after = bench::load_average();
    results.book_name = book.name();
    results.quick = options.quick;
    bench::evaluate_slow(results);
    bench::print_slow_table(results, std::cout);
    return write_outputs(
        results.rows, out / "slow.csv", out / "slow.json", options.no_chart ? fs::path() : out / "slow.svg",
        [&] {
            bench::write_slow_csv(results, out / "slow.csv");
            bench::write_slow_json(results, out / "slow.json");
        },
        [&] { bench::draw_slow_chart(results, out); });
}

// `--waiters`: every mechanism holding N waits at once.
int run_waiters(const Options& options, const fs::path& out) {
    bench::Machine machine = bench::describe_machine();
    say("measuring how many waits each mechanism holds at once (one probe at a time)");
    // Every program counts the same prefix of the default book, from a file the Python peers read too.
    const fs::path book_file = out / "waiters-book.txt";
    {
        const workbook::Book book = workbook::Book::default_book(30'000);
        std::ofstream file(book_file, std::ios::binary);
        file.write(reinterpret_cast<const char*>(book.events().data()), static_cast<std::streamsize>(book.size()));
        if (!file.flush()) {
            std::cerr << "workbook bench: cannot write " << book_file.string() << '\n';
            return 1;
        }
    }
    struct Remove {
        fs::path file;
        ~Remove() {
            std::error_code ignored;
            fs::remove(file, ignored);
        }
    } remove_book{book_file};
    bench::WaiterResults results = bench::measure_waiters(own_folder(), WORKBOOK_SOURCE_DIR, book_file, [](const bench::WaiterRow& row, int index, int total) {
        std::string line = "[" + std::to_string(index) + "/" + std::to_string(total) + "] " + row.label + ", " +
                           std::to_string(row.waiters) + " waiters: " + row.status;
        if (!row.reason.empty()) line += ": " + row.reason;
        if (row.status == "measured") {
            char figures[96];
            std::snprintf(figures, sizeof figures, ", %.1f MiB at the peak, %zu tasks, %.3f s", row.probe.peak_bytes / 1048576.0,
                          row.probe.peak_tasks, row.probe.run_seconds);
            line += figures;
        }
        say(line);
    });
    results.machine = machine;
    results.machine.load_after = bench::load_average();
    bench::print_waiters_table(results, std::cout);
    return write_outputs(
        results.rows, out / "waiters.csv", out / "waiters.json", options.no_chart ? fs::path() : out / "waiters.svg",
        [&] {
            bench::write_waiters_csv(results, out / "waiters.csv");
            bench::write_waiters_json(results, out / "waiters.json");
        },
        [&] { bench::draw_waiters_chart(results, out); });
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Measures what each mechanism costs: every chapter on the same book, a warm-up then several runs\n"
                 "each, and prints a table (median time per run, ns per event, ratio to chapter 01, spread min-max,\n"
                 "the workbook's targets met or missed). A chapter too slow for the whole book is measured on a\n"
                 "prefix, marked \"prefix\" in the table; nothing is extrapolated. Progress goes to stderr.",
                 "workbook bench"};
    app.footer("Exit status: 0 measured (targets missed or not), 1 a chapter failed or miscounted, 2 a bad option or book.");
    Options options;
    declare(app, options);
    if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;
    if (options.talk && (options.slow || options.waiters || options.python || options.quick || options.limit != 0 ||
                         !options.chapters.empty())) {
        std::cerr << "workbook bench: --talk runs the talk's measurement alone, ten runs of the whole book: "
                     "it takes --book (and --out), not --slow, --waiters, --python, --quick, --limit or --chapters\n";
        return 2;
    }
    if (options.waiters && (options.slow || options.python || options.quick || !options.chapters.empty())) {
        std::cerr << "workbook bench: --waiters measures every mechanism, with the same wait; run it without "
                     "--slow, --python, --quick and --chapters\n";
        return 2;
    }

    std::vector<const workbook::Chapter*> chapters;
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        if (options.chapters.empty() || options.chapters.count(chapter->number) || chapter->number == 1) {
            chapters.push_back(chapter);
        }
    }
    if (!options.chapters.empty() && !options.chapters.count(1)) say("chapter 01 is measured too: the ratios need it");
    if (!options.no_chart && !options.talk && bench::find_on_path("gnuplot").empty()) {
        std::cerr << "workbook bench: gnuplot is not installed, so the chart cannot be drawn; install gnuplot-nox "
                     "(./workbook bench does), or pass --no-chart\n";
        return 2;
    }

    std::optional<workbook::Book> book;
    try {
        book = workbook::Book::open(options.book);
    } catch (const workbook::BookError& error) {
        std::cerr << "workbook bench: " << error.what() << '\n';
        return 2;
    }
    fs::path out = options.out.value_or(own_folder().parent_path() / "bench");
    std::error_code error;
    fs::create_directories(out, error);
    if (error || !fs::is_directory(out)) {
        std::cerr << "workbook bench: cannot create the folder " << out << ": " << error.message() << '\n';
        return 2;
    }

    if (options.slow) return run_slow(options, chapters, *book, out);
    if (options.waiters) return run_waiters(options, out);
    if (options.talk) return bench::run_talk(*book, options.book, out, std::cout);

    bench::Budget budget = options.quick ? bench::Budget::quick() : bench::Budget::standard();
    budget.limit = options.limit;
    bench::Results results;
    results.machine = bench::describe_machine();
    results.book_name = book->name();
    results.book_events = book->size();
    results.quick = options.quick;
    if (results.machine.load_before > 0.5 * results.machine.cores) {
        say("the machine is busy (load average " + std::to_string(results.machine.load_before).substr(0, 4) +
            "): timings will be noisy");
    }

    int total = 1;
    for (const auto* chapter : chapters) total += static_cast<int>(bench::settings_for(*chapter).size());
    say("measuring " + std::to_string(total) + " rows on " + book->name() + " (" + std::to_string(book->size()) +
        " events)" + (options.quick ? ", quick" : ""));
    int index = 0;
    results.rows.push_back(bench::measure_floor(book->events(), budget));
    report_progress(results.rows.back(), ++index, total);
    for (const auto* chapter : chapters) {
        for (const auto& setting : bench::settings_for(*chapter)) {
            results.rows.push_back(bench::measure_chapter(*chapter, setting, book->events(), budget));
            report_progress(results.rows.back(), ++index, total);
        }
    }

    if (options.python) {
        auto interpreters = bench::python_interpreters();
        std::vector<bench::PythonPeer> peers;
        for (const auto& peer : bench::python_peers(WORKBOOK_SOURCE_DIR)) {
            if (options.chapters.empty() || options.chapters.count(peer.chapter) || peer.chapter == 1) {
                peers.push_back(peer);
            }
        }
        if (interpreters.empty()) results.notes.push_back("--python: neither python3 nor pypy3 is on PATH");
        else if (std::find(interpreters.begin(), interpreters.end(), "pypy3") == interpreters.end()) {
            results.notes.push_back("PyPy rows missing: pypy3 is not installed (apt-get install pypy3 adds them)");
        }
        if (peers.empty()) results.notes.push_back("--python: no chapters/*/*.py for the chosen chapters");
        std::string book_path = options.book;
        if (!interpreters.empty() && !peers.empty() && (book_path.empty() || book_path == "-")) {
            // The Python programs read the same bytes from a file.
            book_path = (out / "book.txt").string();
            std::FILE* file = std::fopen(book_path.c_str(), "wb");
            bool written = file != nullptr && std::fwrite(book->events().data(), 1, book->size(), file) == book->size();
            if (file != nullptr) written = std::fclose(file) == 0 && written;
            if (!written) {
                std::cerr << "workbook bench: cannot write " << book_path << " for the Python programs\n";
                return 1;
            }
        }
        int python_total = static_cast<int>(interpreters.size() * peers.size());
        int python_index = 0;
        for (const auto& interpreter : interpreters) {
            for (const auto& peer : peers) {
                std::string why;
                if (interpreter != "python3" && bench::runnable_interpreter(peer, interpreter, &why).empty()) {
                    // gevent, uvloop, hiredis: libraries with parts built for CPython only.
                    results.notes.push_back(std::to_string(peer.chapter) + " " + peer.path.filename().string() +
                                            " has no " + interpreter + " row: " + why);
                    say(results.notes.back());
                    continue;
                }
                bool takes_batch = false;
                results.rows.push_back(
                    bench::measure_python(peer, interpreter, 0, book_path, book->events(), budget, &takes_batch));
                report_progress(results.rows.back(), ++python_index, python_total);
                bool chapter_batches = false;
                for (const auto* chapter : chapters) {
                    chapter_batches = chapter_batches || (chapter->number == peer.chapter && chapter->takes_batch);
                }
                if (takes_batch && chapter_batches) {
                    results.rows.push_back(
                        bench::measure_python(peer, interpreter, 4096, book_path, book->events(), budget));
                    report_progress(results.rows.back(), python_index, python_total);
                }
            }
        }
    }

    if (!options.no_micro) {
        fs::path micro = own_folder() / "workbook-microbench";
        if (::access(micro.c_str(), X_OK) != 0) {
            results.notes.push_back("microbenchmarks not run: " + micro.string() +
                                    " is not built (it needs libbenchmark-dev)");
        } else {
            say("running the microbenchmarks (" + micro.filename().string() + ")");
            try {
                results.primitives = bench::run_microbenchmarks(micro.string(), budget);
            } catch (const std::exception& failure) {
                results.notes.push_back(std::string("microbenchmarks failed: ") + failure.what());
            }
        }
    }
    results.machine.load_after = bench::load_average();

    bench::evaluate(results);
    bench::print_table(results, std::cout);
    return write_outputs(
        results.rows, out / "bench.csv", out / "bench.json", options.no_chart ? fs::path() : out / "chart.svg",
        [&] {
            bench::write_csv(results, out / "bench.csv");
            bench::write_json(results, out / "bench.json");
        },
        [&] { bench::draw_chart(results, out); });
}
