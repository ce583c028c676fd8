// Tests of exercise 09. Run them with `./workbook check 09`.
#include "dispatcher.hpp"

#include "workbook/book.hpp"
#include "workbook/generator.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using exercise09::Sink;
using workbook::LetterTypes;

// Sends every byte of `text` into `g` and returns the last yielded value.
template <typename G>
auto send_all(G& g, std::string_view text) {
    decltype(*g.send(0)) last{};
    for (char c : text) {
        auto result = g.send(static_cast<unsigned char>(c));
        REQUIRE_MESSAGE(result.has_value(), "it finished early");
        last = *result;
    }
    return last;
}

// A sink that takes `limit` events, then finishes.
Sink short_lived(int limit) {
    for (int taken = 0; taken < limit; ++taken) co_yield static_cast<std::uint64_t>(taken);
}

// A counter that records when its body starts and when its frame is destroyed.
Sink watched(std::vector<std::string>& seen) {
    struct Guard {
        std::vector<std::string>& seen;
        ~Guard() { seen.push_back("destroyed"); }
    } guard{seen};
    seen.push_back("started");
    std::uint64_t count = 0;
    while (true) {
        co_yield count;
        ++count;
    }
}

}  // namespace

TEST_CASE("distinct_counter yields how many different events it has received") {
    Sink sink = exercise09::distinct_counter();
    CHECK_MESSAGE(sink.next() == 0u, "primed, before any event: 0");
    CHECK(sink.send('a') == 1u);
    CHECK(sink.send('b') == 2u);
    CHECK_MESSAGE(sink.send('a') == 2u, "'a' again: nothing new");
    CHECK_MESSAGE(sink.send('A') == 3u, "'A' is another byte than 'a'");
}

TEST_CASE("distinct_counter tells all 256 byte values apart") {
    Sink sink = workbook::prime(exercise09::distinct_counter());
    std::uint64_t last = 0;
    for (int round = 0; round < 2; ++round)
        for (int c = 0; c < 256; ++c) last = *sink.send(static_cast<unsigned char>(c));
    CHECK(last == 256);
}

TEST_CASE("the dispatcher primes its sinks and yields their first results") {
    std::vector<std::string> seen;
    auto dispatch = exercise09::dispatcher(watched(seen), exercise09::generator_counter(), exercise09::distinct_counter());
    CHECK_MESSAGE(seen.empty(), "making the dispatcher runs nothing yet");
    CHECK(dispatch.next() == LetterTypes{0, 0, 0});
    CHECK_MESSAGE((seen == std::vector<std::string>{"started"}), "priming the dispatcher primes its sinks, once");
}

TEST_CASE("the dispatcher sends each event to the sink of its class and yields every sink's result") {
    auto dispatch = workbook::prime(exercise09::dispatcher(exercise09::generator_counter(), exercise09::generator_counter(),
                                                           exercise09::generator_counter()));
    CHECK(dispatch.send('a') == LetterTypes{1, 0, 0});
    CHECK(dispatch.send('b') == LetterTypes{1, 1, 0});
    CHECK(dispatch.send('!') == LetterTypes{1, 1, 1});
    CHECK(dispatch.send('E') == LetterTypes{2, 1, 1});
}

TEST_CASE("with distinct counters, the dispatcher tells how many different letters of each class came") {
    auto dispatch = workbook::prime(exercise09::dispatcher(exercise09::distinct_counter(), exercise09::distinct_counter(),
                                                           exercise09::distinct_counter()));
    CHECK_MESSAGE((send_all(dispatch, "banana split!") == LetterTypes{2, 6, 2}),
                  "vowels a i; consonants b n s p l t; others ' ' and '!'");
}

TEST_CASE("a sink that was started already, or that finishes, is an error, not a silent loss") {
    auto started = workbook::prime(exercise09::generator_counter());
    auto refused = exercise09::dispatcher(std::move(started), exercise09::generator_counter(), exercise09::generator_counter());
    CHECK_THROWS_AS(refused.next(), std::logic_error);

    auto dispatch = workbook::prime(exercise09::dispatcher(short_lived(2), exercise09::generator_counter(),
                                                           exercise09::generator_counter()));
    CHECK(dispatch.send('a') == LetterTypes{1, 0, 0});
    CHECK_THROWS_AS(dispatch.send('e'), std::logic_error);
}

TEST_CASE("destroying the dispatcher destroys the sinks it owns") {
    std::vector<std::string> seen;
    {
        auto dispatch = workbook::prime(exercise09::dispatcher(watched(seen), exercise09::generator_counter(),
                                                               exercise09::generator_counter()));
        dispatch.send('a');
    }
    CHECK(seen == std::vector<std::string>{"started", "destroyed"});
}

TEST_CASE("the dispatcher with three counters counts a book like chapter 09") {
    auto book = workbook::Book::default_book(100'000);
    auto dispatch = workbook::prime(exercise09::dispatcher(exercise09::generator_counter(), exercise09::generator_counter(),
                                                           exercise09::generator_counter()));
    LetterTypes last;
    for (unsigned char c : book.events()) last = *dispatch.send(c);
    CHECK(last == workbook::reference_count(book.events()));
}
