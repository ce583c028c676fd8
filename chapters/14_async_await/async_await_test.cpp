// Chapter 14's own tests: its tasks count every event once, with local counters and with the
// counter service, up to --in-flight Futures awaited at once; a server killed mid-run fails the
// run naming it, and the program, killed or interrupted, leaves nothing behind.
#include "async_await.hpp"

#include "counter_testing.hpp"
#include "in_flight_testing.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/counter_kinds.hpp"

#include <doctest/doctest.h>

using workbook::chapter14::count_with_tasks;
using workbook::testing::check_default_book_count;
using workbook::testing::check_local_counts_in_flight;
using workbook::testing::check_local_work_count;
using workbook::testing::check_server_waits_in_flight;
using workbook::testing::check_service_killed_mid_run;
using workbook::testing::RunningProgram;
using workbook::testing::service_counter;

TEST_CASE("the tasks count every event once with local counters, however many are in flight") {
    check_local_counts_in_flight(count_with_tasks);
}

TEST_CASE("the tasks count the default book's first 200,000 events like the reference") {
    check_default_book_count(count_with_tasks);
}

TEST_CASE("with --work on local counters the tasks count the same, burning the work once per event") {
    check_local_work_count(count_with_tasks);
}

TEST_CASE("with the counter service up to --in-flight Futures are awaited at once, and the service counts each event once") {
    workbook::CounterBackend backend(service_counter(50));
    check_server_waits_in_flight(count_with_tasks, backend, workbook::Book::default_book(500), {1, 8, 100});
}

TEST_CASE("the counter service killed mid-run fails the run with one error naming it") {
    check_service_killed_mid_run(count_with_tasks, "the counter service");
}

TEST_CASE("the program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    RunningProgram program{"14_async_await", {"--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_server_death_reported();
}

TEST_CASE("the program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    RunningProgram program{"14_async_await", {"--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
    program.check_interrupted_cleanly();
}
