// Tests of exercise 11. Run them with `./workbook check 11`.
#include "greenlet_scheduler.hpp"

#include "workbook/book.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using exercise11::Scheduler;
using Trace = std::vector<std::string>;

// Says `name` and its step, `steps` times, giving up its turn after each.
std::function<void()> stepper(Scheduler& scheduler, Trace& seen, std::string name, int steps) {
    return [&scheduler, &seen, name, steps] {
        for (int step = 1; step <= steps; ++step) {
            seen.push_back(name + std::to_string(step));
            scheduler.yield_turn();
        }
    };
}

// Ordinary recursion, no coroutine anywhere: gives up the turn at the bottom.
void descend(Scheduler& scheduler, Trace& seen, int depth) {
    // (With the stub, whose yield_turn() never returns, g++ would take this for an endless
    // recursion without a way out that returns; this is one.)
    if (depth < 0) return;
    if (depth == 0) {
        seen.push_back("bottom");
        scheduler.yield_turn();
        seen.push_back("bottom again");
        return;
    }
    descend(scheduler, seen, depth - 1);
}

}  // namespace

TEST_CASE("tasks take turns round-robin, each resuming where it gave up its turn") {
    Scheduler scheduler;
    Trace seen;
    scheduler.spawn(stepper(scheduler, seen, "a", 3));
    scheduler.spawn(stepper(scheduler, seen, "b", 2));
    CHECK_MESSAGE(seen.empty(), "spawning runs nothing yet");
    scheduler.run();
    CHECK(seen == Trace{"a1", "b1", "a2", "b2", "a3"});
}

TEST_CASE("a task gives up its turn from any depth of ordinary function calls") {
    Scheduler scheduler;
    Trace seen;
    scheduler.spawn([&] { descend(scheduler, seen, 50); });
    scheduler.spawn(stepper(scheduler, seen, "other", 1));
    scheduler.run();
    CHECK(seen == Trace{"bottom", "other1", "bottom again"});
}

TEST_CASE("a task spawned by a running task joins the rotation from the next round") {
    Scheduler scheduler;
    Trace seen;
    scheduler.spawn([&] {
        seen.push_back("parent spawns");
        scheduler.spawn(stepper(scheduler, seen, "child", 2));
        scheduler.yield_turn();
        seen.push_back("parent ends");
    });
    scheduler.spawn(stepper(scheduler, seen, "sibling", 2));
    scheduler.run();
    CHECK(seen == Trace{"parent spawns", "sibling1", "parent ends", "sibling2", "child1", "child2"});
}

TEST_CASE("run() returns when every task has finished, and no stack is left behind") {
    const auto stacks_before = workbook::Greenlet::stacks_in_use();
    {
        Scheduler scheduler;
        Trace seen;
        for (int i = 0; i < 10; ++i) scheduler.spawn(stepper(scheduler, seen, "t", 3));
        scheduler.run();
        CHECK(seen.size() == 30);
        CHECK_MESSAGE(workbook::Greenlet::stacks_in_use() == stacks_before, "finished tasks must have freed their stacks");
        scheduler.run();  // nothing left to run: returns at once
    }
    CHECK(workbook::Greenlet::stacks_in_use() == stacks_before);
}

TEST_CASE("a task that throws ends alone: the others finish, then run() rethrows") {
    Scheduler scheduler;
    Trace seen;
    scheduler.spawn(stepper(scheduler, seen, "a", 3));
    scheduler.spawn([&] {
        seen.push_back("b fails");
        throw std::runtime_error("task b failed");
    });
    scheduler.spawn(stepper(scheduler, seen, "c", 2));
    CHECK_THROWS_WITH_AS(scheduler.run(), "task b failed", std::runtime_error);
    CHECK(seen == Trace{"a1", "b fails", "c1", "a2", "c2", "a3"});
}

TEST_CASE("yield_turn() outside a running task is an error") {
    Scheduler scheduler;
    CHECK_THROWS_AS(scheduler.yield_turn(), std::logic_error);
    Trace seen;
    scheduler.spawn(stepper(scheduler, seen, "a", 1));
    CHECK_THROWS_AS(scheduler.yield_turn(), std::logic_error);
    scheduler.run();
    CHECK_THROWS_AS(scheduler.yield_turn(), std::logic_error);
}

TEST_CASE("a hundred tasks count a book together, each its own share, in turns") {
    auto book = workbook::Book::default_book(200'000);
    const auto events = book.events();
    Scheduler scheduler;
    workbook::LetterTypes counts;
    constexpr std::size_t tasks = 100;
    for (std::size_t t = 0; t < tasks; ++t) {
        scheduler.spawn([&, t] {
            const std::size_t begin = events.size() * t / tasks, end = events.size() * (t + 1) / tasks;
            for (std::size_t i = begin; i < end; ++i) {
                counts.add(workbook::classify(events[i]));
                if (i % 100 == 0) scheduler.yield_turn();
            }
        });
    }
    scheduler.run();
    CHECK(counts == workbook::reference_count(events));
}
