// `workbook bench --talk`: the talk's own measurement. The talk times ten runs of the Complete Works
// by its serial callout, "Ten runs in 44.092643 seconds" on CPython and 5.116044 on PyPy; this mode
// times the same ten runs of the book it is given by chapter 01 and chapter 09 (the weightless
// dispatch, which the talk calls "even faster than the callout_test() version ... on CPython
// anyway"), in C++ and in their Python peers under CPython and PyPy, and prints them in the
// talk's form beside its 2012 figures.
#include "bench.hpp"

#include "workbook/registry.hpp"
#include "workbook/support/run_program.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>

namespace workbook::bench {

namespace {

constexpr int talk_runs = 10;
// The talk's figures for chapter 01's program, on the Complete Works, in 2012.
constexpr double talk_cpython_seconds = 44.092643;
constexpr double talk_pypy_seconds = 5.116044;
constexpr LetterTypes talk_counts{1439242, 2365799, 1785152};

// One "Ten runs in X seconds": who ran them, and what they counted.
struct TalkRun {
    std::string who;  // "C++ (g++ 12.2.0)", "CPython 3.11.7", "PyPy 7.3.11"
    bool python = false;
    bool pypy = false;
    double seconds = not_measured;
    LetterTypes counts;
    std::string error;  // empty = measured
};

std::string counts_text(const LetterTypes& counts) {
    return "vowels=" + std::to_string(counts.vowels) + " consonants=" + std::to_string(counts.consonants) +
           " others=" + std::to_string(counts.others);
}

// Ten runs in this process, timed together, as the runner times a chapter's runs.
TalkRun run_cpp(const Chapter& chapter, Events book, const std::string& compiler) {
    TalkRun run;
    run.who = "C++ (" + compiler + ")";
    try {
        const CountFunction count = chapter.count_for();
        Settings settings;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < talk_runs; ++i) {
            LetterTypes counts = count(book, settings);
            if (i == 0) run.counts = counts;
            else if (counts != run.counts) throw std::runtime_error("run " + std::to_string(i + 1) + " counted otherwise");
        }
        run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } catch (const std::exception& failure) {
        run.error = failure.what();
    }
    return run;
}

// Ten runs in one interpreter process: the peer's own "--runs 10", as the talk ran its program.
TalkRun run_python(const PythonPeer& peer, const std::string& interpreter_asked, const std::string& book_path) {
    TalkRun run;
    run.who = interpreter_asked;
    run.python = true;
    run.pypy = interpreter_asked == "pypy3";
    std::string why;
    const std::string interpreter = runnable_interpreter(peer, interpreter_asked, &why);
    if (interpreter.empty()) {
        run.error = why;
        return run;
    }
    support::ProgramRun result = support::run_program(
        interpreter, {peer.path.string(), "--book", book_path, "--runs", std::to_string(talk_runs), "--json"});
    if (result.status != 0) {
        run.error = interpreter + " " + peer.path.filename().string() + " exited with status " +
                    std::to_string(result.status) + ": " + result.err.substr(0, result.err.find('\n'));
        return run;
    }
    try {
        const nlohmann::json report = nlohmann::json::parse(result.out);
        run.who = report.at("interpreter").get<std::string>();
        run.seconds = report.at("seconds").get<double>();
        run.counts = {report.at("vowels").get<std::uint64_t>(), report.at("consonants").get<std::uint64_t>(),
                      report.at("others").get<std::uint64_t>()};
    } catch (const std::exception& failure) {
        run.error = interpreter + " " + peer.path.filename().string() + " printed no report: " + failure.what();
    }
    return run;
}

std::string ratio_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.2g" : "%.0f", value);
    return text;
}

void line(std::ostream& out, const std::string& who, double seconds) {
    char text[160];
    std::snprintf(text, sizeof text, "  %-32s Ten runs in %f seconds\n", (who + ":").c_str(), seconds);
    out << text;
}

const TalkRun* find(const std::vector<TalkRun>& runs, bool python, bool pypy) {
    for (const TalkRun& run : runs) {
        if (run.error.empty() && run.python == python && run.pypy == pypy) return &run;
    }
    return nullptr;
}

}  // namespace

int run_talk(const Book& book, const std::string& book_option, const std::filesystem::path& out, std::ostream& report) {
    const Machine machine = describe_machine();
    // The Python programs read the same bytes from a file.
    std::string book_path = book_option;
    if (book_path.empty() || book_path == "-") {
        book_path = (out / "book.txt").string();
        std::FILE* file = std::fopen(book_path.c_str(), "wb");
        bool written = file != nullptr && std::fwrite(book.events().data(), 1, book.size(), file) == book.size();
        if (file != nullptr) written = std::fclose(file) == 0 && written;
        if (!written) {
            std::cerr << "workbook bench: cannot write " << book_path << " for the Python programs\n";
            return 1;
        }
    }
    std::vector<std::string> interpreters{"python3"};
    if (!find_on_path("pypy3").empty()) interpreters.emplace_back("pypy3");
    const auto peers = python_peers(WORKBOOK_SOURCE_DIR);
    const LetterTypes expected = reference_count(book.events());

    report << "The talk's measurement: ten runs of " << book.name() << " (" << book.size() << " events), "
           << machine.date << "\n"
           << "machine: " << machine.cores << " cores, " << machine.cpu << ", " << machine.compiler
           << ", load average " << ratio_text(machine.load_before) << " at the start\n";
    bool all_measured = true;
    std::vector<std::pair<std::string, double>> serial_seconds, weightless_seconds;  // who, seconds
    for (int number : {1, 9}) {
        const Chapter* chapter = nullptr;
        for (const Chapter* each : registered_chapters()) {
            if (each->number == number) chapter = each;
        }
        if (chapter == nullptr) throw std::logic_error("no chapter " + std::to_string(number) + " registered");
        report << std::flush;
        std::cerr << "bench: ten runs of chapter " << number << " in C++ and in Python\n";
        std::vector<TalkRun> runs;
        for (const auto& peer : peers) {
            if (peer.chapter != number) continue;
            for (const auto& interpreter : interpreters) runs.push_back(run_python(peer, interpreter, book_path));
        }
        runs.push_back(run_cpp(*chapter, book.events(), machine.compiler.substr(0, machine.compiler.find(" -"))));

        report << "\n" << (number == 1 ? "The serial callout" : "The weightless dispatch") << " (chapter "
               << (number < 10 ? "0" : "") << number << "): " << chapter->title << "\n";
        report << "  " << counts_text(expected) << (expected == talk_counts ? ", the talk's counts" : "") << "\n";
        if (number == 1) {
            line(report, "the talk, 2012, CPython", talk_cpython_seconds);
            line(report, "the talk, 2012, PyPy", talk_pypy_seconds);
        }
        for (TalkRun& run : runs) {
            if (run.error.empty() && run.counts != expected) {
                run.error = run.who + " counted " + counts_text(run.counts) + ", the reference count differs";
            }
            if (!run.error.empty()) {
                report << "  " << run.who << ": not measured: " << run.error << "\n";
                // A peer PyPy cannot run is a note; a run that fails or miscounts is a failure.
                if (!(run.pypy && run.error.find("cannot run it") != std::string::npos)) all_measured = false;
                continue;
            }
            line(report, run.who, run.seconds);
            (number == 1 ? serial_seconds : weightless_seconds).emplace_back(run.who, run.seconds);
        }
        const TalkRun* cpp = find(runs, false, false);
        const TalkRun* cpython = find(runs, true, false);
        const TalkRun* pypy = find(runs, true, true);
        if (cpp != nullptr && number == 1) {
            report << "  C++ : PyPy : CPython = 1 : " << (pypy ? ratio_text(pypy->seconds / cpp->seconds) : "-")
                   << " : " << (cpython ? ratio_text(cpython->seconds / cpp->seconds) : "-")
                   << "   (the talk's PyPy : CPython = 1 : " << ratio_text(talk_cpython_seconds / talk_pypy_seconds);
            if (pypy && cpython) report << "; here 1 : " << ratio_text(cpython->seconds / pypy->seconds);
            report << ")\n";
        }
        if (cpp != nullptr) {
            // The same book and the same ten runs: faster in total is faster per event.
            const bool met = (cpython == nullptr || cpp->seconds < cpython->seconds) &&
                             (pypy == nullptr || cpp->seconds < pypy->seconds);
            report << "  target, C++ faster per event than CPython and PyPy: " << (met ? "met" : "missed")
                   << (pypy == nullptr ? " (PyPy not measured)" : "") << "\n";
        }
    }
    // The talk's claim for chapter 09: "even faster than the callout_test() version at the beginning
    // of the talk (on CPython anyway, PyPy makes calling cheap)".
    report << "\nThe weightless dispatch against the serial callout, time of chapter 09 / chapter 01:\n";
    for (const auto& [who, seconds] : weightless_seconds) {
        for (const auto& [other, serial] : serial_seconds) {
            if (other == who) report << "  " << who << ": " << ratio_text(seconds / serial) << "x\n";
        }
    }
    return all_measured ? 0 : 1;
}

}  // namespace workbook::bench
