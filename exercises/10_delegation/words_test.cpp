// Tests of exercise 10. Run them with `./workbook check 10`.
#include "words.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace exercise10;
using Words = Counting<std::vector<std::uint64_t>>;

// What a caller does to the generator: send an item, or throw something into it.
struct Step {
    enum Kind { send, restart, fail } kind;
    Item item = 0;
};

std::vector<Step> sends(std::string_view text, bool kill = true) {
    std::vector<Step> steps;
    for (char c : text) steps.push_back({Step::send, static_cast<unsigned char>(c)});
    if (kill) steps.push_back({Step::send, KILL});
    return steps;
}

// Primes `g`, takes the steps, and tells what each returned, as one line: the yields, "end" when it
// finished, what it threw, and its result.
std::string run(Words g, const std::vector<Step>& steps) {
    std::string trace = "primed:" + std::to_string(g.next().value_or(999));
    for (const Step& step : steps) {
        if (g.done()) break;
        try {
            std::optional<std::uint64_t> yielded;
            switch (step.kind) {
                case Step::send: yielded = g.send(step.item); break;
                case Step::restart: trace += " restart"; yielded = g.throw_into(Restart{}); break;
                case Step::fail: trace += " fail"; yielded = g.throw_into(std::runtime_error("boom")); break;
            }
            trace += yielded ? " " + std::to_string(*yielded) : " end";
        } catch (const std::exception& error) {
            trace += std::string(" threw:") + error.what();
        }
    }
    if (g.done() && g.started()) {
        try {
            trace += " result:";
            for (std::uint64_t length : g.result()) trace += " " + std::to_string(length);
        } catch (const std::logic_error&) {
            trace += " none";
        }
    }
    return trace;
}

}  // namespace

TEST_CASE("word() counts one word and returns it with the item that ended it") {
    auto w = word();
    CHECK(w.next() == 0u);
    CHECK(w.send('h') == 1u);
    CHECK(w.send('i') == 2u);
    CHECK(w.send('!') == std::nullopt);
    REQUIRE(w.done());
    CHECK(w.result().letters == 2);
    CHECK(w.result().end == '!');
}

TEST_CASE("word() returns at once on a separator, and at KILL") {
    auto space = word();
    space.next();
    CHECK(space.send(' ') == std::nullopt);
    CHECK(space.result().letters == 0);
    auto kill = word();
    kill.next();
    kill.send('a');
    CHECK(kill.send(KILL) == std::nullopt);
    CHECK(kill.result().letters == 1);
    CHECK(kill.result().end == KILL);
}

TEST_CASE("words() yields and returns what words_in_one_piece() does, send for send") {
    const auto steps = sends("To be, or not to be: that is the question.");
    const std::string expected = run(words_in_one_piece(), steps);
    CHECK(expected.ends_with("result: 2 2 2 3 2 2 4 2 3 8"));  // the given generator, as a reference
    CHECK(run(words(), steps) == expected);
}

TEST_CASE("words() keeps throw working: a Restart drops the current word, as in one piece") {
    std::vector<Step> steps = sends("helo", false);
    steps.push_back({Step::restart});  // a typo: start the word again
    for (Step step : sends("hello wrld", false)) steps.push_back(step);
    steps.push_back({Step::restart});
    steps.push_back({Step::restart});  // twice in a row: the new word is empty, and dropped again
    for (Step step : sends("world")) steps.push_back(step);
    const std::string expected = run(words_in_one_piece(), steps);
    CHECK(expected.ends_with("result: 5 5"));
    CHECK(run(words(), steps) == expected);
}

TEST_CASE("an exception other than Restart goes out through words(), which is then finished") {
    std::vector<Step> steps = sends("ab", false);
    steps.push_back({Step::fail});
    steps.push_back({Step::send, 'c'});
    const std::string expected = run(words_in_one_piece(), steps);
    CHECK(expected == "primed:0 1 2 fail threw:boom result: none");
    CHECK(run(words(), steps) == expected);
}

TEST_CASE("a long script of sends and restarts: the two agree at every step") {
    std::vector<Step> steps;
    std::uint32_t random = 12345;
    const std::string_view alphabet = "etaoin shrdlu,.\n\x80";
    for (int i = 0; i < 5'000; ++i) {
        random = random * 1664525 + 1013904223;
        std::uint32_t pick = (random >> 8) % 100;
        if (pick < 3) steps.push_back({Step::restart});
        else steps.push_back({Step::send, static_cast<unsigned char>(alphabet[pick % alphabet.size()])});
    }
    steps.push_back({Step::send, KILL});
    CHECK(run(words(), steps) == run(words_in_one_piece(), steps));
}

TEST_CASE("closing words() in the middle of a word ends it quietly") {
    auto g = words();
    g.next();
    g.send('a');
    g.close();
    CHECK(g.done());
}
