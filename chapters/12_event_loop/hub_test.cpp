// Chapter 12's own tests: the Waiter hands over a value or an error, before or during the wait; the
// hub's greenlets count every event once, with local counters and with the counter service, up to
// --in-flight of them waiting at once, on the default stacks and on the smallest --stack-size
// takes; the moment all of them wait is recorded once they do; a server killed mid-run fails the
// run naming it.
#include "hub.hpp"
#include "waiter.hpp"

#include "counter_testing.hpp"
#include "in_flight_testing.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

using workbook::Greenlet;
using workbook::chapter12::count_on_hub;
using workbook::chapter12::Waiter;
using workbook::testing::check_default_book_count;
using workbook::testing::check_local_counts_in_flight;
using workbook::testing::check_local_work_count;
using workbook::testing::check_server_waits_in_flight;
using workbook::testing::check_service_killed_mid_run;
using workbook::testing::error_of;
using workbook::testing::every_byte_value;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::most_waiting;
using workbook::testing::RunningProgram;
using workbook::testing::service_counter;

TEST_CASE("a waiter resumes the greenlet waiting on it with the value the hub hands it") {
    Greenlet& main = Greenlet::current();
    Waiter* waiter = nullptr;
    Greenlet hub{[&] {
        CHECK(waiter->waiting());
        waiter->switch_to(42);
        main.switch_to();
    }};
    Waiter mine{hub};
    waiter = &mine;
    CHECK_FALSE(mine.waiting());
    CHECK(mine.get() == 42);
    CHECK_FALSE(mine.waiting());
}

TEST_CASE("a waiter raises the error the hub throws in the greenlet waiting on it") {
    Greenlet& main = Greenlet::current();
    Waiter* waiter = nullptr;
    Greenlet hub{[&] {
        waiter->throw_into(std::make_exception_ptr(std::runtime_error("the server has gone")));
        main.switch_to();
    }};
    Waiter mine{hub};
    waiter = &mine;
    CHECK_THROWS_WITH_AS(mine.get(), "the server has gone", std::runtime_error);
}

TEST_CASE("a value or an error handed over before the wait is kept, and get() returns it without switching") {
    Greenlet hub{[] { FAIL("get() switched to the hub"); }};
    Waiter waiter{hub};
    waiter.switch_to(7);
    CHECK(waiter.get() == 7);
    waiter.throw_into(std::make_exception_ptr(std::out_of_range("late")));
    CHECK_THROWS_AS(waiter.get(), std::out_of_range);
    CHECK_FALSE(hub.started());
}

TEST_CASE("the hub's greenlets count every event once with local counters, however many are in flight") {
    check_local_counts_in_flight(count_on_hub);
}

TEST_CASE("the hub counts the default book's first 200,000 events like the reference") {
    check_default_book_count(count_on_hub);
}

TEST_CASE("with --work on local counters the hub counts the same") {
    check_local_work_count(count_on_hub);
}

TEST_CASE("with the counter service up to --in-flight calls wait at once, and the service counts each event once") {
    workbook::CounterBackend backend(service_counter(50));
    check_server_waits_in_flight(count_on_hub, backend, workbook::Book::default_book(500), {1, 8, 100});
}

TEST_CASE("on the smallest stacks --stack-size takes, and on the bench's 32K, the greenlets count like the reference") {
    workbook::CounterBackend backend(service_counter(50));
    const workbook::CounterBackend work(local_work(1000));
    const auto book = workbook::Book::default_book(2'000);
    for (std::size_t stack_size : {Greenlet::minimum_stack_size, std::size_t{32 * 1024}}) {
        INFO("stack size: ", stack_size);
        workbook::Settings settings;
        settings.stack_size = stack_size;
        settings.in_flight = 100;
        CHECK(most_waiting(count_on_hub, book.events(), settings) == 100u);  // local counters
        settings.counters = &work;
        CHECK(count_on_hub(book.events(), settings) == workbook::reference_count(book.events()));
        settings.counters = &backend;
        backend.reset();
        CHECK(most_waiting(count_on_hub, book.events(), settings) == 100u);
        CHECK(backend.totals() == workbook::reference_count(book.events()));
    }
}

TEST_CASE("on the smallest stacks, the counter service killed mid-run still unwinds every greenlet and names it") {
    static const auto book = workbook::Book::default_book(1'000'000);
    workbook::CounterBackend backend(service_counter());
    workbook::Settings settings;
    settings.counters = &backend;
    settings.in_flight = 100;
    settings.stack_size = Greenlet::minimum_stack_size;
    const std::size_t stacks_before = Greenlet::stacks_in_use();
    KillServerOnceCounting killer(backend);
    const std::string error = error_of([&] { count_on_hub(book.events(), settings); });
    CHECK(killer.killed());
    CHECK_MESSAGE(error.rfind("the counter service", 0) == 0, error);
    CHECK(Greenlet::stacks_in_use() == stacks_before);
}

TEST_CASE("the moment all the pool's calls wait is recorded once the last of them waits, not before") {
    workbook::CounterBackend backend(service_counter(50));
    const auto bytes = every_byte_value(2);
    const workbook::Events small{bytes.data(), bytes.size()};
    const auto book = workbook::Book::default_book(500);
    struct Case {
        const workbook::CounterBackend* counters;
        workbook::Events book;
        std::size_t in_flight, pool;
    };
    for (const Case& test : {Case{nullptr, book.events(), 100, 100}, Case{&backend, book.events(), 100, 100},
                             Case{&backend, book.events(), 1, 1}, Case{&backend, small, 1'000, small.size()}}) {
        INFO("in flight: ", test.in_flight, ", events: ", test.book.size(), ", service: ", test.counters != nullptr);
        std::optional<std::chrono::steady_clock::time_point> all_started;
        workbook::Settings settings;
        settings.counters = test.counters;
        settings.in_flight = test.in_flight;
        settings.all_started = &all_started;
        std::size_t waits = 0;
        const auto before = std::chrono::steady_clock::now();
        CHECK(count_on_hub(test.book, settings, [&](std::size_t) {
            // Told before the wait it counts is recorded: the pool's last is the first seen after it.
            CHECK(all_started.has_value() == (++waits > test.pool));
        }) == workbook::reference_count(test.book));
        const auto after = std::chrono::steady_clock::now();
        REQUIRE(all_started);
        CHECK(*all_started >= before);
        CHECK(*all_started <= after);
    }
}

TEST_CASE("the counter service killed mid-run fails the run with one error naming it") {
    check_service_killed_mid_run(count_on_hub, "the counter service");
}

TEST_CASE("the program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    RunningProgram program{"12_event_loop", {"--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_server_death_reported();
}

TEST_CASE("the program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    RunningProgram program{"12_event_loop", {"--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_interrupted_cleanly();
}
