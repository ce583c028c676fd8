// Chapter 13's own tests: both styles, chains and inline_callbacks, count every event once, with
// local counters and with the counter service, up to --in-flight Deferreds waiting at once; a
// server killed mid-run fails the run naming it, and the program, killed or interrupted, leaves
// nothing behind.
#include "deferreds.hpp"

#include "books.hpp"
#include "child_testing.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"
#include "observe.hpp"
#include "running_program.hpp"

#include "workbook/book.hpp"
#include "workbook/chapter.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using workbook::chapter13::count_with_deferreds;
using workbook::chapter13::Style;
using workbook::testing::children_of;
using workbook::testing::error_of;
using workbook::testing::eventually;
using workbook::testing::every_byte_value;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::no_child_remains;
using workbook::testing::RunningProgram;
using workbook::testing::service_counter;

namespace {

constexpr Style both_styles[] = {Style::chain, Style::inline_};
const char* name_of(Style style) { return style == Style::chain ? "chain" : "inline"; }

// The most Deferreds seen waiting at once in one run, which counts like the reference.
std::size_t most_waiting(workbook::Events book, const workbook::Settings& settings, Style style) {
    std::size_t most = 0;
    CHECK(count_with_deferreds(book, settings, style, [&most](std::size_t waiting) { most = std::max(most, waiting); }) ==
          workbook::reference_count(book));
    return most;
}


}  // namespace

TEST_CASE("chains and inline_callbacks count every event once with local counters, however many are in flight") {
    const auto bytes = every_byte_value(3);
    const workbook::Events book{bytes.data(), bytes.size()};
    for (Style style : both_styles) {
        for (std::size_t in_flight : {1, 2, 100, 1000}) {
            INFO(name_of(style), ", in flight: ", in_flight);
            workbook::Settings settings;
            settings.in_flight = in_flight;
            CHECK(most_waiting(book, settings, style) == std::min(in_flight, book.size()));
        }
        CHECK(count_with_deferreds({}, workbook::Settings{}, style) == workbook::LetterTypes{});
    }
}

TEST_CASE("both styles count the default book's first 200,000 events like the reference") {
    const auto book = workbook::Book::default_book(200'000);
    for (Style style : both_styles) {
        INFO(name_of(style));
        workbook::Settings settings;
        settings.in_flight = 100;
        CHECK(count_with_deferreds(book.events(), settings, style) == workbook::reference_count(book.events()));
    }
}

TEST_CASE("with --work on local counters both styles count the same, burning the work once per event") {
    const workbook::CounterBackend work(local_work(1000));
    const auto book = workbook::Book::default_book(300);
    for (Style style : both_styles) {
        INFO(name_of(style));
        workbook::Settings settings;
        settings.counters = &work;
        settings.in_flight = 10;
        CHECK(count_with_deferreds(book.events(), settings, style) == workbook::reference_count(book.events()));
    }
}

TEST_CASE("with the counter service up to --in-flight Deferreds wait at once, and the service counts each event once") {
    workbook::CounterBackend backend(service_counter(50));
    const auto book = workbook::Book::default_book(500);
    for (Style style : both_styles) {
        for (std::size_t in_flight : {1, 8, 100}) {
            INFO(name_of(style), ", in flight: ", in_flight);
            workbook::Settings settings;
            settings.counters = &backend;
            settings.in_flight = in_flight;
            backend.reset();
            CHECK(most_waiting(book.events(), settings, style) == in_flight);
            CHECK(backend.totals() == workbook::reference_count(book.events()));
        }
    }
}

TEST_CASE("the counter service killed mid-run fails the run with one error naming it, in both styles") {
    static const auto book = workbook::Book::default_book(1'000'000);  // a call per event: it cannot end first
    for (Style style : both_styles) {
        INFO(name_of(style));
        workbook::CounterBackend backend(service_counter());
        workbook::Settings settings;
        settings.counters = &backend;
        settings.in_flight = 100;
        KillServerOnceCounting killer(backend);
        const std::string error = error_of([&] { count_with_deferreds(book.events(), settings, style); });
        CHECK(killer.killed());
        CHECK_MESSAGE(error.rfind("the counter service", 0) == 0, error);
    }
}

TEST_CASE("the program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    for (const char* variant : {"chain", "inline"}) {
        INFO(variant);
        RunningProgram program{"13_deferreds", {"--variant", variant, "--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
        program.check_server_death_reported();
    }
}

TEST_CASE("the program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    for (const char* variant : {"chain", "inline"}) {
        INFO(variant);
        RunningProgram program{"13_deferreds", {"--variant", variant, "--counter", "service", "--wait", "100", "--runs", "1", "--limit", "0"}};
        program.check_interrupted_cleanly();
    }
}
