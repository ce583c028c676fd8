// The bench behind `./workbook bench`: what it measures (rows of the table) and how, shared by
// measure.cpp (running chapters, Python peers and microbenchmarks), report.cpp (targets, table,
// CSV, JSON, chart) and main.cpp (options).
#pragma once

#include "workbook/book.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/runner.hpp"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace workbook::bench {

inline constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

// How long each row may take. One rule for every row, so the rows stay comparable: a run that
// would take longer than `seconds_per_run` counts a prefix of the book instead (and says so), and
// the number of runs is what fits in `seconds_per_row`, within [min_runs, max_runs].
struct Budget {
    double seconds_per_run;
    double seconds_per_row;
    int min_runs;
    int max_runs;
    double python_seconds_per_run;  // CPython is ~100 times slower: a larger budget keeps the book whole
    int python_runs;
    double micro_min_time;  // Google Benchmark's --benchmark_min_time, per repetition
    int micro_repetitions;  // each microbenchmark's best repetition is kept
    std::uint64_t limit = 0;  // --limit: the most events any row counts; 0 = no such cap

    static Budget standard() { return {1.0, 3.0, 5, 25, 3.0, 3, 0.05, 5}; }
    static Budget quick() { return {0.1, 0.3, 3, 5, 0.2, 3, 0.01, 1}; }
};

// One row of the table: one chapter (or Python peer) with one setting, on one book.
struct Row {
    int chapter = 0;            // 0 = the floor (reference_count), which is no chapter
    std::string slug;           // "01_serial", or the Python file, "serial.py"
    std::string mechanism;
    std::string variant;        // the --variant, empty when the chapter has none
    std::size_t batch = 0;      // the --batch, 0 = the chapter's default (one message per event)
    bool default_variant = true;  // the chapter's first variant (or it has none)
    std::string implementation = "C++";  // or the interpreter, "CPython 3.11.7", "PyPy 7.3.11"
    bool python = false;
    std::uint64_t events = 0;       // events counted per run
    std::uint64_t book_events = 0;  // events in the whole book
    std::string prefix_reason;      // why only a prefix was counted; empty = the whole book
    std::vector<double> run_seconds;  // the measured runs, warm-up excluded
    std::string error;              // what went wrong; empty = measured, counts agree

    // Filled by evaluate():
    double ratio_to_01 = not_measured;      // ns per event / chapter 01's (same implementation)
    double cpp_over_python = not_measured;  // Python rows: C++ ns per event / this row's
    std::string target;                     // the workbook's target for this row, e.g. "<= 1.5x 01"
    std::string target_status;              // "met", "missed", or empty when there is none
    std::string baseline;                   // the microbenchmark this row is judged against, if any
    double ratio_to_baseline = not_measured;  // ns per event / the baseline's ns per item, same run

    bool ok() const { return error.empty() && !run_seconds.empty(); }
    double median_seconds() const;
    double min_seconds() const;
    double max_seconds() const;
    double ns_per_event(double seconds) const {
        return events == 0 ? not_measured : seconds * 1e9 / static_cast<double>(events);
    }
    double ns_per_event() const { return ns_per_event(median_seconds()); }
    // "04_threads --batch 4096", "02_processes --variant vfork", "09 weightless.py (CPython 3.11.7)"
    std::string label() const;
};

// One microbenchmark of bench/micro.cpp: the primitive a chapter rests on, measured alone.
struct Primitive {
    std::string name;      // e.g. "fiber_round_trip"
    std::string chapters;  // which chapters rest on it, e.g. "11"
    double ns = not_measured;  // real time per operation (one event's worth), median of the repetitions
    std::vector<double> samples;  // each repetition's real time per operation
    std::string target;
    std::string target_status;
    std::string baseline;                   // the floor it is judged against (a primitive), if any
    double ratio_to_baseline = not_measured;  // ns / the baseline's ns, same run
};

struct Machine {
    std::string date;  // UTC, ISO 8601
    unsigned cores = 0;
    std::string cpu;
    std::string compiler;
    std::string kernel;
    double load_before = not_measured;  // 1-minute load average when the bench started
    double load_after = not_measured;
};

struct Results {
    Machine machine;
    std::string book_name;
    std::uint64_t book_events = 0;
    bool quick = false;
    std::vector<Row> rows;
    std::vector<Primitive> primitives;
    std::vector<std::string> notes;  // what was not measured, and why
};

// ---- measure.cpp
// The settings a chapter is benched with: its default, each further variant, and for chapters that
// batch, --batch 4096 (the setting its target is for).
struct Setting {
    std::string variant;
    std::size_t batch = 0;
    bool default_variant = true;
};
std::vector<Setting> settings_for(const Chapter& chapter);

// Measures `chapter` with `setting` on `book`: a probe, a warm-up run, then the runs the budget
// allows; every run's counts are checked against reference_count.
Row measure_chapter(const Chapter& chapter, const Setting& setting, Events book, const Budget& budget);

// The floor: reference_count, one table look-up per byte, measured like a chapter.
Row measure_floor(Events book, const Budget& budget);

// Python interpreters found on PATH: python3, then pypy3.
std::vector<std::string> python_interpreters();

// Every chapter's Python peer, chapters/NN_name/*.py under `source_dir`, in order.
struct PythonPeer {
    int chapter;
    std::filesystem::path path;
};
std::vector<PythonPeer> python_peers(const std::filesystem::path& source_dir);

// The interpreter to run `peer` with, found by trying: `interpreter` ("python3" or "pypy3") if the
// peer runs on it (counts an empty book); for python3, else Debian's /usr/bin/python3 (the one with
// python3-gevent, python3-greenlet...: python3 on PATH may be another build). Empty when none can,
// and then `why` says what failed ("pypy3 cannot run it: ImportError: cannot import name ...").
std::string runnable_interpreter(const PythonPeer& peer, const std::string& interpreter, std::string* why = nullptr);
// The same, but `interpreter` itself when none can run the peer: its run then fails, saying why.
std::string interpreter_for(const PythonPeer& peer, const std::string& interpreter);
// The same for a peer that counts on a server: the first that runs it and also imports the
// servers' clients, which the peers import only when a server is asked for (redis-py, and
// hiredis's reader for chapter 14's); else as interpreter_for.
std::string server_interpreter_for(const PythonPeer& peer, const std::string& interpreter);

// Runs a Python peer on the book file `book_path` (a probe, then one process doing a warm-up run
// and budget.python_runs runs). `batch` > 0 only when the peer takes --batch.
// `book` holds the same bytes, for the reference count.
Row measure_python(const PythonPeer& peer, const std::string& interpreter, std::size_t batch,
                   const std::string& book_path, Events book, const Budget& budget, bool* takes_batch = nullptr);

// Runs the microbenchmark program and reads its results; throws std::runtime_error on failure.
std::vector<Primitive> run_microbenchmarks(const std::string& program, const Budget& budget);

Machine describe_machine();
double load_average();

// ---- report.cpp
// Ratios to chapter 01, C++ / Python ratios and the workbook's targets, filled into the rows.
void evaluate(Results& results);
void print_table(const Results& results, std::ostream& out);
void write_csv(const Results& results, const std::filesystem::path& file);
void write_json(const Results& results, const std::filesystem::path& file);
// Writes chart.dat and chart.gp into `dir` and runs gnuplot to draw chart.svg; throws
// std::runtime_error when gnuplot fails.
void draw_chart(const Results& results, const std::filesystem::path& dir);
// The full path of `program` on PATH (gnuplot, python3...), or empty when it is not there.
std::string find_on_path(const std::string& program);


// ---- slow.cpp: `--slow`, when each mechanism wins. Every mechanism against every counter, each
// row a prefix sized to take about a budget's second, its rate beside the bound its mechanism can
// reach at best.

// What bounds a mechanism's rate when each counter call waits (or works).
enum class BoundRule : std::uint8_t {
    one_at_a_time,  // one call at a time: 1/wait (1/work)
    busiest_class,  // a worker per class, waiting at once: 1/(wait x the busiest class's share)
    in_flight,      // N calls in flight: min(N/wait, its own rate at wait 0), Little's law
};

// One mechanism, a line of the chart. A chapter (or a later peer) adds its lines by adding
// entries to slow_mechanisms().
struct SlowMechanism {
    int chapter = 0;
    std::string variant;         // empty = the chapter's default
    std::size_t batch = 0;       // --batch
    std::size_t in_flight = 1;   // --in-flight
    BoundRule rule = BoundRule::one_at_a_time;
    unsigned workers = 1;        // threads or processes that run the counter calls (and their work)
    std::string label(const Chapter& chapter) const;  // "02_processes --in-flight 64"
};
std::vector<SlowMechanism> slow_mechanisms();

// One counter setting, a column: what each counter call costs.
struct SlowCounter {
    CounterKind kind = CounterKind::service;
    std::int64_t wait_us = 0;
    std::int64_t work_ns = 0;
    std::string label() const;  // "wait 100 us", "work 10 us", "redis"
    CounterSettings settings() const;
};
std::vector<SlowCounter> slow_counters();

struct SlowRow {
    int chapter = 0;
    std::string label;      // the mechanism's label
    std::string slug;
    std::string mechanism;
    std::string variant;
    std::size_t batch = 0;
    std::size_t in_flight = 1;
    BoundRule rule = BoundRule::one_at_a_time;
    unsigned workers = 1;
    SlowCounter counter;
    bool python = false;            // a Python peer, run as a program against the same server
    bool gil = false;               // a Python row of the GIL's comparison (chapters 01-04 and 09)
    std::string interpreter;        // Python rows: "CPython" or "PyPy", the family asked for
    std::string implementation = "C++";  // or the interpreter, "CPython 3.11.2"
    std::uint64_t events = 0;       // counted in the measured run (a prefix of the book)
    std::uint64_t book_events = 0;
    double busiest_share = not_measured;  // the busiest class's share of the events counted
    double seconds = not_measured;  // the measured run
    double load = not_measured;     // 1-minute load average when the row started
    // Filled by evaluate_slow():
    double bound = not_measured;    // events per second at best; NaN = none (no wait, no work)
    std::string bound_text;         // how it was found, e.g. "1/(wait x 0.42)"
    std::string target;
    std::string target_status;
    bool server_bound = false;      // its rate is near the server's own ceiling: the server limits it
    std::string error;

    bool ok() const { return error.empty() && events > 0 && seconds > 0; }
    double rate() const { return ok() ? static_cast<double>(events) / seconds : not_measured; }
    double ratio_to_bound() const { return rate() / bound; }
};

// One line of the GIL's summary: in one column, one interpreter's threads (chapter 04's peer) and
// processes (03's) beside its own serial peer (01's) and beside the C++ rows (batched, 4096).
// Under work that holds the GIL, CPython's threads gain nothing from a second core and its
// processes do; under waits that release it, its threads overlap them as C++ threads do.
struct GilLine {
    SlowCounter counter;
    std::string interpreter;     // "CPython" or "PyPy"
    std::string implementation;  // as its rows say, "CPython 3.11.2"
    double threads_to_serial = not_measured;    // its 04's rate / its 01's
    double processes_to_serial = not_measured;  // its 03's rate / its 01's
    double threads_to_cpp = not_measured;       // its 04's rate / C++ 04's
    double processes_to_cpp = not_measured;     // its 03's rate / C++ 03's
    double cpp_threads_to_serial = not_measured;  // C++ 04's rate / C++ 01's, for contrast
    std::vector<std::string> targets;  // its rows' GIL targets, "04 within 1.25x of its 01: met"
    std::string text() const;          // the printed line, "GIL: work 10 us, CPython 3.11.2: ..."
};

struct SlowResults {
    Machine machine;
    std::string book_name;
    std::uint64_t book_events = 0;
    bool quick = false;
    double redis_ceiling = not_measured;  // INCR per second, redis-benchmark on the private server
    std::string redis_ceiling_how;
    double service_ceiling = not_measured;  // INCR per second at wait 0, a bare pipelining client
    std::string service_ceiling_how;
    std::vector<SlowRow> rows;
    std::vector<GilLine> gil;  // filled by evaluate_slow() when there are GIL rows
    std::vector<std::string> notes;
};

// Called after each row, for progress.
using SlowProgress = void (*)(const SlowRow& row, int index, int total);

// The Python peers to run beside the C++ rows (`--slow --python`), on the bench's own servers (the
// peer's --socket): each peer of chapters 12, 13 and 14 among `peers`, at 100 in flight, at wait 0,
// at 10 ms and against Redis; and the GIL's rows, the peers of chapters 01-04 and 09 under CPython
// and PyPy (03 and 04 at --batch 4096), at work 1 and 10 us and at waits 1 and 10 ms.
// `book_file` holds the book's bytes for them.
struct SlowPython {
    std::vector<PythonPeer> peers;
    std::filesystem::path book_file;
};
// Rows whose rate is at least this share of the server's own ceiling are marked server-bound.
inline constexpr double server_bound_share = 0.8;

// Measures every mechanism of `chapters` (chapter 01 always) against every counter, and the
// Python peers of `python`.
SlowResults measure_slow(const std::vector<const Chapter*>& chapters, Events book, const Budget& budget,
                         SlowProgress progress, const SlowPython& python = {});
void evaluate_slow(SlowResults& results);
void print_slow_table(const SlowResults& results, std::ostream& out);
void write_slow_csv(const SlowResults& results, const std::filesystem::path& file);
void write_slow_json(const SlowResults& results, const std::filesystem::path& file);
// Writes slow.dat and slow.gp into `dir` and runs gnuplot to draw slow.svg, the crossover chart.
void draw_slow_chart(const SlowResults& results, const std::filesystem::path& dir);
// Runs gnuplot on `script` in `dir`; throws std::runtime_error when it fails.
void run_gnuplot(const std::filesystem::path& dir, const std::string& script);
std::string bound_rule_name(BoundRule rule);

// ---- talk.cpp: `--talk`, the talk's own measurement: ten runs of the whole book by chapters 01 and
// 09, in C++ and in their Python peers (python3, and pypy3 where installed), in the talk's form
// beside its 2012 figures. `book_option` is --book as given (a file for the peers; otherwise the book
// is written to `out`/book.txt). 0 measured, 1 a run failed or miscounted.
int run_talk(const Book& book, const std::string& book_option, const std::filesystem::path& out, std::ostream& report);

}  // namespace workbook::bench
