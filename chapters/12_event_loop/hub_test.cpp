// Chapter 12's own tests: the Waiter hands over a value or an error, before or during the wait; the
// hub's greenlets count every event once, with local counters and with the counter service, up to
// --in-flight of them waiting at once; a server killed mid-run fails the run naming it.
#include "hub.hpp"
#include "waiter.hpp"

#include "counter_testing.hpp"
#include "in_flight_testing.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <exception>
#include <stdexcept>

using workbook::Greenlet;
using workbook::chapter12::count_on_hub;
using workbook::chapter12::Waiter;
using workbook::testing::check_default_book_count;
using workbook::testing::check_local_counts_in_flight;
using workbook::testing::check_local_work_count;
using workbook::testing::check_server_waits_in_flight;
using workbook::testing::check_service_killed_mid_run;
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
