// Chapter 10's behaviour: the talk's pairs() refactoring, sends reaching the innermost counter,
// return values arriving as the value of the delegation, any depth, and what allocates.
#include "delegation.hpp"

#include "allocation_counter.hpp"
#include "books.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace workbook;
using namespace workbook::chapter10;
using workbook::testing::bytes_of;

namespace {

std::vector<Pair> all_of(Generator<Pair> generator) {
    std::vector<Pair> seen;
    for (Pair pair : generator) seen.push_back(pair);
    return seen;
}

// What each send of `items` into `counter` returned (nullopt: it finished).
template <typename Return>
std::vector<std::optional<std::uint64_t>> send_all(Counting<Return>& counter, std::vector<Item> items) {
    std::vector<std::optional<std::uint64_t>> replies;
    for (Item item : items) replies.push_back(counter.send(item));
    return replies;
}

using Replies = std::vector<std::optional<std::uint64_t>>;

}  // namespace

TEST_CASE("pairs() yields the same pairs in the same order before and after the refactoring") {
    const std::vector<Pair> expected{{1, 'a'}, {1, 'b'}, {2, 'a'}, {2, 'b'}, {3, 'a'}, {3, 'b'}};
    CHECK(all_of(pairs_nested()) == expected);
    CHECK(all_of(pairs()) == expected);
    CHECK(all_of(subloop(7)) == std::vector<Pair>{{7, 'a'}, {7, 'b'}});
}

TEST_CASE("the demonstration prints the six pairs of both versions") {
    std::ostringstream out;
    demonstrate(out);
    CHECK(out.str() ==
          "nested loops:       (1, 'a') (1, 'b') (2, 'a') (2, 'b') (3, 'a') (3, 'b')\n"
          "yield from subloop: (1, 'a') (1, 'b') (2, 'a') (2, 'b') (3, 'a') (3, 'b')");
}

TEST_CASE("a line counter counts its line, newline included, and returns the counts at the newline") {
    auto line = prime(line_counter());
    CHECK(send_all(line, {'a', 'b', '\n'}) == Replies{1, 2, std::nullopt});
    CHECK(line.result().counts == LetterTypes{1, 1, 1});
    CHECK_FALSE(line.result().book_ended);
}

TEST_CASE("a line counter that receives KILL returns its counts and says the book ended") {
    auto line = prime(line_counter());
    CHECK(send_all(line, {'x', KILL}) == Replies{1, std::nullopt});
    CHECK(line.result().counts == LetterTypes{0, 1, 0});
    CHECK(line.result().book_ended);
}

TEST_CASE("sends into the book counter reach its line counter, and each line's counts come back") {
    auto book = prime(book_counter());
    // The replies are the line counter's: its count so far, 0 from the next line's counter at '\n'.
    CHECK(send_all(book, {'a', 'b', '\n', 'c', KILL}) == Replies{1, 2, 0, 1, std::nullopt});
    CHECK(book.result() == LetterTypes{1, 2, 1});
}

TEST_CASE("a run counter returns the run's length and the item that ended the run") {
    auto run = prime(run_counter(Letter::vowel));  // primed: it has counted the run's first vowel
    CHECK(send_all(run, {'e', 'i', 'x'}) == Replies{2, 3, std::nullopt});
    CHECK(run.result().count == 3);
    CHECK(run.result().next == 'x');
}

TEST_CASE("the dispatcher delegates each run to a run counter and adds up what they return") {
    auto counter = prime(dispatcher());
    // Each reply is the current run counter's count: a new run starts again at 1.
    CHECK(send_all(counter, {'a', 'e', 'x', '!', '?', 'o', KILL}) == Replies{1, 2, 1, 1, 2, 1, std::nullopt});
    CHECK(counter.result() == LetterTypes{3, 1, 2});
}

TEST_CASE("every counting generator counts a text like the reference count") {
    auto text = bytes_of("Hello, World!\r\nyield from hands the work\nto a subgenerator.\n\nNo newline at the end");
    CHECK(count_by_delegation(text, book_counter()) == reference_count(text));
    CHECK(count_by_delegation(text, dispatcher()) == reference_count(text));
    CHECK(count_by_delegation(text, nested(3, book_counter())) == reference_count(text));
    CHECK(count_by_delegation(text, nested(3, dispatcher())) == reference_count(text));
    CHECK(count_by_delegation(bytes_of(""), book_counter()) == LetterTypes{});
    CHECK(count_by_delegation(bytes_of(""), dispatcher()) == LetterTypes{});
}

TEST_CASE("a counter under 10,000 levels of delegation counts the same and its replies pass through") {
    auto deep = prime(nested(10'000, book_counter()));
    CHECK(send_all(deep, {'a', '\n', 'b', KILL}) == Replies{1, 0, 1, std::nullopt});
    CHECK(deep.result() == LetterTypes{1, 1, 1});
}

TEST_CASE("the book counter allocates one frame per line, none per event") {
    std::vector<unsigned char> long_line(100'000, 'e');
    for (std::size_t i = 0; i < long_line.size(); i += 3) long_line[i] = ' ';
    auto short_line = bytes_of("ab.");
    auto short_count = testing::allocations_during([&] { (void)count_by_delegation(short_line, book_counter()); });
    auto long_count = testing::allocations_during([&] { (void)count_by_delegation(long_line, book_counter()); });
    CHECK(long_count == short_count);
    auto two_lines = bytes_of("ab.\ncd.");
    CHECK(testing::allocations_during([&] { (void)count_by_delegation(two_lines, book_counter()); }) == short_count + 1);
}

TEST_CASE("the dispatcher allocates one frame per run, none per event of a run") {
    std::vector<unsigned char> long_run(100'000, 'e');
    auto short_run = bytes_of("e");
    auto short_count = testing::allocations_during([&] { (void)count_by_delegation(short_run, dispatcher()); });
    auto long_count = testing::allocations_during([&] { (void)count_by_delegation(long_run, dispatcher()); });
    CHECK(long_count == short_count);
    auto two_runs = bytes_of("ex");
    CHECK(testing::allocations_during([&] { (void)count_by_delegation(two_runs, dispatcher()); }) == short_count + 1);
}
