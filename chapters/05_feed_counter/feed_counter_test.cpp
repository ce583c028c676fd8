// Chapter 05's behaviour: the feed counter's running count, its stop at KILL, bounded pulls, and
// the whole count for every flush size.
#include "feed_counter.hpp"

#include "allocation_counter.hpp"
#include "books.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string_view>
#include <vector>

using namespace workbook;
using namespace workbook::chapter05;
using workbook::testing::bytes_of;

namespace {

std::vector<std::uint64_t> pull(Generator<std::uint64_t>& fc, int times) {
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < times; ++i) {
        if (auto count = fc.next()) seen.push_back(*count);
    }
    return seen;
}

}  // namespace

TEST_CASE("the queue gives its items back first in, first out, across its wrap-around") {
    EventQueue queue(2);
    std::vector<Item> out;
    queue.put('a');
    queue.put('b');
    CHECK(queue.full());
    out.push_back(queue.get());
    queue.put('c');  // goes into the slot 'a' left
    out.push_back(queue.get());
    out.push_back(queue.get());
    CHECK(out == std::vector<Item>{'a', 'b', 'c'});
    CHECK(queue.empty());
}

TEST_CASE("the queue refuses a put when full and a get when empty, changing nothing") {
    EventQueue queue(1);
    CHECK_THROWS_AS(queue.get(), std::out_of_range);
    queue.put('a');
    CHECK_THROWS_AS(queue.put('b'), std::length_error);
    CHECK(queue.size() == 1);
    CHECK(queue.get() == 'a');
}

TEST_CASE("feed_counter yields the running count, and the same count while its queue is empty") {
    EventQueue queue(4);
    workbook::CounterLink local;
    auto fc = feed_counter(queue, local);
    queue.put('a');
    queue.put('b');
    CHECK(pull(fc, 4) == std::vector<std::uint64_t>{1, 2, 2, 2});
    queue.put('c');
    CHECK(pull(fc, 2) == std::vector<std::uint64_t>{3, 3});
}

TEST_CASE("feed_counter stops at KILL and leaves what follows KILL in the queue") {
    EventQueue queue(4);
    workbook::CounterLink local;
    auto fc = feed_counter(queue, local);
    queue.put('a');
    queue.put(KILL);
    queue.put('b');
    CHECK(pull(fc, 3) == std::vector<std::uint64_t>{1});
    CHECK(fc.done());
    CHECK(queue.size() == 1);
    CHECK(queue.get() == 'b');
}

TEST_CASE("pull_counts resumes a generator that never ends at most n times, like islice") {
    EventQueue queue(8);
    workbook::CounterLink local;
    auto fc = feed_counter(queue, local);  // no KILL: it would yield forever
    for (unsigned char c : {'a', 'b', 'c', 'd', 'e', 'f', 'g'}) queue.put(c);
    CHECK(pull_counts(fc, 5, 0) == 5);
    CHECK(queue.size() == 2);  // five pulls took five events, not one more
    CHECK(pull_counts(fc, 0, 5) == 5);
    CHECK(queue.size() == 2);
    CHECK(pull_counts(fc, 10, 5) == 7);  // two events, then the unchanged count while empty
    CHECK_FALSE(fc.done());
}

TEST_CASE("pull_counts on a finished feed counter keeps the count it had") {
    EventQueue queue(2);
    workbook::CounterLink local;
    auto fc = feed_counter(queue, local);
    queue.put('a');
    queue.put(KILL);
    CHECK(pull_counts(fc, 5, 0) == 1);
    CHECK(fc.done());
    CHECK(pull_counts(fc, 5, 1) == 1);
}

TEST_CASE("count_with_feed_counters counts like the reference with every flush size") {
    auto book = bytes_of("Hello, World!\r\nA queue, a generator and KILL.\n");
    for (std::size_t flush_size : {1, 2, 3, 7, 64}) {
        INFO("flush size ", flush_size);
        CHECK(count_with_feed_counters(book, flush_size) == reference_count(book));
    }
    CHECK(count_with_feed_counters(bytes_of(""), 4) == LetterTypes{});
}

TEST_CASE("count_with_feed_counters allocates as much for a long book as for a short one") {
    std::vector<unsigned char> long_book(100'000, 'e');
    for (std::size_t i = 0; i < long_book.size(); i += 3) long_book[i] = ' ';
    auto short_count = testing::allocations_during([] { (void)count_with_feed_counters(bytes_of("ab."), 64); });
    auto long_count = testing::allocations_during([&] { (void)count_with_feed_counters(long_book, 64); });
    CHECK(long_count == short_count);
}
