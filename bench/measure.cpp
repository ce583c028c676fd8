// Measuring: the chapters in this process, the Python peers and the microbenchmarks as programs.
#include "bench.hpp"

#include "workbook/support/run_program.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <sys/utsname.h>
#include <tuple>
#include <unistd.h>

namespace workbook::bench {

double Row::median_seconds() const {
    if (run_seconds.empty()) return not_measured;
    std::vector<double> sorted = run_seconds;
    std::sort(sorted.begin(), sorted.end());
    std::size_t middle = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

double Row::min_seconds() const {
    return run_seconds.empty() ? not_measured : *std::min_element(run_seconds.begin(), run_seconds.end());
}

double Row::max_seconds() const {
    return run_seconds.empty() ? not_measured : *std::max_element(run_seconds.begin(), run_seconds.end());
}

std::string Row::label() const {
    std::string text = slug;
    if (python) text = (chapter < 10 ? "0" : "") + std::to_string(chapter) + " " + slug;
    if (!variant.empty() && !default_variant) text += " --variant " + variant;
    if (batch != 0) text += " --batch " + std::to_string(batch);
    return text;
}

namespace {

using Clock = std::chrono::steady_clock;

// 1,234,567 -> 1,200,000: a prefix chosen by the time budget reads as the round number it is.
std::uint64_t round_down(double events) {
    if (events < 10) return 10;
    double scale = std::pow(10.0, std::floor(std::log10(events)) - 1);
    return static_cast<std::uint64_t>(std::floor(events / scale) * scale);
}

int runs_for(double run_seconds, const Budget& budget) {
    double fit = budget.seconds_per_row / std::max(run_seconds, 1e-9);
    return static_cast<int>(std::clamp(fit, static_cast<double>(budget.min_runs), static_cast<double>(budget.max_runs)));
}

std::string describe(const LetterTypes& counts) {
    std::ostringstream text;
    text << counts;
    return text.str();
}

}  // namespace

namespace {

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.empty() ? "(no message)" : line;
}

// A Python peer's one JSON object (common/python/harness.py writes it).
nlohmann::json parse_json(const std::string& text, const std::string& program) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        throw std::runtime_error(program + " printed no JSON object (" + error.what() + "): " + first_line(text));
    }
}

}  // namespace

std::vector<Setting> settings_for(const Chapter& chapter) {
    std::vector<Setting> settings;
    std::string first = chapter.variants.empty() ? std::string() : std::string(chapter.variants.front().name);
    settings.push_back({first, 0, true});
    for (std::size_t i = 1; i < chapter.variants.size(); ++i) {
        settings.push_back({std::string(chapter.variants[i].name), 0, false});
    }
    if (chapter.takes_batch) settings.push_back({first, 4096, true});
    return settings;
}

namespace {

// Measures `count` on prefixes of `book` as the budget allows; `cap` is the most it may count.
template <typename Count>
void measure(Row& row, Count count, Events book, std::uint64_t cap, const Budget& budget) {
    auto timed = [&](Events events) {
        const LetterTypes expected = reference_count(events);
        auto start = Clock::now();
        LetterTypes counts = count(events);
        double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (counts != expected) {
            throw std::runtime_error("counted " + describe(counts) + " on " + std::to_string(events.size()) +
                                     " events, but the reference count is " + describe(expected));
        }
        return seconds;
    };
    // A probe on a short prefix tells the cost per event, so a slow mechanism counts a prefix the
    // budget allows instead of the whole book. It also warms up caches, pools and code.
    std::uint64_t probe_events = std::min<std::uint64_t>(cap, 65536);
    double probe = timed(book.first(probe_events));
    std::uint64_t events = cap;
    if (probe_events < cap) {
        // The budget is soft: a row that fits in twice the budget counts the whole of what it may,
        // since the probe's fixed costs (starting processes, threads) overstate the cost per event.
        double fits = budget.seconds_per_run * static_cast<double>(probe_events) / std::max(probe, 1e-9);
        if (2 * fits < static_cast<double>(cap)) {
            events = std::min(cap, round_down(fits));
            row.prefix_reason = "time budget";
        }
    }
    row.events = events;
    double warmup = events == probe_events ? probe : timed(book.first(events));
    int runs = runs_for(warmup, budget);
    for (int run = 0; run < runs; ++run) row.run_seconds.push_back(timed(book.first(events)));
}

}  // namespace

Row measure_chapter(const Chapter& chapter, const Setting& setting, Events book, const Budget& budget) {
    Row row;
    row.chapter = chapter.number;
    row.slug = chapter.slug;
    row.mechanism = chapter.mechanism;
    row.variant = setting.variant;
    row.batch = setting.batch;
    row.default_variant = setting.default_variant;
    row.book_events = book.size();
    std::uint64_t cap = book.size();
    // A chapter's default limit is for one message per event; a batch shares that cost out, so a
    // batched row is bounded by the time budget alone.
    if (chapter.default_limit != 0 && chapter.default_limit < cap && setting.batch == 0) {
        cap = chapter.default_limit;
        row.prefix_reason = "the chapter's default limit";
    }
    if (budget.limit != 0 && budget.limit < cap) {
        cap = budget.limit;
        row.prefix_reason = "--limit";
    }
    Settings settings;
    settings.batch = setting.batch;
    // The chapter's own default, as its program runs: the loop chapters keep N calls in flight.
    if (chapter.takes_in_flight) settings.in_flight = chapter.default_in_flight;
    try {
        const CountFunction count = chapter.count_for(setting.variant);
        if (count == nullptr) throw std::runtime_error("no variant '" + setting.variant + "'");
        measure(row, [&](Events events) { return count(events, settings); }, book, cap, budget);
    } catch (const std::exception& error) {
        row.error = error.what();
        row.run_seconds.clear();
    }
    return row;
}

Row measure_floor(Events book, const Budget& budget) {
    Row row;
    row.chapter = 0;
    row.slug = "floor";
    row.mechanism = "reference_count: table look-up, no dispatch";
    row.book_events = book.size();
    try {
        std::uint64_t cap = book.size();
        if (budget.limit != 0 && budget.limit < cap) {
            cap = budget.limit;
            row.prefix_reason = "--limit";
        }
        measure(row, [](Events events) { return reference_count(events); }, book, cap, budget);
    } catch (const std::exception& error) {
        row.error = error.what();
        row.run_seconds.clear();
    }
    return row;
}

std::string find_on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

std::vector<std::string> python_interpreters() {
    std::vector<std::string> found;
    for (const char* name : {"python3", "pypy3"}) {
        if (!find_on_path(name).empty()) found.emplace_back(name);
    }
    return found;
}

std::vector<PythonPeer> python_peers(const std::filesystem::path& source_dir) {
    std::vector<PythonPeer> peers;
    std::error_code error;
    for (const auto& folder : std::filesystem::directory_iterator(source_dir / "chapters", error)) {
        std::string name = folder.path().filename().string();
        if (!folder.is_directory() || name.size() < 3 || !std::isdigit(static_cast<unsigned char>(name[0])) ||
            !std::isdigit(static_cast<unsigned char>(name[1])) || name[2] != '_') {
            continue;
        }
        for (const auto& file : std::filesystem::directory_iterator(folder.path())) {
            if (file.path().extension() == ".py") peers.push_back({std::stoi(name.substr(0, 2)), file.path()});
        }
    }
    std::sort(peers.begin(), peers.end(), [](const PythonPeer& a, const PythonPeer& b) {
        return std::tie(a.chapter, a.path) < std::tie(b.chapter, b.path);
    });
    return peers;
}

std::string runnable_interpreter(const PythonPeer& peer, const std::string& interpreter, std::string* why) {
    // Tried once per peer and interpreter: the bench asks again for each row.
    static std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> tried;
    auto& [found, failure] = tried[{peer.path.string(), interpreter}];
    if (found.empty() && failure.empty()) {
        std::vector<std::string> candidates{interpreter};
        if (interpreter == "python3") candidates.emplace_back("/usr/bin/python3");  // Debian's, with its packages
        for (const auto& candidate : candidates) {
            // Importing is not enough: Debian's pypy3 imports gevent's Python part from CPython's
            // packages, then fails on its C part. Counting an empty book proves the whole peer runs.
            support::ProgramRun run =
                support::run_program(candidate, {peer.path.string(), "--book", "/dev/null", "--runs", "1", "--json"});
            if (run.status == 0) {
                found = candidate;
                break;
            }
            if (failure.empty()) {
                // The last line says what is missing: "ImportError: cannot import name '_corecffi' ...".
                std::string err = run.err;
                while (!err.empty() && err.back() == '\n') err.pop_back();
                failure = candidate + " cannot run it: " + err.substr(err.rfind('\n') + 1);
            }
        }
    }
    if (found.empty() && why != nullptr) *why = failure;
    return found;
}

std::string interpreter_for(const PythonPeer& peer, const std::string& interpreter) {
    std::string found = runnable_interpreter(peer, interpreter);
    return found.empty() ? interpreter : found;  // its run fails, and the row says why
}

std::string server_interpreter_for(const PythonPeer& peer, const std::string& interpreter) {
    std::vector<std::string> candidates{interpreter};
    if (interpreter == "python3") candidates.emplace_back("/usr/bin/python3");
    std::string first;
    for (const auto& candidate : candidates) {
        const std::string found = runnable_interpreter(peer, candidate);
        if (found.empty()) continue;
        if (first.empty()) first = found;
        if (support::run_program(found, {"-c", "import redis, hiredis"}).status == 0) return found;
    }
    return first.empty() ? interpreter : first;
}

Row measure_python(const PythonPeer& peer, const std::string& interpreter_asked, std::size_t batch,
                   const std::string& book_path, Events book, const Budget& budget, bool* takes_batch) {
    const std::string interpreter = interpreter_for(peer, interpreter_asked);
    Row row;
    row.chapter = peer.chapter;
    row.slug = peer.path.filename().string();
    row.python = true;
    row.batch = batch;
    row.implementation = interpreter;
    row.book_events = book.size();
    auto run = [&](std::uint64_t limit, int runs) {
        std::vector<std::string> args{interpreter, peer.path.string(), "--book", book_path, "--limit",
                                      std::to_string(limit), "--runs", std::to_string(runs), "--json"};
        if (batch != 0) args.insert(args.end(), {"--batch", std::to_string(batch)});
        support::ProgramRun result = support::run_program(args.front(), {args.begin() + 1, args.end()});
        if (result.status != 0) {
            throw std::runtime_error(interpreter + " " + row.slug + " exited with status " +
                                     std::to_string(result.status) + ": " + first_line(result.err));
        }
        return parse_json(result.out, interpreter + " " + row.slug);
    };
    try {
        std::uint64_t cap = book.size();
        if (budget.limit != 0 && budget.limit < cap) {
            cap = budget.limit;
            row.prefix_reason = "--limit";
        }
        // Probes tell the cost per event: 100 events first, so that even a process per event is
        // probed in a second or so, then ten times more or as many as a quarter of a run's budget
        // allows, until a probe takes a quarter of the budget (or counts 200,000 events). Each later
        // probe runs twice and keeps the faster run, so that PyPy's JIT has compiled the loop.
        std::uint64_t probe_events = std::min<std::uint64_t>(cap, 100);
        nlohmann::json probe = run(probe_events, 1);
        double probe_seconds = probe.at("run_seconds").at(0).get<double>();
        std::uint64_t previous_events = 0;
        double previous_seconds = 0;
        const std::uint64_t probe_cap = std::min<std::uint64_t>(cap, 200'000);
        while (probe_events < probe_cap && probe_seconds < 0.25 * budget.python_seconds_per_run) {
            double per_event = probe_seconds / static_cast<double>(std::max<std::uint64_t>(probe_events, 1));
            previous_events = probe_events;
            previous_seconds = probe_seconds;
            probe_events = std::min(probe_cap, std::max(10 * probe_events,
                round_down(0.25 * budget.python_seconds_per_run / std::max(per_event, 1e-12))));
            probe = run(probe_events, 2);
            auto runs = probe.at("run_seconds").get<std::vector<double>>();
            if (runs.empty()) throw std::runtime_error(interpreter + " " + row.slug + " reported no run");
            probe_seconds = *std::min_element(runs.begin(), runs.end());
        }
        // Starting an interpreter's processes or threads is a fixed cost that the probes would
        // spread over too few events: the last two probes separate it from the cost per event.
        double fixed = 0;
        double per_event = probe_seconds / static_cast<double>(std::max<std::uint64_t>(probe_events, 1));
        if (previous_events != 0 && probe_seconds > previous_seconds) {
            per_event = (probe_seconds - previous_seconds) / static_cast<double>(probe_events - previous_events);
            fixed = std::max(0.0, previous_seconds - per_event * static_cast<double>(previous_events));
        }
        row.implementation = probe.at("interpreter").get<std::string>();
        row.mechanism = probe.at("mechanism").get<std::string>();
        if (takes_batch != nullptr) *takes_batch = probe.at("takes_batch").get<bool>();
        std::uint64_t events = cap;
        double fits = std::max(budget.python_seconds_per_run - fixed, 0.1 * budget.python_seconds_per_run) /
                      std::max(per_event, 1e-12);
        if (2 * fits < static_cast<double>(cap)) {
            events = std::min<std::uint64_t>(cap, round_down(fits));
            row.prefix_reason = "time budget";
        }
        row.events = events;
        // One process: a warm-up run, then the measured runs, as the C++ rows are measured.
        nlohmann::json output = run(events == book.size() ? 0 : events, budget.python_runs + 1);
        auto runs = output.at("run_seconds").get<std::vector<double>>();
        if (runs.size() < 2) throw std::runtime_error(interpreter + " " + row.slug + " reported no measured run");
        row.run_seconds.assign(runs.begin() + 1, runs.end());
        LetterTypes counts{output.at("vowels").get<std::uint64_t>(), output.at("consonants").get<std::uint64_t>(),
                           output.at("others").get<std::uint64_t>()};
        LetterTypes expected = reference_count(book.first(events));
        if (counts != expected) {
            throw std::runtime_error("counted " + describe(counts) + ", but the reference count is " +
                                     describe(expected));
        }
    } catch (const std::exception& error) {
        row.error = error.what();
        row.run_seconds.clear();
    }
    return row;
}

std::vector<Primitive> run_microbenchmarks(const std::string& program, const Budget& budget) {
    std::ostringstream min_time;
    min_time << budget.micro_min_time;
    // Several short repetitions, their median kept, as the chapters' rows keep the median of their
    // runs: the ratios between the two are then ratios of like figures.
    support::ProgramRun result =
        support::run_program(program, {"--benchmark_format=json", "--benchmark_min_time=" + min_time.str(),
                                       "--benchmark_repetitions=" + std::to_string(budget.micro_repetitions)});
    if (result.status != 0) {
        throw std::runtime_error(program + " exited with status " + std::to_string(result.status) + ": " +
                                 first_line(result.err));
    }
    nlohmann::json report = parse_json(result.out, program);
    std::vector<Primitive> primitives;
    for (const nlohmann::json& run : report.at("benchmarks")) {
        // The repetitions themselves; their _mean, _median, _stddev and _cv are "aggregate" runs.
        if (run.value("run_type", "iteration") != "iteration") continue;
        std::string name = run.at("name").get<std::string>();
        // "pipe_one_way/4096/real_time" -> "pipe_one_way/4096": the argument stays, the timer goes.
        if (auto at = name.rfind("/real_time"); at != std::string::npos) name.erase(at);
        auto same = std::find_if(primitives.begin(), primitives.end(), [&](const Primitive& p) { return p.name == name; });
        Primitive& primitive = same != primitives.end() ? *same : primitives.emplace_back();
        primitive.name = name;
        primitive.chapters = run.value("label", "");
        if (run.value("error_occurred", false)) {
            primitive.target_status = "failed: " + run.value("error_message", std::string("(no message)"));
        } else if (run.contains("items_per_second")) {
            primitive.samples.push_back(1e9 / run.at("items_per_second").get<double>());
        }
    }
    for (Primitive& primitive : primitives) {
        if (primitive.samples.empty()) continue;
        std::vector<double> sorted = primitive.samples;
        std::sort(sorted.begin(), sorted.end());
        std::size_t half = sorted.size() / 2;
        primitive.ns = sorted.size() % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }
    if (primitives.empty()) throw std::runtime_error(program + " reported no benchmark");
    return primitives;
}

double load_average() {
    double load[1];
    return ::getloadavg(load, 1) == 1 ? load[0] : not_measured;
}

Machine describe_machine() {
    Machine machine;
    std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    machine.date = date;
    machine.cores = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN));
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
            machine.cpu = line.substr(line.find(':') + 2);
            break;
        }
    }
    if (machine.cpu.empty()) machine.cpu = "unknown CPU";
#if defined(__clang__)
    machine.compiler = "clang++ " __clang_version__;
#elif defined(__GNUC__)
    machine.compiler = "g++ " __VERSION__;
#else
    machine.compiler = "unknown compiler";
#endif
    machine.compiler += " " WORKBOOK_BENCH_FLAGS;
    utsname name{};
    if (::uname(&name) == 0) machine.kernel = std::string(name.sysname) + " " + name.release;
    machine.load_before = load_average();
    return machine;
}

}  // namespace workbook::bench
