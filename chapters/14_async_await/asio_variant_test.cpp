// Chapter 14's Asio variant: its coroutines count every event once, with local counters, with the
// counter service and with Redis, up to --in-flight of them waiting at once; a server killed
// mid-run fails the run with one error naming it, and the program, killed or interrupted, leaves
// nothing behind.
#include "asio_variant.hpp"

#include "counter_testing.hpp"
#include "in_flight_testing.hpp"
#include "redis_testing.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <doctest/doctest.h>

using workbook::chapter14::count_with_asio;
using workbook::testing::check_default_book_count;
using workbook::testing::check_local_counts_in_flight;
using workbook::testing::check_local_work_count;
using workbook::testing::check_server_waits_in_flight;
using workbook::testing::check_service_killed_mid_run;
using workbook::testing::redis_or_skip;
using workbook::testing::RunningProgram;
using workbook::testing::service_counter;

TEST_CASE("Asio's coroutines count every event once with local counters, however many are in flight") {
    check_local_counts_in_flight(count_with_asio);
}

TEST_CASE("Asio's coroutines count the default book's first 200,000 events like the reference") {
    check_default_book_count(count_with_asio);
}

TEST_CASE("with --work on local counters Asio's coroutines count the same") {
    check_local_work_count(count_with_asio);
}

TEST_CASE("with the counter service up to --in-flight coroutines wait at once on one socket, and the service counts each event once") {
    workbook::CounterBackend backend(service_counter(50));
    check_server_waits_in_flight(count_with_asio, backend, workbook::Book::default_book(500), {1, 8, 100});
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
    check_server_waits_in_flight(count_with_asio, backend, workbook::Book::default_book(5'000), {1, 100});
}

TEST_CASE("the counter service killed mid-run fails Asio's run with one error naming it") {
    check_service_killed_mid_run(count_with_asio, "the counter service closed the connection");
}

TEST_CASE("the Asio variant's program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    RunningProgram program{"14_async_await", {"--variant", "asio", "--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_server_death_reported();
}

TEST_CASE("the Asio variant's program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    RunningProgram program{"14_async_await", {"--variant", "asio", "--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_interrupted_cleanly();
}
