// `workbook bench` run as a learner runs it, on a small book with --quick: what it prints, the files
// it writes, how it refuses bad input. Timings are never asserted; only that they are reported.
#include "workbook/support/run_program.hpp"
#include "workbook/book.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using workbook::support::run_program;
namespace fs = std::filesystem;

namespace {

const std::string bench = WORKBOOK_BENCH_PROGRAM;

// A scratch folder holding a 20,000-byte prefix of the default book, removed afterwards.
struct Scratch {
    fs::path dir;
    fs::path book;
    Scratch() {
        dir = fs::temp_directory_path() / ("workbook-bench-test-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        book = dir / "book.txt";
        auto bytes = workbook::Book::default_book(20'000);
        std::ofstream(book, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.events().data()), static_cast<std::streamsize>(bytes.size()));
    }
    ~Scratch() { fs::remove_all(dir); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};

std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> fields_of(const std::string& line) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (char c : line) {
        if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) fields.emplace_back();
        else fields.back() += c;
    }
    return fields;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
    auto at = std::find(header.begin(), header.end(), name);
    REQUIRE_MESSAGE(at != header.end(), "no column " << name);
    return static_cast<std::size_t>(at - header.begin());
}

bool have_gnuplot() {
    return run_program("/bin/sh", {"-c", "command -v gnuplot"}).status == 0;
}

}  // namespace

TEST_CASE("a quick bench of chapter 01 prints the table and writes one CSV row per measured row") {
    Scratch scratch;
    auto run = run_program(bench, {"--quick", "--chapters", "1", "--book", scratch.book.string(), "--no-micro",
                                   "--no-chart", "--out", scratch.dir.string()});
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.find("Weightless bench (--quick)") != std::string::npos);
    CHECK(run.out.find("\nfloor ") != std::string::npos);
    CHECK(run.out.find("\n01_serial ") != std::string::npos);
    CHECK(run.out.find("\ntargets: ") != std::string::npos);

    auto csv = lines_of(read(scratch.dir / "bench.csv"));
    REQUIRE(csv.size() == 3);  // the header, the floor, chapter 01
    auto header = fields_of(csv[0]);
    auto floor = fields_of(csv[1]);
    auto serial = fields_of(csv[2]);
    CHECK(floor[column(header, "label")] == "floor");
    CHECK(serial[column(header, "chapter")] == "1");
    CHECK(serial[column(header, "mechanism")] == "indirect call (std::function)");
    CHECK(serial[column(header, "events")] == "20000");
    CHECK(serial[column(header, "prefix")] == "false");
    CHECK(serial[column(header, "ratio_to_01")] == "1");
    CHECK(std::stoi(serial[column(header, "runs")]) >= 3);
    CHECK(std::stod(serial[column(header, "ns_per_event")]) > 0);
    CHECK(std::stod(serial[column(header, "ns_per_event_min")]) <= std::stod(serial[column(header, "ns_per_event")]));
    CHECK(serial[column(header, "error")].empty());

    auto json = nlohmann::json::parse(read(scratch.dir / "bench.json"));
    CHECK(json["quick"] == true);
    CHECK(json["machine"]["cores"].get<unsigned>() >= 1);
    CHECK(json["book"]["name"] == scratch.book.string());
    CHECK(json["book"]["events"] == 20000);
    REQUIRE(json["rows"].size() == 2);
    CHECK(json["rows"][0]["label"] == "floor");
    const auto& row = json["rows"][1];
    CHECK(row["label"] == "01_serial");
    CHECK(row["events"] == 20000);
    CHECK(row["prefix"] == false);
    CHECK(row["ratio_to_01"] == 1.0);
    CHECK(row["run_seconds"].size() == row["runs"].get<std::size_t>());
    CHECK(row["ns_per_event"].get<double>() > 0);
    CHECK(row["cpp_over_python"].is_null());  // not measured: no --python
    CHECK(row["error"] == "");
    CHECK(json["primitives"].empty());  // --no-micro
}

TEST_CASE("the bench records the load average at the start and at the end of its run") {
    Scratch scratch;
    auto run = run_program(bench, {"--quick", "--chapters", "1", "--book", scratch.book.string(), "--no-micro",
                                   "--no-chart", "--out", scratch.dir.string()});
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.find("; load average ") != std::string::npos);
    auto json = nlohmann::json::parse(read(scratch.dir / "bench.json"));
    REQUIRE(json["machine"]["load_before"].is_number());
    REQUIRE(json["machine"]["load_after"].is_number());
    auto csv = lines_of(read(scratch.dir / "bench.csv"));
    REQUIRE(csv.size() == 3);
    auto header = fields_of(csv[0]);
    for (std::size_t i = 1; i < csv.size(); ++i) {
        auto row = fields_of(csv[i]);
        REQUIRE(row.size() == header.size());
        CHECK(std::stod(row[column(header, "load_before")]) == doctest::Approx(json["machine"]["load_before"].get<double>()).epsilon(0.01));
        CHECK(std::stod(row[column(header, "load_after")]) == doctest::Approx(json["machine"]["load_after"].get<double>()).epsilon(0.01));
    }
}

#ifdef WORKBOOK_MICROBENCH_PROGRAM
TEST_CASE("with the microbenchmarks the bench reports the library against its floors, measured in the same run") {
    Scratch scratch;
    auto run = run_program(bench, {"--quick", "--chapters", "9", "--book", scratch.book.string(), "--no-chart",
                                   "--out", scratch.dir.string()});
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.find("\nAgainst the floors") != std::string::npos);
    auto json = nlohmann::json::parse(read(scratch.dir / "bench.json"));
    auto primitive = [&](const std::string& name) {
        for (const auto& p : json["primitives"]) {
            if (p["name"] == name) return p;
        }
        FAIL("no primitive " << name);
        return nlohmann::json();
    };
    for (const char* floor : {"raw_resume", "raw_coroutine_dispatch", "fiber_exception_state_round_trip"}) {
        CHECK(primitive(floor)["ns_per_operation"].get<double>() > 0);
    }
    auto send = primitive("generator_send");
    CHECK(send["baseline"] == "raw_resume");
    CHECK(send["ratio_to_baseline"].get<double>() == doctest::Approx(send["ns_per_operation"].get<double>() /
                                                                    primitive("raw_resume")["ns_per_operation"].get<double>()));
    CHECK(send["target"] == "<= 1.5x raw_resume");
    CHECK((send["target_status"] == "met" || send["target_status"] == "missed"));
    auto greenlet = primitive("greenlet_round_trip");
    CHECK(greenlet["baseline"] == "fiber_exception_state_round_trip");
    CHECK(greenlet["target"] == "<= 1.5x fiber_exception_state_round_trip");
    const nlohmann::json* weightless = nullptr;
    for (const auto& row : json["rows"]) {
        if (row["label"] == "09_weightless") weightless = &row;
    }
    REQUIRE(weightless != nullptr);
    CHECK((*weightless)["baseline"] == "raw_coroutine_dispatch");
    CHECK((*weightless)["target"] == "<= 1.15x raw_coroutine_dispatch");
    CHECK((*weightless)["ratio_to_baseline"].get<double>() ==
          doctest::Approx((*weightless)["ns_per_event"].get<double>() /
                          primitive("raw_coroutine_dispatch")["ns_per_operation"].get<double>()));
}
#endif

TEST_CASE("progress goes to stderr, one line per row") {
    Scratch scratch;
    auto run = run_program(bench, {"--quick", "--chapters", "1", "--book", scratch.book.string(), "--no-micro",
                                   "--no-chart", "--out", scratch.dir.string()});
    REQUIRE(run.status == 0);
    CHECK(run.err.find("bench: [1/2] floor: ") != std::string::npos);
    CHECK(run.err.find("bench: [2/2] 01_serial: ") != std::string::npos);
    CHECK(run.out.find("bench: ") == std::string::npos);
}

TEST_CASE("a row counted on a prefix is marked as such in the table and the CSV") {
    Scratch scratch;
    auto run = run_program(bench, {"--quick", "--chapters", "1", "--book", scratch.book.string(), "--limit", "5000",
                                   "--no-micro", "--no-chart", "--out", scratch.dir.string()});
    REQUIRE(run.status == 0);
    CHECK(run.out.find("5000 prefix") != std::string::npos);
    CHECK(run.out.find("01_serial (--limit)") != std::string::npos);
    auto csv = lines_of(read(scratch.dir / "bench.csv"));
    REQUIRE(csv.size() == 3);
    auto header = fields_of(csv[0]);
    auto serial = fields_of(csv[2]);
    CHECK(serial[column(header, "events")] == "5000");
    CHECK(serial[column(header, "book_events")] == "20000");
    CHECK(serial[column(header, "prefix")] == "true");
    CHECK(serial[column(header, "prefix_reason")] == "--limit");
}

TEST_CASE("the chart is an SVG drawn by gnuplot" * doctest::skip(!have_gnuplot())) {
    Scratch scratch;
    auto run = run_program(bench, {"--quick", "--chapters", "1", "--book", scratch.book.string(), "--no-micro",
                                   "--out", scratch.dir.string()});
    INFO(run.err);
    REQUIRE(run.status == 0);
    std::string svg = read(scratch.dir / "chart.svg");
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find("01 serial") != std::string::npos);
    CHECK(read(scratch.dir / "chart.gp").find("set logscale y") != std::string::npos);
}

TEST_CASE("bad options, unknown chapters and missing books are one line on stderr, exit status 2, no output") {
    Scratch scratch;
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    std::vector<Case> cases = {
        {{"--frobnicate"}, "workbook bench: not expected: --frobnicate; usage: workbook bench [--quick] "},
        {{"--chapters", "1,x"}, "workbook bench: --chapters: x is not a chapter here (chapters: 1,2,"},
        {{"--chapters", "99"}, "workbook bench: --chapters: 99 is not a chapter here (chapters: 1,2,"},
        {{"--limit", "0"}, "workbook bench: --limit: 0 is not a whole number of at least 1; usage: "},
        {{"--quick=yes"}, "workbook bench: --quick: takes no value, got 'yes'; usage: "},
        {{"--book", "/no/such/file"}, "workbook bench: cannot read book '/no/such/file': No such file or directory"},
    };
    for (auto& test : cases) {
        test.args.insert(test.args.end(), {"--no-chart", "--out", scratch.dir.string()});
        INFO(test.args[0]);
        auto run = run_program(bench, test.args);
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err.rfind(test.message, 0) == 0);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    }
    CHECK_FALSE(fs::exists(scratch.dir / "bench.csv"));
}

TEST_CASE("--help describes every option and exits 0") {
    auto run = run_program(bench, {"--help"});
    CHECK(run.status == 0);
    for (const char* option : {"--quick", "--slow", "--chapters", "--book", "--limit", "--python", "--no-micro", "--no-chart",
                               "--out"}) {
        CHECK(run.out.find(option) != std::string::npos);
    }
}

namespace {

// A quick --slow pass of chapter 01 and 02 on a 200-event prefix: every mechanism of those
// chapters against every slow counter, with a private counter service and redis-server.
struct SlowPass {
    Scratch scratch;
    workbook::support::ProgramRun run;
    SlowPass(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--slow", "--quick", "--chapters", "1,2", "--limit", "200", "--book",
                                      scratch.book.string(), "--out", scratch.dir.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        run = run_program(bench, args);
    }
};

bool have_redis() {
    return run_program("/bin/sh", {"-c", "command -v redis-server && command -v redis-benchmark"}).status == 0;
}

}  // namespace

TEST_CASE("bench --slow --quick writes a row per mechanism and counter, each counted and checked, with its bound" *
          doctest::skip(!have_redis())) {
    SlowPass pass({"--no-chart"});
    INFO(pass.run.err);
    REQUIRE(pass.run.status == 0);
    CHECK(pass.run.out.find("Weightless bench --slow --quick") != std::string::npos);
    CHECK(pass.run.out.find("\nevents per second\n") != std::string::npos);
    CHECK(pass.run.out.find("Redis's own ceiling: ") != std::string::npos);

    auto csv = lines_of(read(pass.scratch.dir / "slow.csv"));
    // Chapter 01 once, chapter 02 with --in-flight 1 and 64; against 5 waits, 2 works and Redis.
    REQUIRE(csv.size() == 1 + 3 * 8);
    auto header = fields_of(csv[0]);
    for (const char* name : {"label", "counter", "kind", "wait_us", "work_ns", "events", "seconds", "events_per_second",
                             "bound", "bound_how", "ratio_to_bound", "load", "target", "target_status", "error"}) {
        column(header, name);
    }
    std::vector<std::string> labels, counters;
    for (std::size_t i = 1; i < csv.size(); ++i) {
        auto row = fields_of(csv[i]);
        REQUIRE(row.size() == header.size());
        INFO(csv[i]);
        CHECK(row[column(header, "error")].empty());  // counted, and agreed with the reference and the server
        auto events = std::stoull(row[column(header, "events")]);
        CHECK(events >= 1);
        CHECK(events <= 200);  // --limit caps the prefix
        CHECK(std::stod(row[column(header, "events_per_second")]) > 0);
        if (std::find(labels.begin(), labels.end(), row[column(header, "label")]) == labels.end()) {
            labels.push_back(row[column(header, "label")]);
        }
        if (std::find(counters.begin(), counters.end(), row[column(header, "counter")]) == counters.end()) {
            counters.push_back(row[column(header, "counter")]);
        }
        const std::string counter = row[column(header, "counter")];
        const std::string label = row[column(header, "label")];
        // Serial at wait 0 has no bound: nothing slows its calls but their own cost.
        if (label == "01_serial" && counter == "wait 0 us") CHECK(row[column(header, "bound")].empty());
        if (label == "01_serial" && counter == "wait 1000 us") {
            CHECK(std::stod(row[column(header, "bound")]) == doctest::Approx(1000));
            CHECK(row[column(header, "bound_how")] == "1/wait");
            CHECK(row[column(header, "target")] == ">= 80% of 1/wait");
            CHECK(row[column(header, "target_status")].rfind("m", 0) == 0);  // met, or missed
        }
        if (label == "01_serial" && counter == "work 10 us") {
            CHECK(std::stod(row[column(header, "bound")]) == doctest::Approx(100000));
        }
        if (label == "02_processes --in-flight 64" && counter == "wait 10000 us") {
            CHECK(row[column(header, "target")] == ">= 80% of its bound and >= 10x 01");
        }
    }
    CHECK(labels == std::vector<std::string>{"01_serial", "02_processes", "02_processes --in-flight 64"});
    CHECK(counters == std::vector<std::string>{"wait 0 us", "wait 10 us", "wait 100 us", "wait 1000 us",
                                               "wait 10000 us", "work 1 us", "work 10 us", "redis"});

    auto json = nlohmann::json::parse(read(pass.scratch.dir / "slow.json"));
    CHECK(json["quick"] == true);
    CHECK(json["machine"]["load_before"].is_number());
    CHECK(json["redis_ceiling"].get<double>() > 0);
    REQUIRE(json["rows"].size() == 24);
    for (const auto& row : json["rows"]) {
        CHECK(row["events_per_second"].get<double>() ==
              doctest::Approx(row["events"].get<double>() / row["seconds"].get<double>()));
        if (row["bound"].is_number()) {
            CHECK(row["ratio_to_bound"].get<double>() ==
                  doctest::Approx(row["events_per_second"].get<double>() / row["bound"].get<double>()));
        }
        // Redis's rows are bounded by the server's own ceiling, measured in the same run.
        if (row["kind"] == "redis") CHECK(row["bound"] == json["redis_ceiling"]);
    }
    CHECK_FALSE(fs::exists(pass.scratch.dir / "bench.csv"));  // --slow writes its own files only
}

TEST_CASE("bench --slow draws the crossover chart: log-log, a line per mechanism, wait 0 labelled at the left edge" *
          doctest::skip(!have_redis() || !have_gnuplot())) {
    SlowPass pass;
    INFO(pass.run.err);
    REQUIRE(pass.run.status == 0);
    std::string svg = read(pass.scratch.dir / "slow.svg");
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find("02_processes --in-flight 64") != std::string::npos);
    std::string script = read(pass.scratch.dir / "slow.gp");
    CHECK(script.find("set logscale xy") != std::string::npos);
    CHECK(script.find("('0' 1,") != std::string::npos);
    CHECK(script.find("dt 2") != std::string::npos);  // the bounds, dashed
    // Wait 0 is drawn at x = 1, the axis' left edge; the other waits where they are.
    auto data = lines_of(read(pass.scratch.dir / "slow.dat"));
    CHECK(std::count_if(data.begin(), data.end(), [](const std::string& line) { return line.rfind("1 ", 0) == 0; }) == 3);
    CHECK(std::count_if(data.begin(), data.end(), [](const std::string& line) { return line.rfind("10000 ", 0) == 0; }) == 3);
}

// Whether an interpreter the bench looks at (python3, then /usr/bin/python3) imports gevent and redis-py.
bool have_gevent() {
    for (const char* python : {"python3", "/usr/bin/python3"}) {
        if (run_program(python, {"-c", "import gevent, redis"}).status == 0) return true;
    }
    return false;
}

TEST_CASE("bench --slow --python runs chapter 12's gevent peer against the same servers, beside and judging the C++ rows" *
          doctest::skip(!have_redis() || !have_gevent())) {
    Scratch scratch;
    auto run = run_program(bench, {"--slow", "--quick", "--python", "--chapters", "12", "--limit", "200", "--no-chart",
                                   "--book", scratch.book.string(), "--out", scratch.dir.string()});
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.find("the counter service's own ceiling at wait 0: ") != std::string::npos);
    CHECK(run.out.find("python: 12 event_loop.py ran on CPython ") != std::string::npos);
    auto json = nlohmann::json::parse(read(scratch.dir / "slow.json"));
    CHECK(json["service_ceiling"].get<double>() > 0);
    std::vector<std::string> peer_columns;
    bool judged_at_0 = false, judged_at_10ms = false;
    for (const auto& row : json["rows"]) {
        INFO(row.dump());
        CHECK(row["error"] == "");
        CHECK(row["server_bound"].is_boolean());
        // Server-bound means near the ceiling of the server measured in the same run.
        if (row["kind"] == "service" && row["wait_us"] == 0) {
            CHECK(row["server_bound"] == (row["events_per_second"].get<double>() >= 0.8 * json["service_ceiling"].get<double>()));
        }
        if (row["label"] == "12 event_loop.py") {
            peer_columns.push_back(row["counter"]);
            CHECK(row["implementation"].get<std::string>().rfind("CPython ", 0) == 0);
            CHECK(row["in_flight"] == 100);
            CHECK(row["events"].get<std::uint64_t>() <= 200);
        }
        if (row["label"] == "12_event_loop" && row["counter"] == "wait 0 us") {
            judged_at_0 = row["target"].get<std::string>().rfind(">= 3x 12 event_loop.py (CPython ", 0) == 0;
            CHECK(row["target_status"].get<std::string>().rfind("m", 0) == 0);  // met, or missed
        }
        if (row["label"] == "12_event_loop" && row["counter"] == "wait 10000 us") {
            judged_at_10ms = row["target"].get<std::string>().rfind("within 1.5x of 12 event_loop.py (", 0) == 0;
        }
    }
    CHECK(peer_columns == std::vector<std::string>{"wait 0 us", "wait 10000 us", "redis"});
    CHECK(judged_at_0);
    CHECK(judged_at_10ms);
}

// Whether an interpreter the bench looks at imports redis-py, the GIL rows' way to the servers.
bool have_redis_py(std::vector<const char*> pythons) {
    for (const char* python : pythons) {
        if (run_program("/bin/sh", {"-c", std::string("command -v ") + python}).status == 0 &&
            run_program(python, {"-c", "import redis"}).status == 0) {
            return true;
        }
    }
    return false;
}

TEST_CASE("bench --slow --python runs the GIL's rows: chapters 01 and 04's peers under CPython (and PyPy), at work and at waits" *
          doctest::skip(!have_redis() || !have_redis_py({"python3", "/usr/bin/python3"}))) {
    Scratch scratch;
    auto run = run_program(bench, {"--slow", "--quick", "--python", "--chapters", "4", "--limit", "20", "--no-chart",
                                   "--book", scratch.book.string(), "--out", scratch.dir.string()});
    INFO(run.err);
    REQUIRE(run.status == 0);
    auto json = nlohmann::json::parse(read(scratch.dir / "slow.json"));
    const std::vector<std::string> all{"wait 1000 us", "wait 10000 us", "work 1 us", "work 10 us"};
    std::map<std::string, std::vector<std::string>> columns;  // label: the columns it ran in
    std::map<std::string, double> rates;                       // label and column: events per second
    for (const auto& row : json["rows"]) {
        if (!row["gil"].get<bool>()) continue;
        INFO(row.dump());
        const std::string label = row["label"], interpreter = row["interpreter"];
        CHECK(row["error"] == "");  // counted, and agreed with the reference and the server
        CHECK(row["events"].get<std::uint64_t>() >= 1);
        CHECK(row["events"].get<std::uint64_t>() <= 20);
        CHECK(row["implementation"].get<std::string>().rfind(interpreter + " ", 0) == 0);  // "CPython 3.11.2"
        CHECK(label.size() > interpreter.size() + 3);
        CHECK(label.substr(label.size() - interpreter.size() - 3) == " (" + interpreter + ")");
        // Chapter 04's peer batches as the C++ row does.
        if (row["chapter"] == 4) CHECK(row["batch"] == 4096);
        columns[label].push_back(row["counter"]);
        rates[label + ", " + row["counter"].get<std::string>()] = row["events_per_second"].get<double>();
        if (label == "04 threads.py (CPython)" && row["counter"] == "work 10 us") {
            CHECK(row["target"].get<std::string>().rfind("within 1.25x of its 01 (01 serial.py (CPython), CPython ", 0) == 0);
            CHECK(row["target_status"].get<std::string>().rfind("m", 0) == 0);  // met, or missed
        }
    }
    CHECK(columns["01 serial.py (CPython)"] == all);
    CHECK(columns["04 threads.py (CPython)"] == all);
    const bool pypy = run_program("/bin/sh", {"-c", "command -v pypy3"}).status == 0;
    if (pypy) {
        // Without redis-py PyPy has the work columns only, and a note says why.
        const bool servers = have_redis_py({"pypy3"});
        const auto expected = servers ? all : std::vector<std::string>{"work 1 us", "work 10 us"};
        CHECK(columns["01 serial.py (PyPy)"] == expected);
        CHECK(columns["04 threads.py (PyPy)"] == expected);
        CHECK((run.out.find("note: --python: PyPy has no rows against the counter service") != std::string::npos) == !servers);
    }
    CHECK(columns.size() == (pypy ? 4u : 2u));
    bool summarised = false;
    for (const auto& line : json["gil"]) {
        INFO(line.dump());
        if (line["interpreter"] != "CPython" || line["counter"] != "work 10 us") continue;
        summarised = true;
        CHECK(line["threads_to_serial"].get<double>() ==
              doctest::Approx(rates["04 threads.py (CPython), work 10 us"] / rates["01 serial.py (CPython), work 10 us"]));
        CHECK(line["processes_to_serial"].is_null());  // chapter 03 was not asked for
        CHECK(run.out.find(line["text"].get<std::string>() + "\n") != std::string::npos);
        CHECK(line["text"].get<std::string>().rfind("GIL: work 10 us, CPython ", 0) == 0);
    }
    CHECK(summarised);
}

TEST_CASE("bench --waiters with options it does not take is one line on stderr, exit status 2, nothing written") {
    Scratch scratch;
    for (const char* other : {"--slow", "--python", "--quick"}) {
        INFO(other);
        auto run = run_program(bench, {"--waiters", other, "--no-chart", "--out", scratch.dir.string()});
        CHECK(run.status == 2);
        CHECK(run.out.empty());
        CHECK(lines_of(run.err).size() == 1);
        CHECK(run.err.find("--waiters") != std::string::npos);
        CHECK_FALSE(fs::exists(scratch.dir / "waiters.csv"));
    }
}

TEST_CASE("--help describes --waiters") {
    auto run = run_program(bench, {"--help"});
    CHECK(run.status == 0);
    CHECK(run.out.find("--waiters") != std::string::npos);
    CHECK(run.out.find("waiters.csv, waiters.json and waiters.svg") != std::string::npos);
}

TEST_CASE("workbook-thread-waiters makes one call per thread, counted by its service, and reports them as JSON") {
    auto run = run_program(WORKBOOK_THREAD_WAITERS_PROGRAM, {"--waiters", "5", "--wait", "0", "--json"});
    REQUIRE(run.status == 0);
    auto json = nlohmann::json::parse(run.out);
    CHECK(json.at("events") == 5);
    CHECK(json.at("waiters") == 5);
    CHECK(json.at("seconds").get<double>() >= 0);
    CHECK(run.err.empty());
}

TEST_CASE("workbook-thread-waiters refuses zero waiters: one line on stderr, exit status 2") {
    auto run = run_program(WORKBOOK_THREAD_WAITERS_PROGRAM, {"--waiters", "0"});
    CHECK(run.status == 2);
    CHECK(run.out.empty());
    CHECK(lines_of(run.err).size() == 1);
}

namespace {

bool on_path(const std::string& program) {
    return run_program("/bin/sh", {"-c", "command -v " + program}).status == 0;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
    return count;
}

}  // namespace

TEST_CASE("bench --talk prints ten runs of chapters 01 and 09 in the talk's form, beside the talk's figures, each counted as the reference count does") {
    Scratch scratch;
    auto run = run_program(bench, {"--talk", "--book", scratch.book.string(), "--out", (scratch.dir / "out").string()});
    INFO(run.out, run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.find("Ten runs in 44.092643 seconds\n") != std::string::npos);  // the talk's CPython
    CHECK(run.out.find("Ten runs in 5.116044 seconds\n") != std::string::npos);   // the talk's PyPy
    CHECK(run.out.find("The serial callout (chapter 01): Count letters with callout to counter object\n") !=
          std::string::npos);
    CHECK(run.out.find("The weightless dispatch (chapter 09): Count letters with weightless generator coroutines\n") !=
          std::string::npos);
    auto book = workbook::Book::open(scratch.book.string());
    auto counts = workbook::reference_count(book.events());
    const std::string counts_line = "  vowels=" + std::to_string(counts.vowels) + " consonants=" +
                                    std::to_string(counts.consonants) + " others=" + std::to_string(counts.others) + "\n";
    CHECK(occurrences(run.out, counts_line) == 2);  // every run is checked against it; one line per chapter
    std::size_t cpp_runs = 0, cpython_runs = 0, pypy_runs = 0;
    for (const auto& line : lines_of(run.out)) {
        if (line.find(" Ten runs in ") == std::string::npos || line.find("the talk, 2012") != std::string::npos) continue;
        CHECK(line.ends_with(" seconds"));
        cpp_runs += line.rfind("  C++ (", 0) == 0;
        cpython_runs += line.rfind("  CPython ", 0) == 0;
        pypy_runs += line.rfind("  PyPy ", 0) == 0;
    }
    CHECK(cpp_runs == 2);
    CHECK(cpython_runs == 2);  // python3 is a test prerequisite
    CHECK(pypy_runs == (on_path("pypy3") ? 2u : 0u));
    CHECK(run.out.find("  C++ : PyPy : CPython = 1 : ") != std::string::npos);
    CHECK(run.out.find("(the talk's PyPy : CPython = 1 : 8.6") != std::string::npos);
    CHECK(occurrences(run.out, "  target, C++ faster per event than CPython and PyPy: m") == 2);  // met or missed
    CHECK_FALSE(fs::exists(scratch.dir / "out" / "book.txt"));  // a --book file is read as it is
}

TEST_CASE("bench --talk with --slow, --waiters, --python, --quick, --limit or --chapters is one line on stderr, exit status 2") {
    for (std::vector<std::string> other : {std::vector<std::string>{"--slow"}, {"--waiters"}, {"--python"}, {"--quick"},
                                           {"--limit", "100"}, {"--chapters", "9"}}) {
        INFO(other[0]);
        other.insert(other.begin(), "--talk");
        auto run = run_program(bench, other);
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err.rfind("workbook bench: --talk ", 0) == 0);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    }
}

TEST_CASE("bench --python gives each peer a row per interpreter that can import what it imports, with its ratio to that interpreter's chapter 01") {
    Scratch scratch;
    auto run = run_program(bench, {"--python", "--quick", "--chapters", "11,12", "--limit", "2000", "--no-micro",
                                   "--no-chart", "--book", scratch.book.string(), "--out", scratch.dir.string()});
    INFO(run.out, run.err);
    REQUIRE(run.status == 0);
    auto json = nlohmann::json::parse(read(scratch.dir / "bench.json"));
    const bool pypy = on_path("pypy3");
    std::vector<std::string> python_rows;
    for (const auto& row : json["rows"]) {
        const std::string implementation = row["implementation"];
        if (implementation == "C++") continue;
        INFO(row["label"].get<std::string>(), " ", implementation);
        python_rows.push_back(std::to_string(row["chapter"].get<int>()) + " " + implementation.substr(0, implementation.find(' ')));
        CHECK(row["error"] == "");
        CHECK(row["ratio_to_01"].is_number());  // chapter 11's and 12's CPython (Debian's) beside chapter 01's
        CHECK(row["cpp_over_python"].is_number());
        CHECK((row["target_status"] == "met" || row["target_status"] == "missed"));
    }
    std::sort(python_rows.begin(), python_rows.end());
    std::vector<std::string> expected{"1 CPython", "11 CPython", "12 CPython"};
    if (pypy) expected = {"1 CPython", "1 PyPy", "11 CPython", "11 PyPy", "12 CPython"};
    CHECK(python_rows == expected);
    if (pypy) {
        // gevent is built for CPython only: chapter 12's peer says why it has no PyPy row.
        const auto notes = json["notes"].dump();
        CHECK(notes.find("12 event_loop.py has no pypy3 row: pypy3 cannot run it: ImportError: ") != std::string::npos);
    }
}
