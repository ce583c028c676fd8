// `workbook bench --waiters`: which mechanisms it measures, what stops each, and what each row's
// figures mean. Running the probes is waiters_probe.cpp; the table, files and chart are
// waiters_report.cpp.
#include "waiters.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace workbook::bench {

// The rows. A process or a thread per wait holds a connection of its own (the counter service
// holds the other end of each); the loop chapters' waits, and their Python peers', share one
// pipelined connection. Chapter 12's
// greenlets each have a protected stack (two memory maps); so does each thread. Chapter 12 runs
// twice: on its default stacks and on 32 KiB ones, an eighth of the reserve.
// A chapter not part of the build (or a peer not there) reads "not built" rather than failing.
std::vector<WaiterMechanism> waiter_mechanisms() {
    constexpr double KiB = 1024;
    return {
        {2, WaiterRunner::chapter, "", "", "a process per wait", false, 1, 1, 0, 0, 0, ""},
        {0, WaiterRunner::program, "", "workbook-thread-waiters", "a thread per wait", false, 1, 1, 2, 0, 0, ""},
        {12, WaiterRunner::chapter, "", "", "a greenlet per wait, one thread", true, 0, 0, 2, 10'000, 16 * KiB, ""},
        // The same on the smallest stacks its waits run in with room to spare: reserve is not residence.
        {12, WaiterRunner::chapter, "", "", "a greenlet per wait on a 32 KiB stack", true, 0, 0, 2, 0, 0, "32K"},
        {12, WaiterRunner::python, "", "event_loop.py", "gevent: a greenlet per wait", true, 0, 0, 0, 0, 0, ""},
        {13, WaiterRunner::chapter, "", "", "a Deferred per wait, one thread", true, 0, 0, 0, 0, 0, ""},
        {13, WaiterRunner::python, "", "deferreds.py", "Twisted: a Deferred per wait", true, 0, 0, 0, 0, 0, ""},
        {14, WaiterRunner::chapter, "", "", "a task per wait, one thread", true, 0, 0, 0, 10'000, 1 * KiB, ""},
        {14, WaiterRunner::chapter, "asio", "", "Asio: a task per wait", true, 0, 0, 0, 0, 0, ""},
        {14, WaiterRunner::python, "", "async_await.py", "asyncio: a task per wait", true, 0, 0, 0, 0, 0, ""},
    };
}

std::vector<std::size_t> waiter_sizes(const WaiterMechanism& mechanism) {
    if (mechanism.loop) return {100, 1'000, 10'000, 30'000};
    return {100, 1'000, 10'000};
}

namespace {

// 20000 -> "20,000"
std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n), text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) text += ',';
        text += digits[i];
    }
    return text;
}

}  // namespace

std::optional<std::string> limit_reached(const WaiterMechanism& mechanism, std::size_t waiters,
                                         const MachineLimits& limits) {
    // What the program needs besides its waiters: the standard descriptors, its listening and
    // control sockets, its libraries' maps.
    constexpr std::uint64_t spare_files = 64, spare_maps = 2'000, spare_tasks = 1'000;
    const std::uint64_t n = waiters;
    if (mechanism.tasks_per_waiter != 0) {
        const std::uint64_t tasks = n * mechanism.tasks_per_waiter;
        if (tasks > max_probed_tasks)
            return "not probed past " + grouped(max_probed_tasks) + " processes or threads (the machine is shared)";
        if (limits.pids != 0 && limits.tasks_now + tasks + spare_tasks > limits.pids)
            return "processes: " + grouped(tasks) + " more beside the " + grouped(limits.tasks_now) +
                   " running, the limit is " + grouped(limits.pids);
    }
    if (mechanism.files_per_waiter != 0 && limits.open_files != 0) {
        const std::uint64_t files = n * mechanism.files_per_waiter;
        if (files + spare_files > limits.open_files)
            return "open files: " + grouped(files) + " connections in one process, the limit is " +
                   grouped(limits.open_files);
    }
    if (mechanism.maps_per_waiter != 0 && limits.maps != 0) {
        const std::uint64_t maps = n * mechanism.maps_per_waiter;
        if (maps + spare_maps > limits.maps)
            return "memory maps: " + grouped(maps) + " for the stacks (" + std::to_string(mechanism.maps_per_waiter) +
                   " each), the limit is " + grouped(limits.maps);
    }
    return std::nullopt;
}

std::optional<ProcStat> parse_proc_stat(const std::string& line) {
    // "pid (comm) state ppid ...": comm may hold anything, so the fields start after its last ')'.
    const auto open = line.find(" (");
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
    ProcStat stat;
    try {
        std::size_t used = 0;
        stat.pid = std::stoi(line.substr(0, open), &used);
        if (used != open) return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    std::istringstream fields(line.substr(close + 1));
    std::string state;
    long long ppid = 0, threads = 0, skip = 0;
    // Fields 3 to 20: state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt,
    // cmajflt, utime, stime, cutime, cstime, priority, nice, num_threads.
    if (!(fields >> state >> ppid)) return std::nullopt;
    for (int field = 5; field <= 19; ++field) {
        if (!(fields >> skip)) return std::nullopt;
    }
    if (!(fields >> threads) || ppid < 0 || threads < 0) return std::nullopt;
    stat.ppid = static_cast<int>(ppid);
    stat.threads = static_cast<std::size_t>(threads);
    return stat;
}

std::optional<double> parse_pss(const std::string& text) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Pss:", 0) != 0) continue;
        std::istringstream fields(line.substr(4));
        double kib = 0;
        std::string unit;
        if (fields >> kib >> unit && unit == "kB" && kib >= 0) return kib * 1024;
        return std::nullopt;
    }
    return std::nullopt;
}

void evaluate_waiters(WaiterResults& results) {
    const double wait = static_cast<double>(results.wait_us) * 1e-6;
    for (WaiterRow& row : results.rows) {
        const WaiterMechanism& mechanism = row.mechanism;
        row.target.clear();
        row.target_status.clear();
        if (mechanism.target_waiters != 0 && mechanism.target_waiters == row.waiters) {
            row.target = "<= " + std::to_string(static_cast<long long>(mechanism.target_bytes / 1024)) +
                         " KiB each, all started < 1 s";
        }
        const Probe& probe = row.probe;
        row.completed = row.status == "measured" && probe.ran && probe.status == 0 && probe.events == row.waiters;
        row.held = 0;
        row.bytes_per_waiter = not_measured;
        row.start_seconds = not_measured;
        row.start_from.clear();
        row.stack_reserved_bytes = probe.stack_bytes;
        row.stack_touched_bytes = not_measured;
        if (row.completed) {
            // A loop holds every waiter it started; a process or a thread per wait shows how many
            // were alive at once as the tasks it had beyond its one-waiter run.
            if (mechanism.loop) row.held = row.waiters;
            else {
                const std::size_t base = row.baseline.peak_tasks;
                const std::size_t extra = probe.peak_tasks > base ? probe.peak_tasks - base : 0;
                row.held = std::min(row.waiters, extra + 1);
            }
            if (row.baseline.ran && !std::isnan(probe.peak_bytes) && !std::isnan(row.baseline.peak_bytes)) {
                row.bytes_per_waiter = std::max(0.0, probe.peak_bytes - row.baseline.peak_bytes) /
                                       static_cast<double>(row.held);
            }
            if (row.stack_reserved_bytes != 0) row.stack_touched_bytes = row.bytes_per_waiter;
            if (!std::isnan(probe.all_started_seconds)) {
                row.start_seconds = probe.all_started_seconds;
                row.start_from = "all waiting";
            } else if (!std::isnan(probe.run_seconds)) {
                row.start_seconds = std::max(0.0, probe.run_seconds - wait);
                row.start_from = "run less one wait";
            }
        }
        if (row.target.empty()) continue;
        if (row.status == "not built") row.target_status = "not built";
        else if (!row.completed || std::isnan(row.bytes_per_waiter)) row.target_status = "missed";
        else {
            const bool small = row.bytes_per_waiter <= mechanism.target_bytes;
            const bool quick = row.start_seconds < 1.0 && row.held == row.waiters;
            row.target_status = small && quick ? "met" : "missed";
        }
    }
}

}  // namespace workbook::bench
