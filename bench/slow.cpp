// `workbook bench --slow`: when each mechanism wins. Every mechanism runs against every slow
// counter: the counter service at several waits, CPU work per call, and a real Redis. Each row is a
// prefix sized so that its run takes about the budget's second; its rate stands beside the bound
// its mechanism can reach at best, so that the crossover (which mechanism wins at which wait) and
// how close each comes to its bound can be read off one table and one chart.
#include "bench.hpp"

#include "workbook/async_counter_client.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/support/run_program.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace workbook::bench {

std::string bound_rule_name(BoundRule rule) {
    switch (rule) {
        case BoundRule::one_at_a_time: return "one at a time";
        case BoundRule::busiest_class: return "a worker per class";
        case BoundRule::in_flight: return "in flight";
    }
    return "?";
}

std::string SlowMechanism::label(const Chapter& chapter) const {
    std::string text(chapter.slug);
    if (!variant.empty()) text += " --variant " + variant;
    if (batch != 0) text += " --batch " + std::to_string(batch);
    if (in_flight != (chapter.takes_in_flight ? chapter.default_in_flight : 1))
        text += " --in-flight " + std::to_string(in_flight);
    return text;
}

// The lines of the chart. A chapter not listed here gets one line, one call at a time, with its
// defaults: what every chapter from 05 on does, whatever its mechanism, since one thread makes the
// calls. Chapters 03 and 04 batch 4096 events to a message, so that messaging does not hide the
// wait or the work. Chapter 12's greenlets keep up to N calls in flight on one thread: N = 1, its
// default 100, and 1000. Chapter 13's Deferreds do so too: N = 1, 100 and 1000 inline, 100 in chains.
// Chapter 14's tasks too: N = 100 and 1000, on the workbook's loop and on standalone Asio.
std::vector<SlowMechanism> slow_mechanisms() {
    return {
        {1, "", 0, 1, BoundRule::one_at_a_time, 1},
        {2, "", 0, 1, BoundRule::in_flight, 1},
        {2, "", 0, 64, BoundRule::in_flight, 64},
        {3, "", 0, 1, BoundRule::busiest_class, 3},
        {3, "", 4096, 1, BoundRule::busiest_class, 3},
        {4, "", 4096, 1, BoundRule::busiest_class, 3},
        {12, "", 0, 1, BoundRule::in_flight, 1},
        {12, "", 0, 100, BoundRule::in_flight, 1},
        {12, "", 0, 1000, BoundRule::in_flight, 1},
        {13, "", 0, 1, BoundRule::in_flight, 1},
        {13, "", 0, 100, BoundRule::in_flight, 1},
        {13, "", 0, 1000, BoundRule::in_flight, 1},
        {13, "chain", 0, 100, BoundRule::in_flight, 1},
        {14, "", 0, 100, BoundRule::in_flight, 1},
        {14, "", 0, 1000, BoundRule::in_flight, 1},
        {14, "asio", 0, 100, BoundRule::in_flight, 1},
        {14, "asio", 0, 1000, BoundRule::in_flight, 1},
    };
}

std::string SlowCounter::label() const {
    switch (kind) {
        case CounterKind::service: return "wait " + std::to_string(wait_us) + " us";
        case CounterKind::redis: return "redis";
        case CounterKind::local: return "work " + std::to_string(work_ns / 1000) + " us";
    }
    return "?";
}

CounterSettings SlowCounter::settings() const {
    CounterSettings settings;
    settings.kind = kind;
    if (kind == CounterKind::service) settings.wait_us = wait_us;
    settings.work_ns = work_ns;
    return settings;
}

// The columns. Wait 0 comes first: the in-flight bounds need each mechanism's rate at wait 0.
std::vector<SlowCounter> slow_counters() {
    std::vector<SlowCounter> counters;
    for (std::int64_t wait : {0, 10, 100, 1000, 10000}) counters.push_back({CounterKind::service, wait, 0});
    for (std::int64_t work : {1000, 10000}) counters.push_back({CounterKind::local, 0, work});
    counters.push_back({CounterKind::redis, 0, 0});
    return counters;
}

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t round_down(double events) {
    if (events < 10) return static_cast<std::uint64_t>(std::max(events, 1.0));
    double scale = std::pow(10.0, std::floor(std::log10(events)) - 1);
    return static_cast<std::uint64_t>(std::floor(events / scale) * scale);
}

std::string describe(const LetterTypes& counts) {
    std::ostringstream text;
    text << counts;
    return text.str();
}

// One run on `events`, checked twice: against the reference count, and the server's totals
// against what the chapter counted.
double timed_run(CountFunction count, const Settings& settings, const CounterBackend& counters, Events events) {
    const LetterTypes expected = reference_count(events);
    counters.reset();
    auto start = Clock::now();
    LetterTypes counts = count(events, settings);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (counts != expected) {
        throw std::runtime_error("counted " + describe(counts) + " on " + std::to_string(events.size()) +
                                 " events, but the reference count is " + describe(expected));
    }
    counters.check_totals(counts);
    return seconds;
}

// Probes on growing prefixes (each a warm-up for the next) until one takes a quarter of the
// budget, then counts the prefix that fits in the budget. A probe that already took half of it is
// the measurement: counting again would double the row's time for the same figure.
void measure_row(SlowRow& row, CountFunction count, const Settings& settings, const CounterBackend& counters,
                 Events book, const Budget& budget) {
    const std::uint64_t cap = budget.limit != 0 ? std::min<std::uint64_t>(budget.limit, book.size()) : book.size();
    const double goal = budget.seconds_per_run;
    std::uint64_t events = std::min<std::uint64_t>(cap, 4);
    double seconds = timed_run(count, settings, counters, book.first(events));
    while (events < cap && seconds < 0.25 * goal) {
        double next = 0.4 * goal * static_cast<double>(events) / std::max(seconds, 1e-9);
        events = std::min(cap, std::max(2 * events, round_down(next)));
        seconds = timed_run(count, settings, counters, book.first(events));
    }
    if (seconds < 0.5 * goal && events < cap) {
        double fits = goal * static_cast<double>(events) / std::max(seconds, 1e-9);
        events = std::min(cap, std::max(events, round_down(fits)));
        seconds = timed_run(count, settings, counters, book.first(events));
    }
    row.events = events;
    row.seconds = seconds;
    LetterTypes counted = reference_count(book.first(events));
    row.busiest_share = static_cast<double>(std::max({counted.vowels, counted.consonants, counted.others})) /
                        static_cast<double>(counted.total());
}

// The server's own ceiling for INCR: redis-benchmark (Debian's redis-tools) on the private server,
// its default 50 clients with 100 requests in flight each (pipelined, as a loop's one connection
// is), so that what bounds a mechanism is told apart from what bounds Redis.
double redis_ceiling(const CounterBackend& counters, bool quick, std::string& how) {
    const std::string program = find_on_path("redis-benchmark");
    if (program.empty()) {
        how = "redis-benchmark is not installed (Debian: redis-tools)";
        return not_measured;
    }
    const std::string requests = quick ? "20000" : "50000";
    support::ProgramRun run = support::run_program(
        program, {"-s", counters.endpoint().socket_path, "-t", "incr", "-n", requests, "-P", "100", "--csv"});
    if (run.status != 0) {
        how = "redis-benchmark failed with status " + std::to_string(run.status);
        return not_measured;
    }
    // "test","rps",...  then  "INCR","104166.67",...
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("\"INCR\",\"", 0) != 0) continue;
        try {
            double rps = std::stod(line.substr(8));
            how = "redis-benchmark -t incr -n " + requests + " -P 100 (50 clients, 100 requests in flight each)";
            return rps;
        } catch (const std::exception&) {
            break;
        }
    }
    how = "redis-benchmark printed no INCR rate";
    return not_measured;
}

// The counter service's own ceiling at wait 0: a bare client that does nothing else, on the
// bench's loop and client (AsyncCounterClient), keeping `in_flight` INCRs pipelined on one
// connection, each reply sending the next, as redis-benchmark -P does for Redis. The best of a
// few short runs: on a shared machine the client and the server do not always get a core each.
double service_ceiling(const CounterBackend& counters, bool quick, std::string& how) {
    constexpr std::size_t in_flight = 100;
    constexpr int repetitions = 5;
    const std::uint64_t requests = quick ? 20'000 : 100'000;
    double best = not_measured;
    try {
        const std::string key = "workbook:ceiling:" + std::to_string(::getpid());
        for (int repetition = 0; repetition < repetitions; ++repetition) {
            EventLoop loop;
            AsyncCounterClient client(loop, counters.endpoint().socket_path, counters.endpoint().server_name);
            std::uint64_t sent = 0;
            std::function<void(std::int64_t, std::exception_ptr)> next = [&](std::int64_t, std::exception_ptr error) {
                if (error) std::rethrow_exception(error);  // out of run(): the ceiling is not measured
                if (sent < requests) ++sent, client.incr(key, next);
            };
            auto start = Clock::now();
            for (std::size_t i = 0; i < in_flight && sent < requests; ++i) ++sent, client.incr(key, next);
            loop.run();
            double rate = static_cast<double>(requests) / std::chrono::duration<double>(Clock::now() - start).count();
            if (std::isnan(best) || rate > best) best = rate;
        }
    } catch (const std::exception& error) {
        how = std::string("the bare client failed: ") + error.what();
        return not_measured;
    }
    how = "a bare client: the best of " + std::to_string(repetitions) + " runs of " + std::to_string(requests) +
          " INCR, " + std::to_string(in_flight) + " in flight on one connection";
    return best;
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.empty() ? "(no message)" : line;
}

// A Python peer's rows: the program that runs it, and the columns it runs in.
struct PythonLine {
    PythonPeer peer;
    std::string interpreter;  // the program, e.g. "/usr/bin/python3"
    std::string family;       // "CPython" or "PyPy": GIL rows are labelled and compared by it
    std::size_t batch = 0;    // --batch, for the peers of chapters 03 and 04 (gil_batch)
    bool gil = false;         // chapters 01-04 and 09: the work and wait columns of the GIL's rows
    bool servers = true;      // it imports redis-py, so it can reach the servers
};

// The --batch of chapters 03 and 04's peers, as the C++ rows send it, so that messaging does not
// hide the work or the wait: a prefix of the size a budget allows is then one batch per class,
// and the three workers count theirs at once.
constexpr std::size_t gil_batch = 4096;

// The peer's options for the column: its counter, its server, its batch or calls in flight.
std::vector<std::string> counter_args(const PythonLine& line, const SlowCounter& counter, const CounterBackend& counters) {
    std::vector<std::string> args{"--counter", std::string(counter_kind_name(counter.kind))};
    if (counter.kind != CounterKind::local) args.insert(args.end(), {"--socket", counters.endpoint().socket_path});
    if (counter.work_ns > 0) args.insert(args.end(), {"--work", std::to_string(counter.work_ns)});
    if (line.batch != 0) args.insert(args.end(), {"--batch", std::to_string(line.batch)});
    if (!line.gil) args.insert(args.end(), {"--in-flight", "100"});
    return args;
}

// One run of a Python peer in the row's column: `limit` events, `runs` runs in one process;
// returns the last run's seconds and checks its counts (the peer checks the server's).
double python_run(const PythonLine& line, const CounterBackend& counters, const std::filesystem::path& book_file,
                  Events book, std::uint64_t limit, int runs, SlowRow& row) {
    std::vector<std::string> args{line.peer.path.string(), "--book", book_file.string(), "--limit", std::to_string(limit),
                                  "--runs", std::to_string(runs), "--json"};
    for (std::string& arg : counter_args(line, row.counter, counters)) args.push_back(std::move(arg));
    support::ProgramRun run = support::run_program(line.interpreter, args);
    const std::string program = line.interpreter + " " + row.slug;
    if (run.status != 0) {
        throw std::runtime_error(program + " exited with status " + std::to_string(run.status) + ": " + first_line(run.err));
    }
    nlohmann::json output;
    try {
        output = nlohmann::json::parse(run.out);
    } catch (const nlohmann::json::parse_error& error) {
        throw std::runtime_error(program + " printed no JSON object (" + error.what() + "): " + first_line(run.out));
    }
    auto seconds = output.at("run_seconds").get<std::vector<double>>();
    if (seconds.empty()) throw std::runtime_error(program + " reported no run");
    const LetterTypes counts{output.at("vowels").get<std::uint64_t>(), output.at("consonants").get<std::uint64_t>(),
                             output.at("others").get<std::uint64_t>()};
    const LetterTypes expected = reference_count(book.first(limit));
    if (counts != expected) {
        throw std::runtime_error(program + " counted " + describe(counts) + " on " + std::to_string(limit) +
                                 " events, but the reference count is " + describe(expected));
    }
    row.implementation = output.at("interpreter").get<std::string>();
    row.mechanism = output.at("mechanism").get<std::string>();
    return seconds.back();
}

// The first probe of a Python row. The peers of chapters 12-14 keep 1000 calls in flight; a GIL
// row starts at about a tenth of the budget at its column's cost per event (and chapter 02's
// process per event costs milliseconds more), so that a wait of 10 ms does not make the probe
// alone take seconds. Chapter 03's peer starts three processes in every run, which costs tens to
// hundreds of milliseconds: its probe is half its budget, so that it is the measurement.
std::uint64_t first_probe(const PythonLine& line, const SlowCounter& counter, double goal) {
    if (!line.gil) return 1000;
    double cost = 2e-6 + static_cast<double>(counter.work_ns) * 1e-9 + static_cast<double>(counter.wait_us) * 1e-6;
    if (line.peer.chapter == 2) cost += 2e-3;
    const double share = line.peer.chapter == 3 ? 0.5 : 0.1;
    return std::clamp<std::uint64_t>(round_down(share * goal / cost), 4, 200'000);
}

// The seconds a Python row's run should take: the budget's, but at least a second for chapter
// 03's peer, whose processes, started anew in each run, would be most of a shorter one.
double python_goal(const PythonLine& line, const Budget& budget) {
    return line.gil && line.peer.chapter == 3 ? std::max(budget.seconds_per_run, 1.0) : budget.seconds_per_run;
}

// A Python peer's row, sized like a C++ row: a probe, then a prefix that fits the budget, counted
// after a warm-up run in the same process (the peer's connections made, its code warm).
void measure_python_row(SlowRow& row, const PythonLine& line, const CounterBackend& counters,
                        const std::filesystem::path& book_file, Events book, const Budget& budget) {
    const std::uint64_t cap = budget.limit != 0 ? std::min<std::uint64_t>(budget.limit, book.size()) : book.size();
    const double goal = python_goal(line, budget);
    std::uint64_t events = std::min<std::uint64_t>(cap, first_probe(line, row.counter, goal));
    double seconds = python_run(line, counters, book_file, book, events, 2, row);
    for (int attempt = 0; attempt < 3 && events < cap && seconds < 0.5 * goal; ++attempt) {
        double fits = goal * static_cast<double>(events) / std::max(seconds, 1e-9);
        events = std::min(cap, std::max(2 * events, round_down(fits)));
        seconds = python_run(line, counters, book_file, book, events, 2, row);
    }
    row.events = events;
    row.seconds = seconds;
    LetterTypes counted = reference_count(book.first(events));
    row.busiest_share = static_cast<double>(std::max({counted.vowels, counted.consonants, counted.others})) /
                        static_cast<double>(counted.total());
}

// The columns of the peers of chapters 12-14: where the language should matter (wait 0), where
// waiting should hide it (10 ms), and Redis.
bool python_column(const SlowCounter& counter) {
    return counter.work_ns == 0 && (counter.kind == CounterKind::redis ||
                                    (counter.kind == CounterKind::service && (counter.wait_us == 0 || counter.wait_us == 10000)));
}

// The GIL's columns: work that holds it (1 and 10 us a call), and waits that release it (1 and 10 ms).
bool gil_column(const SlowCounter& counter) {
    if (counter.kind == CounterKind::local) return counter.work_ns > 0;
    return counter.kind == CounterKind::service && counter.work_ns == 0 && (counter.wait_us == 1000 || counter.wait_us == 10000);
}

bool runs_in(const PythonLine& line, const SlowCounter& counter) {
    if (!line.gil) return python_column(counter);
    return gil_column(counter) && (counter.kind == CounterKind::local || line.servers);
}

// Whether `interpreter` imports redis-py, the peers' way to the servers; tried once each.
bool imports_redis(const std::string& interpreter) {
    static std::map<std::string, bool> tried;
    auto found = tried.find(interpreter);
    if (found == tried.end()) {
        found = tried.emplace(interpreter, support::run_program(interpreter, {"-c", "import redis"}).status == 0).first;
    }
    return found->second;
}

// The GIL peers of `family`, each with the first of `candidates` that runs it and imports
// redis-py, else the first that runs it (its rows are then the work columns only, and a note says
// why). A peer no candidate runs has no rows of that family, and a note says why.
void add_gil_lines(std::vector<PythonLine>& lines, const std::vector<PythonPeer>& peers, const std::string& family,
                   const std::vector<std::string>& candidates, std::vector<std::string>& notes) {
    bool without_servers = false;
    for (const PythonPeer& peer : peers) {
        std::string runs, why;
        for (const std::string& candidate : candidates) {
            const std::string found = runnable_interpreter(peer, candidate, why.empty() ? &why : nullptr);
            if (found.empty()) continue;
            if (runs.empty()) runs = found;
            if (imports_redis(found)) {
                runs = found;
                break;
            }
        }
        const std::string name = (peer.chapter < 10 ? "0" : "") + std::to_string(peer.chapter) + " " + peer.path.filename().string();
        if (runs.empty()) {
            notes.push_back("--python: " + name + " has no " + family + " rows: " + why);
            continue;
        }
        const std::size_t batch = peer.chapter == 3 || peer.chapter == 4 ? gil_batch : 0;
        lines.push_back({peer, runs, family, batch, true, imports_redis(runs)});
        without_servers = without_servers || !lines.back().servers;
    }
    if (without_servers) {
        notes.push_back("--python: " + family + " has no rows against the counter service: " + candidates.front() +
                        " cannot import redis-py (python3-redis), so its GIL rows are the work columns only");
    }
}

// Writes the book for the Python peers once; throws when it cannot.
void write_book_file(const std::filesystem::path& file, Events book) {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    bool written = out != nullptr && std::fwrite(book.data(), 1, book.size(), out) == book.size();
    if (out != nullptr) written = std::fclose(out) == 0 && written;
    if (!written) throw std::runtime_error("cannot write " + file.string() + " for the Python peers");
}

}  // namespace

SlowResults measure_slow(const std::vector<const Chapter*>& chapters, Events book, const Budget& budget,
                         SlowProgress progress, const SlowPython& python) {
    SlowResults results;
    results.book_events = book.size();
    std::vector<std::pair<const Chapter*, SlowMechanism>> lines;
    const auto listed = slow_mechanisms();
    for (const Chapter* chapter : chapters) {
        bool any = false;
        for (const SlowMechanism& mechanism : listed) {
            if (mechanism.chapter == chapter->number) lines.emplace_back(chapter, mechanism), any = true;
        }
        if (!any) lines.emplace_back(chapter, SlowMechanism{chapter->number, "", 0, 1, BoundRule::one_at_a_time, 1});
    }
    const bool quick = budget.seconds_per_run < 1;
    const auto counters = slow_counters();
    // The Python peers that were asked for: chapters 12, 13 and 14's, each with its interpreter;
    // and the GIL's, chapters 01-04 and 09 under CPython and PyPy. Chapter 01's peer, always there
    // beside the others, is left out only when no GIL chapter but 01 was asked for and one of 12-14 was.
    auto chosen = [&](int number) {
        return std::any_of(chapters.begin(), chapters.end(), [&](const Chapter* c) { return c->number == number; });
    };
    const bool gil = chosen(2) || chosen(3) || chosen(4) || chosen(9) || !(chosen(12) || chosen(13) || chosen(14));
    std::vector<PythonLine> peers;
    std::vector<PythonPeer> gil_peers;
    for (const PythonPeer& peer : python.peers) {
        if (!chosen(peer.chapter)) continue;
        if (peer.chapter >= 12 && peer.chapter <= 14) peers.push_back({peer, server_interpreter_for(peer, "python3"), "CPython", 0, false, true});
        const bool gil_peer = peer.chapter == 1 || peer.chapter == 2 || peer.chapter == 3 || peer.chapter == 4 || peer.chapter == 9;
        if (gil && gil_peer) gil_peers.push_back(peer);
    }
    if (!gil_peers.empty()) {
        // Debian's python3 has the packages; the python3 first on PATH may be another build.
        add_gil_lines(peers, gil_peers, "CPython", {"python3", "/usr/bin/python3"}, results.notes);
        if (find_on_path("pypy3").empty()) {
            results.notes.push_back("--python: pypy3 is not installed, so the GIL rows are CPython's only (./workbook bench installs it)");
        } else {
            add_gil_lines(peers, gil_peers, "PyPy", {"pypy3"}, results.notes);
        }
    }
    if (!peers.empty()) write_book_file(python.book_file, book);
    if (!python.peers.empty() && peers.empty()) {
        results.notes.push_back("--python: none of the chosen chapters has a Python peer for slow counters (01-04, 09, 12-14)");
    }
    std::size_t python_rows = 0;
    for (const PythonLine& line : peers) python_rows += static_cast<std::size_t>(std::count_if(counters.begin(), counters.end(), [&](const SlowCounter& c) { return runs_in(line, c); }));
    const int total = static_cast<int>(lines.size() * counters.size() + python_rows);
    int index = 0;
    for (const SlowCounter& counter : counters) {
        // One server per column, shared by its rows, as a chapter's runs share one.
        std::unique_ptr<CounterBackend> backend;
        std::string failure;
        auto start_server = [&] {
            try {
                backend = std::make_unique<CounterBackend>(counter.settings());
            } catch (const std::exception& error) {
                backend.reset();
                failure = error.what();
            }
        };
        start_server();
        // Redis's ceiling before and after its rows; on a shared machine the better of the two is
        // the server's own, the worse is the load's.
        auto ceiling = [&] {
            if (counter.kind != CounterKind::redis || backend == nullptr) return;
            std::string how;
            double rate = redis_ceiling(*backend, quick, how);
            if (std::isnan(results.redis_ceiling) || rate > results.redis_ceiling) {
                results.redis_ceiling = rate;
                results.redis_ceiling_how = how;
            } else if (results.redis_ceiling_how.empty()) {
                results.redis_ceiling_how = how;
            }
        };
        // The counter service's own ceiling, likewise, in the column where nothing else limits it.
        auto bare_ceiling = [&] {
            if (counter.kind != CounterKind::service || counter.wait_us != 0 || backend == nullptr) return;
            std::string how;
            double rate = service_ceiling(*backend, quick, how);
            if (std::isnan(results.service_ceiling) || rate > results.service_ceiling) {
                results.service_ceiling = rate;
                results.service_ceiling_how = how;
            } else if (results.service_ceiling_how.empty()) {
                results.service_ceiling_how = how;
            }
        };
        ceiling();
        bare_ceiling();
        for (const auto& [chapter, mechanism] : lines) {
            SlowRow row;
            row.chapter = chapter->number;
            row.label = mechanism.label(*chapter);
            row.slug = chapter->slug;
            row.mechanism = chapter->mechanism;
            row.variant = mechanism.variant;
            row.batch = mechanism.batch;
            row.in_flight = mechanism.in_flight;
            row.rule = mechanism.rule;
            row.workers = mechanism.workers;
            row.counter = counter;
            row.book_events = book.size();
            row.load = load_average();
            row.error = failure;
            if (failure.empty()) {
                try {
                    const CountFunction count = chapter->count_for(mechanism.variant);
                    if (count == nullptr) throw std::runtime_error("no variant '" + mechanism.variant + "'");
                    Settings settings;
                    settings.batch = mechanism.batch;
                    settings.in_flight = mechanism.in_flight;
                    settings.counters = backend.get();
                    measure_row(row, count, settings, *backend, book, budget);
                } catch (const std::exception& error) {
                    row.error = error.what();
                    row.seconds = not_measured;
                }
                // A server that stopped during the row would fail every later row of its column:
                // the row says what happened, and the rest get a new server.
                if (!row.error.empty()) {
                    try {
                        (void)backend->totals();
                    } catch (const std::exception&) {
                        results.notes.push_back("the server of the column '" + counter.label() + "' stopped during " +
                                                row.label + "; the rows after it had a new one");
                        backend.reset();
                        start_server();
                    }
                }
            }
            results.rows.push_back(row);
            if (progress != nullptr) progress(results.rows.back(), ++index, total);
        }
        for (const PythonLine& line : peers) {
            if (!runs_in(line, counter)) continue;
            SlowRow row;
            row.chapter = line.peer.chapter;
            row.python = true;
            row.gil = line.gil;
            row.interpreter = line.family;
            row.slug = line.peer.path.filename().string();
            row.label = (line.peer.chapter < 10 ? "0" : "") + std::to_string(line.peer.chapter) + " " + row.slug;
            row.implementation = line.interpreter;
            row.batch = line.batch;
            if (line.gil) {
                // Labelled by interpreter (its batch is in the row), and
                // bounded as the C++ chapter is: one call at a time, or a worker per class.
                row.label += " (" + line.family + ")";
                const bool workers = line.peer.chapter == 3 || line.peer.chapter == 4;
                row.rule = workers ? BoundRule::busiest_class : BoundRule::one_at_a_time;
                row.workers = workers ? 3 : 1;
            } else {
                row.in_flight = 100;
                row.rule = BoundRule::in_flight;
            }
            row.counter = counter;
            row.book_events = book.size();
            row.load = load_average();
            row.error = backend == nullptr ? failure : std::string();
            if (backend != nullptr) {
                try {
                    measure_python_row(row, line, *backend, python.book_file, book, budget);
                } catch (const std::exception& error) {
                    row.error = error.what();
                    row.seconds = not_measured;
                }
            }
            results.rows.push_back(row);
            if (progress != nullptr) progress(results.rows.back(), ++index, total);
        }
        ceiling();
        bare_ceiling();
    }
    if (std::isnan(results.redis_ceiling)) {
        results.notes.push_back("no bound for the Redis rows: " +
                                (results.redis_ceiling_how.empty() ? std::string("no Redis") : results.redis_ceiling_how));
    } else {
        results.redis_ceiling_how += ", the better of two, before and after its rows";
    }
    if (!std::isnan(results.service_ceiling)) results.service_ceiling_how += ", the better of two, before and after its rows";
    else if (!results.service_ceiling_how.empty()) results.notes.push_back("no ceiling for the counter service: " + results.service_ceiling_how);
    return results;
}

}  // namespace workbook::bench
