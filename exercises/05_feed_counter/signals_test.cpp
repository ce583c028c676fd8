// Tests of exercise 05. Run them with `./workbook check 05`.
#include "signals.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace {

using exercise05::EMPTY;
using exercise05::Generator;
using exercise05::KILL;
using exercise05::Signal;

// One pull of a feed counter, as text: "3", "EMPTY", or "end" (it finished).
std::string pull(Generator<Signal>& fc) {
    std::optional<Signal> signal = fc.next();
    if (!signal) return "end";
    if (std::holds_alternative<exercise05::Empty>(*signal)) return "EMPTY";
    return std::to_string(std::get<std::uint64_t>(*signal));
}

template <typename Y>
std::vector<Y> all_of(Generator<Y> values) {
    std::vector<Y> all;
    while (std::optional<Y> value = values.next()) all.push_back(*value);
    return all;
}

// 0, 1, 2, ... counting in `pulls` how many times it was resumed for a value.
Generator<int> naturals(int& pulls) {
    for (int i = 0;; ++i) {
        ++pulls;
        co_yield i;
    }
}

Generator<int> two_values() {
    co_yield 10;
    co_yield 20;
}

}  // namespace

TEST_CASE("feed_counter yields the running count per event, and EMPTY when its queue is empty") {
    std::deque<exercise05::Item> queue{'a', 'b'};
    auto fc = exercise05::feed_counter(queue);
    CHECK(pull(fc) == "1");
    CHECK(pull(fc) == "2");
    CHECK(pull(fc) == "EMPTY");
    CHECK_MESSAGE(pull(fc) == "EMPTY", "an empty queue does not end the feed counter");
    queue.push_back('c');
    CHECK_MESSAGE(pull(fc) == "3", "the count goes on when events arrive again");
}

TEST_CASE("feed_counter takes nothing before it is pulled, and nothing after KILL") {
    std::deque<exercise05::Item> queue{'a', KILL, 'b'};
    auto fc = exercise05::feed_counter(queue);
    CHECK_MESSAGE(queue.size() == 3, "creating the generator must not run it");
    CHECK(pull(fc) == "1");
    CHECK(pull(fc) == "end");
    CHECK(fc.done());
    CHECK_MESSAGE((queue == std::deque<exercise05::Item>{'b'}), "the item after KILL stays in the queue");
    CHECK(pull(fc) == "end");
}

TEST_CASE("until_empty drains exactly what is queued, then stops at EMPTY") {
    std::deque<exercise05::Item> queue{'a', 'b', 'c'};
    auto fc = exercise05::feed_counter(queue);
    CHECK(all_of(exercise05::until_empty(fc)) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK_MESSAGE(!fc.done(), "EMPTY is not the end of the feed counter");
    CHECK(all_of(exercise05::until_empty(fc)).empty());
    queue.insert(queue.end(), {'d', 'e'});
    CHECK(all_of(exercise05::until_empty(fc)) == std::vector<std::uint64_t>{4, 5});
}

TEST_CASE("until_empty stops when the feed counter ends at KILL") {
    std::deque<exercise05::Item> queue{'a', KILL};
    auto fc = exercise05::feed_counter(queue);
    CHECK(all_of(exercise05::until_empty(fc)) == std::vector<std::uint64_t>{1});
    CHECK(fc.done());
    CHECK(all_of(exercise05::until_empty(fc)).empty());
}

TEST_CASE("take yields at most n values and never pulls one more") {
    int pulls = 0;
    auto source = naturals(pulls);
    CHECK(all_of(exercise05::take(source, 3)) == std::vector<int>{0, 1, 2});
    CHECK_MESSAGE(pulls == 3, "take(source, 3) resumed the source ", pulls, " times");
    CHECK_MESSAGE((all_of(exercise05::take(source, 2)) == std::vector<int>{3, 4}), "the source goes on where take stopped");
    CHECK(all_of(exercise05::take(source, 0)).empty());
    CHECK(pulls == 5);
    auto short_source = two_values();
    CHECK_MESSAGE((all_of(exercise05::take(short_source, 5)) == std::vector<int>{10, 20}), "a shorter source ends take early");
}

TEST_CASE("take over until_empty flushes at most n queued events at a time") {
    std::deque<exercise05::Item> queue{'a', 'b', 'c', 'd', 'e'};
    auto fc = exercise05::feed_counter(queue);
    auto drain = exercise05::until_empty(fc);
    CHECK(all_of(exercise05::take(drain, 2)) == std::vector<std::uint64_t>{1, 2});
    CHECK(queue.size() == 3);
    CHECK(all_of(exercise05::take(drain, 2)) == std::vector<std::uint64_t>{3, 4});
    CHECK(all_of(exercise05::take(drain, 2)) == std::vector<std::uint64_t>{5});
}

TEST_CASE("three feed counters drained with until_empty count a book exactly") {
    auto book = workbook::Book::default_book(20'000);
    std::deque<exercise05::Item> queues[3];
    std::vector<Generator<Signal>> counters;
    for (auto& queue : queues) counters.push_back(exercise05::feed_counter(queue));
    std::uint64_t counts[3] = {0, 0, 0};
    auto drain = [&](int i) {
        for (auto it = exercise05::until_empty(counters[static_cast<std::size_t>(i)]); auto count = it.next();)
            counts[i] = *count;
    };
    std::size_t seen = 0;
    for (unsigned char c : book.events()) {
        queues[static_cast<int>(workbook::classify(c))].push_back(c);
        if (++seen % 64 == 0)
            for (int i = 0; i < 3; ++i) drain(i);
    }
    for (int i = 0; i < 3; ++i) {
        queues[i].push_back(KILL);
        drain(i);
        CHECK(counters[static_cast<std::size_t>(i)].done());
    }
    CHECK((workbook::LetterTypes{counts[0], counts[1], counts[2]} == workbook::reference_count(book.events())));
}
