// `workbook bench --waiters`: how many waits each mechanism holds at once, and what one costs.
// Every mechanism makes N counter calls to the counter service, each answered after 100 ms, all
// allowed to wait at once; each row says the memory one waiter takes, the time to start all N, and
// whether all N completed. The machine's limits (open files, processes, memory maps) stop a
// mechanism where they would, and the row says which limit did.
#pragma once

#include "bench.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace workbook::bench {

// How one mechanism runs its waits.
enum class WaiterRunner : std::uint8_t {
    chapter,  // a chapter's program, bin/<slug> --in-flight N
    python,   // a chapter's Python peer, python3 chapters/<slug>/<file> --in-flight N
    program,  // a program of the bench's own, bin/<name> --waiters N
};

// One mechanism, one line of the table and of the chart. A chapter adds its rows by adding entries
// to waiter_mechanisms(); one that is not built yet says so in its rows.
struct WaiterMechanism {
    int chapter = 0;            // 0 = none (a program of the bench's own)
    WaiterRunner runner = WaiterRunner::chapter;
    std::string variant;        // --variant, empty = the chapter's default
    std::string program;        // WaiterRunner::program: its name; python: the file, empty = the folder's one .py
    std::string what;           // a few words: "a process per wait"
    bool loop = false;          // its waits share one thread (the sizes go to 30,000)
    // What each waiter holds of the machine's limited resources, for the limits.
    unsigned tasks_per_waiter = 0;  // a process or thread each
    unsigned files_per_waiter = 0;  // descriptors in the busiest process (the server counts: a connection each)
    unsigned maps_per_waiter = 0;   // memory maps in one process (a protected stack: the stack and its guard)
    // The target, if any: at most `target_bytes` per waiter with `target_waiters` waiting, all
    // started within a second.
    std::size_t target_waiters = 0;
    double target_bytes = 0;
    // A chapter whose waiters are greenlets: `--stack-size`, the stack each reserves (empty: the
    // chapter's default).
    std::string stack_size;
};
std::vector<WaiterMechanism> waiter_mechanisms();

// The waiter counts each mechanism is asked for.
std::vector<std::size_t> waiter_sizes(const WaiterMechanism& mechanism);

// What stops a mechanism on this machine.
struct MachineLimits {
    std::uint64_t open_files = 0;  // RLIMIT_NOFILE (soft, raised to the hard limit first)
    std::uint64_t pids = 0;        // kernel.pid_max (and RLIMIT_NPROC, whichever is lower)
    std::uint64_t tasks_now = 0;   // processes and threads already running on the machine
    std::uint64_t maps = 0;        // vm.max_map_count
};
MachineLimits machine_limits();

// The most processes or threads a probe starts: the machine is shared.
inline constexpr std::size_t max_probed_tasks = 10'000;

// Which limit would stop `mechanism` with `waiters` waiting, in words ("open files: 30,000
// connections in the counter service, the limit is 20,000"), or nothing when none would.
std::optional<std::string> limit_reached(const WaiterMechanism& mechanism, std::size_t waiters,
                                         const MachineLimits& limits);

// What one probe saw: the program run once, its process tree sampled while it ran.
struct Probe {
    bool ran = false;
    int status = -1;               // exit status; -1 = killed or not run
    std::string error;             // its last stderr line, or why it was not run
    double peak_bytes = not_measured;  // the most memory the whole tree held at once (PSS)
    std::size_t peak_tasks = 0;    // the most processes and threads of the tree at once
    double run_seconds = not_measured;  // as the program reported it
    std::uint64_t events = 0;      // calls it completed, as it reported them
    // As the program reported them, where it does: the stack each greenlet reserves, and the time
    // from the start of its run until every one of its calls had been made and was waiting.
    std::size_t stack_bytes = 0;
    double all_started_seconds = not_measured;
};

// One row: one mechanism with N waiters.
struct WaiterRow {
    WaiterMechanism mechanism;
    std::string label;      // "02_processes", "workbook-thread-waiters", "12 event_loop.py"
    std::size_t waiters = 0;
    std::string status;     // "measured", "not built", "stopped", "failed"
    std::string reason;     // for any status but measured: which limit, what is missing, what failed
    Probe probe;
    Probe baseline;         // the same program with one waiter
    // Filled by evaluate_waiters():
    std::size_t held = 0;   // waiters held at once: N for a loop, the extra tasks seen for the rest
    double bytes_per_waiter = not_measured;
    // The time to start all N: when the program saw them all waiting, where it tells (start_from
    // "all waiting"); else the run less one wait, which holds the replies and the cleanup too
    // (start_from "run less one wait").
    double start_seconds = not_measured;
    std::string start_from;
    // Greenlets: the stack each reserves (address space) and what one waiter touched (the memory
    // per waiter: its stack's touched pages and its share of the heap); 0 and not measured otherwise.
    std::size_t stack_reserved_bytes = 0;
    double stack_touched_bytes = not_measured;
    bool completed = false;
    std::string target;
    std::string target_status;  // "met", "missed", "not built", or empty

    // A limit or a mechanism not built yet is part of the answer; only a failure is not.
    bool ok() const { return status != "failed"; }
};

struct WaiterResults {
    Machine machine;
    MachineLimits limits;
    std::int64_t wait_us = 100'000;
    std::size_t greenlet_stack_bytes = 0;  // chapter 12's greenlet stacks by default, reserved (touched: the row's memory)
    std::size_t thread_stack_bytes = 0;    // a thread's stack, reserved (RLIMIT_STACK)
    std::vector<WaiterRow> rows;
    std::vector<std::string> notes;
};

// The fields of /proc/PID/stat and smaps_rollup that the sampler reads.
struct ProcStat {
    int pid = 0;
    int ppid = 0;
    std::size_t threads = 0;
};
// Parses a /proc/PID/stat line (the command may hold spaces and parentheses); nothing when malformed.
std::optional<ProcStat> parse_proc_stat(const std::string& line);
// The Pss: line of /proc/PID/smaps_rollup, in bytes; nothing when there is none.
std::optional<double> parse_pss(const std::string& text);

// Fills each row's held waiters, memory per waiter, start time, completion and target.
void evaluate_waiters(WaiterResults& results);

// Called after each probe, for progress.
using WaiterProgress = void (*)(const WaiterRow& row, int index, int total);

// Runs every mechanism at every size, smallest first, stopping a mechanism at its first limit or
// failure. `bin` holds the programs, `source_dir` the chapters' Python peers; every program counts
// the file `book`, which holds at least as many events as the most waiters.
WaiterResults measure_waiters(const std::filesystem::path& bin, const std::filesystem::path& source_dir,
                              const std::filesystem::path& book, WaiterProgress progress);

void print_waiters_table(const WaiterResults& results, std::ostream& out);
void write_waiters_csv(const WaiterResults& results, const std::filesystem::path& file);
void write_waiters_json(const WaiterResults& results, const std::filesystem::path& file);
// Writes waiters.dat and waiters.gp into `dir` and runs gnuplot to draw waiters.svg.
void draw_waiters_chart(const WaiterResults& results, const std::filesystem::path& dir);

}  // namespace workbook::bench
