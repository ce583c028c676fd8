// Checks for the chapters that keep up to --in-flight counter calls waiting on one loop (chapter
// 12's hub, chapter 14's tasks and its Asio variant): each takes the chapter's counting function,
// which reports how many calls wait at once, and asserts what every such chapter must do.
#pragma once

#include "books.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"

#include "workbook/book.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace workbook::testing {

// A chapter's way of counting that keeps calls in flight: `on_wait` is called with how many wait.
using CountInFlight = LetterTypes (*)(Events book, const Settings& settings,
                                      const std::function<void(std::size_t waiting)>& on_wait);

// The most calls seen waiting at once in one run, which counts like the reference.
inline std::size_t most_waiting(CountInFlight count, Events book, const Settings& settings) {
    std::size_t most = 0;
    CHECK(count(book, settings, [&most](std::size_t waiting) { most = std::max(most, waiting); }) ==
          reference_count(book));
    return most;
}

// Every byte value, with local counters: counted once each however many are in flight, and as
// many wait at once as are in flight, up to the book's size; an empty book counts nothing.
inline void check_local_counts_in_flight(CountInFlight count) {
    const auto bytes = every_byte_value(3);
    const Events book{bytes.data(), bytes.size()};
    for (std::size_t in_flight : {1, 2, 100, 1000}) {
        INFO("in flight: ", in_flight);
        Settings settings;
        settings.in_flight = in_flight;
        CHECK(most_waiting(count, book, settings) == std::min(in_flight, book.size()));
    }
    CHECK(count({}, Settings{}, {}) == LetterTypes{});
}

// The default book's first 200,000 events, 100 in flight, counted like the reference.
inline void check_default_book_count(CountInFlight count) {
    const auto book = Book::default_book(200'000);
    Settings settings;
    settings.in_flight = 100;
    CHECK(count(book.events(), settings, {}) == reference_count(book.events()));
}

// --work on local counters changes nothing in the count.
inline void check_local_work_count(CountInFlight count) {
    const CounterBackend work(local_work(1000));
    const auto book = Book::default_book(300);
    Settings settings;
    settings.counters = &work;
    settings.in_flight = 10;
    CHECK(count(book.events(), settings, {}) == reference_count(book.events()));
}

// With `backend`'s server, for each of `in_flights`: exactly that many calls wait at once, and the
// server counts each event of `book` once.
inline void check_server_waits_in_flight(CountInFlight count, CounterBackend& backend, const Book& book,
                                         std::initializer_list<std::size_t> in_flights) {
    for (std::size_t in_flight : in_flights) {
        INFO("in flight: ", in_flight);
        Settings settings;
        settings.counters = &backend;
        settings.in_flight = in_flight;
        backend.reset();
        CHECK(most_waiting(count, book.events(), settings) == in_flight);
        CHECK(backend.totals() == reference_count(book.events()));
    }
}

// The counter service killed once the run is under way fails the run with one error, which starts
// with `message_start`.
inline void check_service_killed_mid_run(CountInFlight count, std::string_view message_start) {
    static const auto book = Book::default_book(1'000'000);  // a call per event: it cannot end first
    CounterBackend backend(service_counter());
    Settings settings;
    settings.counters = &backend;
    settings.in_flight = 100;
    KillServerOnceCounting killer(backend);
    const std::string error = error_of([&] { count(book.events(), settings, {}); });
    CHECK(killer.killed());
    CHECK_MESSAGE(error.rfind(message_start, 0) == 0, error);
}

}  // namespace workbook::testing
