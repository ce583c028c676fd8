// `workbook bench` run as a learner runs it, on a small book with --quick: what it prints, the files
// it writes, how it refuses bad input. Timings are never asserted; only that they are reported.
#include "workbook/support/run_program.hpp"
#include "workbook/book.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
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
    for (const char* option : {"--quick", "--chapters", "--book", "--limit", "--python", "--no-micro", "--no-chart",
                               "--out"}) {
        CHECK(run.out.find(option) != std::string::npos);
    }
}
