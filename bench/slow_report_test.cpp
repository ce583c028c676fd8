// `bench --slow`'s judgement of its rows, without running anything: which target a row is judged
// against and when it is met. No timing is measured.
#include "bench.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

using namespace workbook::bench;

namespace {

SlowRow row(int chapter, std::string variant, std::size_t in_flight, double per_second, bool python = false) {
    SlowRow row;
    row.chapter = chapter;
    row.slug = chapter == 14 ? "14_async_await" : "01_serial";
    row.label = row.slug + (variant.empty() ? "" : " --variant " + variant);
    row.variant = std::move(variant);
    row.in_flight = in_flight;
    row.rule = BoundRule::in_flight;
    row.counter = SlowCounter{workbook::CounterKind::service, 0, 0};
    row.python = python;
    row.events = static_cast<std::uint64_t>(per_second);
    row.seconds = 1;
    return row;
}

const SlowRow& find_row(const SlowResults& results, int chapter, const std::string& variant, bool python = false) {
    for (const SlowRow& row : results.rows)
        if (row.chapter == chapter && row.variant == variant && row.python == python) return row;
    throw std::logic_error("no such row");
}

}  // namespace

TEST_CASE("chapter 14's Asio rows are judged against the workbook's loop at the same wait and in flight, within 1.5x either way") {
    struct Case {
        double own, asio;
        bool met;
    };
    for (const Case& c : {Case{1000, 800, true}, Case{800, 1000, true}, Case{1000, 500, false}, Case{500, 1000, false}}) {
        const double own = c.own, asio = c.asio;
        const bool met = c.met;
        CAPTURE(own);
        CAPTURE(asio);
        SlowResults results;
        results.machine.cores = 2;
        results.rows = {row(14, "", 1000, own), row(14, "asio", 1000, asio)};
        evaluate_slow(results);
        const SlowRow& judged = find_row(results, 14, "asio");
        CHECK(judged.target.find("within 1.5x") != std::string::npos);
        CHECK(judged.target.find("14_async_await") != std::string::npos);
        CHECK(judged.target_status == (met ? "met" : "missed"));
    }
}

TEST_CASE("chapter 14 at 100 in flight and wait 0 is judged against its Python peer: at least 3x its rate") {
    struct Case {
        double own, peer;
        bool met;
    };
    for (const Case& c : {Case{30000, 10000, true}, Case{29000, 10000, false}}) {
        const double own = c.own, peer = c.peer;
        const bool met = c.met;
        CAPTURE(own);
        SlowResults results;
        results.machine.cores = 2;
        SlowRow python = row(14, "", 100, peer, true);
        python.label = "14 async_await.py";
        results.rows = {row(14, "", 100, own), python};
        evaluate_slow(results);
        const SlowRow& judged = find_row(results, 14, "");
        CHECK(judged.target.find(">= 3x 14 async_await.py") != std::string::npos);
        CHECK(judged.target_status == (met ? "met" : "missed"));
    }
}

namespace {

// A GIL row: a Python peer of chapter 01, 03 or 04 under `interpreter`, in `counter`'s column.
SlowRow gil_row(int chapter, const std::string& interpreter, SlowCounter counter, double per_second) {
    SlowRow row;
    row.chapter = chapter;
    row.python = true;
    row.gil = true;
    row.interpreter = interpreter;
    row.implementation = interpreter + (interpreter == "PyPy" ? " 7.3.11" : " 3.11.2");
    row.slug = chapter == 1 ? "serial.py" : chapter == 3 ? "pools.py" : "threads.py";
    row.batch = chapter == 3 || chapter == 4 ? 4096 : 0;
    row.label = "0" + std::to_string(chapter) + " " + row.slug + " (" + interpreter + ")";
    row.rule = chapter == 1 ? BoundRule::one_at_a_time : BoundRule::busiest_class;
    row.workers = chapter == 1 ? 1 : 3;
    row.counter = counter;
    row.busiest_share = 0.4;
    row.events = static_cast<std::uint64_t>(per_second);
    row.seconds = 1;
    row.load = 0.5;
    return row;
}

// The C++ row a GIL row stands beside: chapter 01, or 03 and 04 at --batch 4096.
SlowRow cpp_row(int chapter, SlowCounter counter, double per_second) {
    SlowRow row = gil_row(chapter, "", counter, per_second);
    row.python = false;
    row.gil = false;
    row.interpreter.clear();
    row.implementation = "C++";
    row.slug = chapter == 1 ? "01_serial" : chapter == 3 ? "03_pools" : "04_threads";
    row.batch = chapter == 1 ? 0 : 4096;
    row.label = row.slug + (row.batch ? " --batch 4096" : "");
    return row;
}

const SlowCounter work10{workbook::CounterKind::local, 0, 10000};
const SlowCounter wait10ms{workbook::CounterKind::service, 10000, 0};

const SlowRow& gil_row_of(const SlowResults& results, int chapter, const std::string& interpreter, const SlowCounter& counter) {
    for (const SlowRow& row : results.rows)
        if (row.gil && row.chapter == chapter && row.interpreter == interpreter && row.counter.label() == counter.label()) return row;
    throw std::logic_error("no such GIL row");
}

const GilLine& gil_line_of(const SlowResults& results, const std::string& interpreter, const SlowCounter& counter) {
    for (const GilLine& line : results.gil)
        if (line.interpreter == interpreter && line.counter.label() == counter.label()) return line;
    throw std::logic_error("no such GIL line");
}

}  // namespace

TEST_CASE("the GIL's summary: per column and interpreter, threads and processes beside its own 01 and the C++ rows") {
    SlowResults results;
    results.machine.cores = 2;
    results.rows = {cpp_row(1, work10, 90000),         cpp_row(3, work10, 120000),         cpp_row(4, work10, 180000),
                    gil_row(1, "CPython", work10, 40000), gil_row(3, "CPython", work10, 64000), gil_row(4, "CPython", work10, 38000),
                    gil_row(1, "PyPy", work10, 80000),    gil_row(4, "PyPy", work10, 84000),
                    cpp_row(1, wait10ms, 95),             cpp_row(4, wait10ms, 230),
                    gil_row(1, "CPython", wait10ms, 90),  gil_row(4, "CPython", wait10ms, 200)};
    evaluate_slow(results);
    REQUIRE(results.gil.size() == 3);  // work 10 us under CPython and PyPy, wait 10 ms under CPython

    const GilLine& cpython = gil_line_of(results, "CPython", work10);
    CHECK(cpython.implementation == "CPython 3.11.2");
    CHECK(cpython.threads_to_serial == doctest::Approx(38000.0 / 40000));
    CHECK(cpython.processes_to_serial == doctest::Approx(64000.0 / 40000));
    CHECK(cpython.threads_to_cpp == doctest::Approx(38000.0 / 180000));
    CHECK(cpython.cpp_threads_to_serial == doctest::Approx(2.0));
    CHECK(cpython.targets == std::vector<std::string>{"04 within 1.25x of its 01: met", "03 >= 1.3x its 01: met"});
    CHECK(cpython.text().rfind("GIL: work 10 us, CPython 3.11.2: threads (04) 0.95x its 01, processes (03) 1.6x its 01", 0) == 0);

    // PyPy has a GIL too: its rows stand beside its own 01, with no target of their own.
    const GilLine& pypy = gil_line_of(results, "PyPy", work10);
    CHECK(pypy.threads_to_serial == doctest::Approx(84000.0 / 80000));
    CHECK(std::isnan(pypy.processes_to_serial));  // no 03 row under PyPy
    CHECK(pypy.targets.empty());
    CHECK(pypy.text().find("processes (03) - its 01") != std::string::npos);
    CHECK(gil_row_of(results, 4, "PyPy", work10).target.empty());

    const GilLine& waits = gil_line_of(results, "CPython", wait10ms);
    CHECK(waits.threads_to_cpp == doctest::Approx(200.0 / 230));
    CHECK(waits.threads_to_serial == doctest::Approx(200.0 / 90));
    CHECK(waits.targets == std::vector<std::string>{"04 within 1.5x of C++ 04: met"});
    CHECK(gil_row_of(results, 4, "CPython", wait10ms).target.find("04_threads --batch 4096") != std::string::npos);

    // The C++ rows' own targets are untouched by the Python rows beside them.
    for (const SlowRow& row : results.rows) {
        if (row.python) continue;
        if (row.chapter == 4 && row.counter.label() == "work 10 us") CHECK(row.target == ">= 1.5x 01");
    }
}

TEST_CASE("the GIL's targets are missed when CPython's threads gain, its processes do not, or its threads fall behind C++'s waits") {
    struct Case {
        double threads, processes, threads_at_wait;  // rates; CPython 01 at 40,000, C++ 04 at wait 10 ms at 230
        const char* threads_status;
        const char* processes_status;
        const char* wait_status;
    };
    for (const Case& c : {Case{49999, 52001, 154, "met", "met", "met"},            // within 1.25x, >= 1.3x, within 1.5x
                          Case{50001, 51999, 153, "missed", "missed", "missed"},   // just past each
                          Case{31999, 80000, 346, "missed", "met", "missed"},      // below its 01 / 1.25, above C++ x 1.5
                          Case{32001, 80000, 344, "met", "met", "met"}}) {
        CAPTURE(c.threads);
        CAPTURE(c.processes);
        CAPTURE(c.threads_at_wait);
        SlowResults results;
        results.machine.cores = 2;
        results.rows = {gil_row(1, "CPython", work10, 40000), gil_row(3, "CPython", work10, c.processes),
                        gil_row(4, "CPython", work10, c.threads), cpp_row(4, wait10ms, 230),
                        gil_row(4, "CPython", wait10ms, c.threads_at_wait)};
        evaluate_slow(results);
        CHECK(gil_row_of(results, 4, "CPython", work10).target_status == c.threads_status);
        CHECK(gil_row_of(results, 3, "CPython", work10).target_status == c.processes_status);
        CHECK(gil_row_of(results, 4, "CPython", wait10ms).target_status == c.wait_status);
    }
}

TEST_CASE("a GIL target missed on a busy machine says how busy; with one core, processes have no target") {
    SlowResults results;
    results.machine.cores = 2;
    SlowRow threads = gil_row(4, "CPython", work10, 60000);
    threads.load = 3.5;
    results.rows = {gil_row(1, "CPython", work10, 40000), threads};
    evaluate_slow(results);
    CHECK(gil_row_of(results, 4, "CPython", work10).target_status == "missed (load average 3.5 on 2 cores)");
    CHECK(gil_line_of(results, "CPython", work10).targets ==
          std::vector<std::string>{"04 within 1.25x of its 01: missed (load average 3.5 on 2 cores)"});

    SlowResults one_core;
    one_core.machine.cores = 1;
    one_core.rows = {gil_row(1, "CPython", work10, 40000), gil_row(3, "CPython", work10, 30000)};
    evaluate_slow(one_core);
    CHECK(gil_row_of(one_core, 3, "CPython", work10).target.empty());
    CHECK(gil_line_of(one_core, "CPython", work10).targets.empty());
}
