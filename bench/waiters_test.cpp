// `bench --waiters`'s logic without running anything: what it reads from /proc, which limit stops
// a mechanism, and what each row's figures and targets are made of. No timing is measured.
#include "waiters.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using namespace workbook::bench;

namespace {

WaiterMechanism mechanism_named(const std::string& what) {
    for (const WaiterMechanism& mechanism : waiter_mechanisms()) {
        if (mechanism.what == what) return mechanism;
    }
    FAIL("no mechanism " << what);
    return {};
}

MachineLimits this_machine() {
    MachineLimits limits;
    limits.open_files = 20'000;
    limits.pids = 32'768;
    limits.tasks_now = 500;
    limits.maps = 65'530;
    return limits;
}

Probe probe(double peak_bytes, std::size_t tasks, double seconds, std::uint64_t events) {
    Probe p;
    p.ran = true;
    p.status = 0;
    p.peak_bytes = peak_bytes;
    p.peak_tasks = tasks;
    p.run_seconds = seconds;
    p.events = events;
    return p;
}

WaiterRow row_of(const WaiterMechanism& mechanism, std::size_t waiters, const Probe& measured, const Probe& baseline) {
    WaiterRow row;
    row.mechanism = mechanism;
    row.label = "row";
    row.waiters = waiters;
    row.status = "measured";
    row.probe = measured;
    row.baseline = baseline;
    return row;
}

}  // namespace

TEST_CASE("a /proc stat line gives its pid, parent and threads, whatever its command holds") {
    auto stat = parse_proc_stat("4242 (my (odd) prog) S 17 4242 4242 0 -1 4194560 153 0 0 0 1 2 0 0 20 0 12 0 "
                                "1234 5678 90 18446744073709551615");
    REQUIRE(stat);
    CHECK(stat->pid == 4242);
    CHECK(stat->ppid == 17);
    CHECK(stat->threads == 12u);
    CHECK_FALSE(parse_proc_stat(""));
    CHECK_FALSE(parse_proc_stat("4242 (prog) S"));
    CHECK_FALSE(parse_proc_stat("x42 (prog) S 17 4242 4242 0 -1 4194560 153 0 0 0 1 2 0 0 20 0 12 0"));
}

TEST_CASE("smaps_rollup's Pss line is read in bytes, and a text without one gives nothing") {
    const std::string rollup = "55d0c000-7ffd1000 ---p 00000000 00:00 0    [rollup]\n"
                               "Rss:                9536 kB\nPss:                3210 kB\nPss_Anon:           100 kB\n";
    auto pss = parse_pss(rollup);
    REQUIRE(pss);
    CHECK(*pss == doctest::Approx(3210.0 * 1024));
    CHECK_FALSE(parse_pss("Rss: 9536 kB\n"));
    CHECK_FALSE(parse_pss("Pss: lots\n"));
}

TEST_CASE("processes and threads are never probed past 10,000; a loop is not limited by them") {
    const MachineLimits limits = this_machine();
    CHECK_FALSE(limit_reached(mechanism_named("a process per wait"), 10'000, limits));
    auto stopped = limit_reached(mechanism_named("a thread per wait"), 30'000, limits);
    REQUIRE(stopped);
    CHECK(stopped->find("not probed past 10,000") != std::string::npos);
    CHECK_FALSE(limit_reached(mechanism_named("a Deferred per wait, one thread"), 30'000, limits));
}

TEST_CASE("a pid limit near the tasks already running stops a process per wait, naming the limit") {
    MachineLimits limits = this_machine();
    limits.tasks_now = 25'000;
    auto stopped = limit_reached(mechanism_named("a process per wait"), 10'000, limits);
    REQUIRE(stopped);
    CHECK(stopped->find("processes") == 0);
    CHECK(stopped->find("32,768") != std::string::npos);
}

TEST_CASE("a loop holding a connection per waiter meets the open-file limit at 30,000, not at 10,000") {
    const MachineLimits limits = this_machine();
    WaiterMechanism connection_each = mechanism_named("gevent: a greenlet per wait");
    CHECK_FALSE(limit_reached(connection_each, 30'000, limits));  // the peers' waits share one connection
    connection_each.files_per_waiter = 1;
    CHECK_FALSE(limit_reached(connection_each, 10'000, limits));
    auto stopped = limit_reached(connection_each, 30'000, limits);
    REQUIRE(stopped);
    CHECK(*stopped == "open files: 30,000 connections in one process, the limit is 20,000");
}

TEST_CASE("protected greenlet stacks take two maps each: 30,000 fit in 65,530 maps, 40,000 would not") {
    MachineLimits limits = this_machine();
    const WaiterMechanism greenlets = mechanism_named("a greenlet per wait, one thread");
    CHECK_FALSE(limit_reached(greenlets, 30'000, limits));
    limits.maps = 65'530;
    auto stopped = limit_reached(greenlets, 40'000, limits);
    REQUIRE(stopped);
    CHECK(stopped->find("memory maps: 80,000") == 0);
}

TEST_CASE("a loop's memory per waiter is its peak less its one-waiter peak, over N; its start is the run less the wait") {
    WaiterResults results;
    const WaiterMechanism greenlets = mechanism_named("a greenlet per wait, one thread");
    results.rows.push_back(row_of(greenlets, 1'000, probe(14e6, 3, 0.35, 1'000), probe(10e6, 3, 0.1, 1)));
    evaluate_waiters(results);
    const WaiterRow& row = results.rows.front();
    CHECK(row.completed);
    CHECK(row.held == 1'000u);
    CHECK(row.bytes_per_waiter == doctest::Approx(4'000));
    CHECK(row.start_seconds == doctest::Approx(0.25));
    CHECK(row.start_from == "run less one wait");
    CHECK(row.target.empty());
}

TEST_CASE("where the program tells when all its calls were waiting, that is the start, not the run less the wait") {
    WaiterResults results;
    const WaiterMechanism greenlets = mechanism_named("a greenlet per wait, one thread");
    Probe told = probe(14e6, 3, 0.35, 1'000);
    told.all_started_seconds = 0.04;  // the replies and the cleanup took the rest
    results.rows.push_back(row_of(greenlets, 1'000, told, probe(10e6, 3, 0.1, 1)));
    Probe failed = told;
    failed.events = 999;
    results.rows.push_back(row_of(greenlets, 1'000, failed, probe(10e6, 3, 0.1, 1)));
    evaluate_waiters(results);
    CHECK(results.rows[0].start_seconds == doctest::Approx(0.04));
    CHECK(results.rows[0].start_from == "all waiting");
    CHECK(std::isnan(results.rows[1].start_seconds));  // not completed: no start either
    CHECK(results.rows[1].start_from.empty());
}

TEST_CASE("chapter 12 runs on its default stacks and on 32K ones; each greenlet row says its stack reserved and touched") {
    const WaiterMechanism greenlets = mechanism_named("a greenlet per wait, one thread");
    const WaiterMechanism small = mechanism_named("a greenlet per wait on a 32 KiB stack");
    CHECK(greenlets.chapter == 12);
    CHECK(greenlets.stack_size.empty());
    CHECK(small.chapter == 12);
    CHECK(small.runner == WaiterRunner::chapter);
    CHECK(small.stack_size == "32K");
    CHECK(small.maps_per_waiter == 2u);  // a protected stack, whatever its size
    CHECK(small.target_waiters == 0u);
    WaiterResults results;
    Probe default_stacks = probe(10e6 + 1'000 * 4096.0, 3, 0.3, 1'000);
    default_stacks.stack_bytes = 256 * 1024;
    Probe small_stacks = probe(10e6 + 1'000 * 4096.0, 3, 0.3, 1'000);
    small_stacks.stack_bytes = 32 * 1024;
    results.rows.push_back(row_of(greenlets, 1'000, default_stacks, probe(10e6, 3, 0.1, 1)));
    results.rows.push_back(row_of(small, 1'000, small_stacks, probe(10e6, 3, 0.1, 1)));
    results.rows.push_back(row_of(mechanism_named("a task per wait, one thread"), 1'000, probe(10e6 + 1e6, 3, 0.3, 1'000),
                                  probe(10e6, 3, 0.1, 1)));
    evaluate_waiters(results);
    CHECK(results.rows[0].stack_reserved_bytes == 256u * 1024);
    CHECK(results.rows[0].stack_touched_bytes == doctest::Approx(4096));
    CHECK(results.rows[1].stack_reserved_bytes == 32u * 1024);
    CHECK(results.rows[1].stack_touched_bytes == doctest::Approx(results.rows[1].bytes_per_waiter));
    CHECK(results.rows[2].stack_reserved_bytes == 0u);  // a task has no stack of its own
    CHECK(std::isnan(results.rows[2].stack_touched_bytes));
}

TEST_CASE("a process per wait divides its memory among the waiters it held at once, seen as extra tasks") {
    WaiterResults results;
    const WaiterMechanism processes = mechanism_named("a process per wait");
    // One waiter: the chapter, the server's keeper, the server and the child, 4 tasks; with
    // 1,000, 203 tasks at the peak: 200 children alive at once.
    results.rows.push_back(row_of(processes, 1'000, probe(210e6, 203, 2.1, 1'000), probe(10e6, 4, 0.1, 1)));
    evaluate_waiters(results);
    CHECK(results.rows.front().held == 200u);
    CHECK(results.rows.front().bytes_per_waiter == doctest::Approx(1e6));
}

TEST_CASE("the greenlet target is met within 16 KiB and a second, and missed past either") {
    const WaiterMechanism greenlets = mechanism_named("a greenlet per wait, one thread");
    WaiterResults results;
    results.rows.push_back(row_of(greenlets, 10'000, probe(10e6 + 10'000 * 8192.0, 3, 0.6, 10'000), probe(10e6, 3, 0.1, 1)));
    results.rows.push_back(row_of(greenlets, 10'000, probe(10e6 + 10'000 * 8192.0, 3, 1.4, 10'000), probe(10e6, 3, 0.1, 1)));
    results.rows.push_back(row_of(greenlets, 10'000, probe(10e6 + 10'000 * 20'000.0, 3, 0.6, 10'000), probe(10e6, 3, 0.1, 1)));
    results.rows.push_back(row_of(greenlets, 10'000, probe(10e6, 3, 0.6, 9'999), probe(10e6, 3, 0.1, 1)));
    evaluate_waiters(results);
    CHECK(results.rows[0].target == "<= 16 KiB each, all started < 1 s");
    CHECK(results.rows[0].target_status == "met");
    CHECK(results.rows[1].target_status == "missed");  // started in 1.3 s
    CHECK(results.rows[2].target_status == "missed");  // 20,000 bytes each
    CHECK_FALSE(results.rows[3].completed);            // one call short
    CHECK(results.rows[3].target_status == "missed");
}

TEST_CASE("chapter 14's tasks have their target; while not built, the row says so and is not a failure") {
    const WaiterMechanism tasks = mechanism_named("a task per wait, one thread");
    CHECK(tasks.chapter == 14);
    CHECK(tasks.target_waiters == 10'000u);
    CHECK(tasks.target_bytes == 1024);
    WaiterResults results;
    WaiterRow row;
    row.mechanism = tasks;
    row.waiters = 10'000;
    row.status = "not built";
    row.reason = "chapter 14 is not part of this build";
    results.rows.push_back(row);
    evaluate_waiters(results);
    CHECK(results.rows.front().target_status == "not built");
    CHECK(results.rows.front().ok());
    CHECK(std::isnan(results.rows.front().bytes_per_waiter));
}

TEST_CASE("the loops are asked for up to 30,000 waiters, a process or a thread per wait for up to 10,000") {
    for (const WaiterMechanism& mechanism : waiter_mechanisms()) {
        INFO(mechanism.what);
        const auto sizes = waiter_sizes(mechanism);
        CHECK(sizes.front() == 100u);
        CHECK(sizes.back() == (mechanism.loop ? 30'000u : 10'000u));
        CHECK(mechanism.loop == (mechanism.tasks_per_waiter == 0));
    }
}
