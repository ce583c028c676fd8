// Tests of exercise 14. Run them with `./workbook check 14`.
#include "bounded_gather.hpp"

#include "workbook/awaitables.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/future.hpp"
#include "workbook/task.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using exercise14::bounded_gather;
using exercise14::Job;
using workbook::CancelledError;
using workbook::EventLoop;
using workbook::Task;

// What the jobs of one test saw: how many ran at once, at most, which started, which were
// cancelled.
struct Seen {
    std::size_t running = 0, most = 0;
    std::vector<int> started, cancelled;
};

// Job `n`: waits `turns` turns of the loop (a sleep of 0 each), then returns n * 10, or throws.
Task<int> job(Seen& seen, int n, int turns, bool fails) {
    seen.started.push_back(n);
    seen.most = std::max(seen.most, ++seen.running);
    try {
        for (int i = 0; i < turns; ++i) co_await workbook::sleep(std::chrono::microseconds(0));
    } catch (const CancelledError&) {
        --seen.running;
        seen.cancelled.push_back(n);
        throw;
    }
    --seen.running;
    if (fails) throw std::runtime_error("job " + std::to_string(n) + " failed");
    co_return n * 10;
}

std::vector<Job<int>> jobs_of(Seen& seen, const std::vector<int>& turns, int failing = -1) {
    std::vector<Job<int>> jobs;
    for (int n = 0; n < static_cast<int>(turns.size()); ++n)
        jobs.push_back([&seen, n, t = turns[static_cast<std::size_t>(n)], failing] { return job(seen, n, t, n == failing); });
    return jobs;
}

// Awaits `bounded_gather(jobs, limit)` on a loop of its own: the results, or the error's message.
struct Outcome {
    std::vector<int> results;
    std::string error;
};
Outcome gather_on_a_loop(std::vector<Job<int>> jobs, std::size_t limit) {
    EventLoop loop;
    Outcome outcome;
    try {
        outcome.results = workbook::run(loop, [&] { return bounded_gather(std::move(jobs), limit); });
    } catch (const std::runtime_error& error) {  // a job's failure, or a cancellation
        outcome.error = error.what();
    } catch (const std::logic_error& error) {  // a refused argument, say
        outcome.error = error.what();
    }  // anything else (a stub's TODO) ends the test case with it
    return outcome;
}

}  // namespace

TEST_CASE("every job's result comes back in the jobs' order, whatever order they finish in") {
    Seen seen;
    const Outcome outcome = gather_on_a_loop(jobs_of(seen, {5, 1, 3, 0, 2}), 5);
    CHECK(outcome.error.empty());
    CHECK(outcome.results == std::vector<int>{0, 10, 20, 30, 40});
}

TEST_CASE("no more than the limit run at once, and each next job starts when one has finished, in order") {
    for (std::size_t limit : {1, 2, 3}) {
        INFO("limit ", limit);
        Seen seen;
        const Outcome outcome = gather_on_a_loop(jobs_of(seen, {2, 1, 3, 1, 2, 1, 1}), limit);
        CHECK(outcome.error.empty());
        CHECK(outcome.results == std::vector<int>{0, 10, 20, 30, 40, 50, 60});
        CHECK(seen.most == limit);
        CHECK(seen.started == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
    }
}

TEST_CASE("the first failure cancels the jobs running, starts no more, and is raised once they have ended") {
    Seen seen;
    // Job 1 fails after one turn, while jobs 0 and 2 still wait; jobs 3 and 4 never start.
    const Outcome outcome = gather_on_a_loop(jobs_of(seen, {10, 1, 10, 1, 1}, 1), 3);
    CHECK(outcome.error == "job 1 failed");
    CHECK(seen.started == std::vector<int>{0, 1, 2});
    std::sort(seen.cancelled.begin(), seen.cancelled.end());
    CHECK(seen.cancelled == std::vector<int>{0, 2});
    CHECK(seen.running == 0);  // every job started has ended before the error was raised
}

TEST_CASE("no jobs give no results, and a limit of 0 is refused before any job starts") {
    Seen seen;
    const Outcome none = gather_on_a_loop({}, 4);
    CHECK(none.error.empty());
    CHECK(none.results.empty());
    const Outcome refused = gather_on_a_loop(jobs_of(seen, {1, 1}), 0);
    CHECK(refused.error == "bounded_gather: the limit must be at least 1");
    CHECK(seen.started.empty());
}
