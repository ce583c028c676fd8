// Chapter 14's Asio variant: its coroutines count every event once, with local counters, with the
// counter service and with Redis, up to --in-flight of them waiting at once; a server killed
// mid-run fails the run with one error naming it, and the program, killed or interrupted, leaves
// nothing behind.
#include "asio_variant.hpp"

#include "books.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"
#include "redis_testing.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/chapter.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using workbook::chapter14::count_with_asio;
using workbook::testing::error_of;
using workbook::testing::every_byte_value;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::redis_or_skip;
using workbook::testing::RunningProgram;
using workbook::testing::service_counter;

namespace {

// The most coroutines seen waiting at once in one run, which counts like the reference.
std::size_t most_waiting(workbook::Events book, const workbook::Settings& settings) {
    std::size_t most = 0;
    CHECK(count_with_asio(book, settings, [&most](std::size_t waiting) { most = std::max(most, waiting); }) ==
          workbook::reference_count(book));
    return most;
}

}  // namespace

TEST_CASE("Asio's coroutines count every event once with local counters, however many are in flight") {
    const auto bytes = every_byte_value(3);
    const workbook::Events book{bytes.data(), bytes.size()};
    for (std::size_t in_flight : {1, 2, 100, 1000}) {
        INFO("in flight: ", in_flight);
        workbook::Settings settings;
        settings.in_flight = in_flight;
        CHECK(most_waiting(book, settings) == std::min(in_flight, book.size()));
    }
    CHECK(count_with_asio({}, workbook::Settings{}) == workbook::LetterTypes{});
}

TEST_CASE("Asio's coroutines count the default book's first 200,000 events like the reference") {
    const auto book = workbook::Book::default_book(200'000);
    workbook::Settings settings;
    settings.in_flight = 100;
    CHECK(count_with_asio(book.events(), settings) == workbook::reference_count(book.events()));
}

TEST_CASE("with --work on local counters Asio's coroutines count the same") {
    const workbook::CounterBackend work(local_work(1000));
    const auto book = workbook::Book::default_book(300);
    workbook::Settings settings;
    settings.counters = &work;
    settings.in_flight = 10;
    CHECK(count_with_asio(book.events(), settings) == workbook::reference_count(book.events()));
}

TEST_CASE("with the counter service up to --in-flight coroutines wait at once on one socket, and the service counts each event once") {
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
    workbook::Settings settings;
    settings.counters = &backend;
    backend.reset();
    CHECK(count_with_asio({}, settings) == workbook::LetterTypes{});  // connects, counts nothing, ends
    CHECK(backend.totals() == workbook::LetterTypes{});
}

TEST_CASE("with Redis Asio's coroutines pipeline their calls, and Redis counts each event once") {
    if (!redis_or_skip()) return;
    workbook::CounterSettings asked;
    asked.kind = workbook::CounterKind::redis;
    workbook::CounterBackend backend(asked);
    const auto book = workbook::Book::default_book(5'000);
    for (std::size_t in_flight : {1, 100}) {
        INFO("in flight: ", in_flight);
        workbook::Settings settings;
        settings.counters = &backend;
        settings.in_flight = in_flight;
        backend.reset();
        CHECK(most_waiting(book.events(), settings) == in_flight);
        CHECK(backend.totals() == workbook::reference_count(book.events()));
    }
}

TEST_CASE("the counter service killed mid-run fails Asio's run with one error naming it") {
    static const auto book = workbook::Book::default_book(1'000'000);  // a call per event: it cannot end first
    workbook::CounterBackend backend(service_counter());
    workbook::Settings settings;
    settings.counters = &backend;
    settings.in_flight = 100;
    KillServerOnceCounting killer(backend);
    const std::string error = error_of([&] { count_with_asio(book.events(), settings); });
    CHECK(killer.killed());
    CHECK_MESSAGE(error.rfind("the counter service closed the connection", 0) == 0, error);
}

TEST_CASE("the Asio variant's program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    RunningProgram program{"14_async_await", {"--variant", "asio", "--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_server_death_reported();
}

TEST_CASE("the Asio variant's program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    RunningProgram program{"14_async_await", {"--variant", "asio", "--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_interrupted_cleanly();
}
