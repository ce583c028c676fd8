// Chapter 12's own tests: the Waiter hands over a value or an error, before or during the wait; the
// hub's greenlets count every event once, with local counters and with the counter service, up to
// --in-flight of them waiting at once; a server killed mid-run fails the run naming it.
#include "hub.hpp"
#include "waiter.hpp"

#include "books.hpp"
#include "child_testing.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"
#include "observe.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/chapter.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using workbook::Greenlet;
using workbook::chapter12::count_on_hub;
using workbook::chapter12::Waiter;
using workbook::testing::children_of;
using workbook::testing::error_of;
using workbook::testing::eventually;
using workbook::testing::no_child_remains;
using workbook::testing::every_byte_value;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::RunningProgram;
using workbook::testing::service_counter;

namespace {

// The most greenlets seen waiting on the hub at once in one run.
std::size_t most_waiting(workbook::Events book, const workbook::Settings& settings) {
    std::size_t most = 0;
    CHECK(count_on_hub(book, settings, [&most](std::size_t waiting) { most = std::max(most, waiting); }) ==
          workbook::reference_count(book));
    return most;
}


}  // namespace

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
    const auto bytes = every_byte_value(3);
    const workbook::Events book{bytes.data(), bytes.size()};
    for (std::size_t in_flight : {1, 2, 100, 1000}) {
        INFO("in flight: ", in_flight);
        workbook::Settings settings;
        settings.in_flight = in_flight;
        CHECK(most_waiting(book, settings) == std::min(in_flight, book.size()));
    }
    CHECK(count_on_hub({}, workbook::Settings{}) == workbook::LetterTypes{});
}

TEST_CASE("the hub counts the default book's first 200,000 events like the reference") {
    const auto book = workbook::Book::default_book(200'000);
    workbook::Settings settings;
    settings.in_flight = 100;
    CHECK(count_on_hub(book.events(), settings) == workbook::reference_count(book.events()));
}

TEST_CASE("with --work on local counters the hub counts the same") {
    const workbook::CounterBackend work(local_work(1000));
    const auto book = workbook::Book::default_book(300);
    workbook::Settings settings;
    settings.counters = &work;
    settings.in_flight = 10;
    CHECK(count_on_hub(book.events(), settings) == workbook::reference_count(book.events()));
}

TEST_CASE("with the counter service up to --in-flight calls wait at once, and the service counts each event once") {
    workbook::CounterBackend backend(service_counter(50));
    const auto book = workbook::Book::default_book(500);
    for (std::size_t in_flight : {1, 8, 100}) {
        INFO("in flight: ", in_flight);
        workbook::Settings settings;
        settings.counters = &backend;
        settings.in_flight = in_flight;
        backend.reset();
        CHECK(most_waiting(book.events(), settings) == in_flight);
        CHECK(backend.totals() == workbook::reference_count(book.events()));
    }
}

TEST_CASE("the counter service killed mid-run fails the run with one error naming it") {
    static const auto book = workbook::Book::default_book(1'000'000);  // a call per event: it cannot end first
    workbook::CounterBackend backend(service_counter());
    workbook::Settings settings;
    settings.counters = &backend;
    settings.in_flight = 100;
    KillServerOnceCounting killer(backend);
    const std::string error = error_of([&] { count_on_hub(book.events(), settings); });
    CHECK(killer.killed());
    CHECK_MESSAGE(error.rfind("the counter service", 0) == 0, error);
}

TEST_CASE("the program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    RunningProgram program{"12_event_loop", {"--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_server_death_reported();
}

TEST_CASE("the program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    RunningProgram program{"12_event_loop", {"--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_interrupted_cleanly();
}
