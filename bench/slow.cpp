// `workbook bench --slow`: when each mechanism wins. Every mechanism runs against every slow
// counter: the counter service at several waits, CPU work per call, and a real Redis. Each row is a
// prefix sized so that its run takes about the budget's second; its rate stands beside the bound
// its mechanism can reach at best, so that the crossover (which mechanism wins at which wait) and
// how close each comes to its bound can be read off one table and one chart.
#include "bench.hpp"

#include "workbook/support/run_program.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

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

}  // namespace

SlowResults measure_slow(const std::vector<const Chapter*>& chapters, Events book, const Budget& budget,
                         SlowProgress progress) {
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
    const int total = static_cast<int>(lines.size() * counters.size());
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
        ceiling();
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
        ceiling();
    }
    if (std::isnan(results.redis_ceiling)) {
        results.notes.push_back("no bound for the Redis rows: " +
                                (results.redis_ceiling_how.empty() ? std::string("no Redis") : results.redis_ceiling_how));
    } else {
        results.redis_ceiling_how += ", the better of two, before and after its rows";
    }
    return results;
}

}  // namespace workbook::bench
