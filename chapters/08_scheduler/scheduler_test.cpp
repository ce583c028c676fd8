// Chapter 08's behaviour: round-robin turns, mailboxes that hold posts until the consumer's turn,
// no turn for a thread that waits for mail until mail arrives, the stops, and the count.
#include "scheduler.hpp"

#include "allocation_counter.hpp"
#include "books.hpp"

#include <doctest/doctest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace workbook;
using namespace workbook::chapter08;
using workbook::testing::bytes_of;

namespace {

std::string text_of(Mailbox mailbox) { return {mailbox.begin(), mailbox.end()}; }

// Records `name:<mailbox>` on each turn and yields the posts of `plan` in turn; then finishes.
Thread recorder(std::string name, std::vector<Post> plan, std::vector<std::string>& seen) {
    Mailbox mailbox = co_yield {NOBODY, 0};
    for (Post post : plan) {
        seen.push_back(name + ":" + text_of(mailbox));
        mailbox = co_yield Post{post};
    }
    seen.push_back(name + ":" + text_of(mailbox) + " ends");
}

}  // namespace

TEST_CASE("threads take turns in table order, posts wait in the consumer's mailbox until its turn, and a thread that posts nothing keeps its turn") {
    std::vector<std::string> seen;
    std::array<Thread, 3> threads{
        prime(recorder("a", {{1, 'x'}, {0, 's'}}, seen)),                     // to b, then to itself
        prime(recorder("b", {{0, 'y'}, {NOBODY, 0}, {NOBODY, 0}}, seen)),     // to a, then nothing
        prime(recorder("c", {{0, 'z'}, {1, 'w'}, {NOBODY, 0}}, seen)),        // to a, then to b
    };
    thread_scheduler(threads);
    CHECK(seen == std::vector<std::string>{
                      "a:", "b:x", "c:",       // x reaches b in the same round; y and z wait for a
                      "a:yz", "b:", "c:",      // a gets both, oldest first; b posted nothing, yet runs
                      "a:s ends",              // a finishes: the scheduler stops before b and c
                  });
    CHECK_FALSE(threads[1].done());
    CHECK_FALSE(threads[2].done());
}

TEST_CASE("a thread that waits for mail skips its turns until mail arrives, while a thread that posts nothing keeps its turn") {
    std::vector<std::string> seen;
    std::array<Thread, 3> threads{
        prime(recorder("a", {{WAIT, 0}, {WAIT, 0}, {1, 'x'}, {WAIT, 0}, {WAIT, 0}}, seen)),
        prime(recorder("b", {{0, 'y'}, {WAIT, 0}, {WAIT, 0}, {WAIT, 0}}, seen)),
        prime(recorder("c", {{2, 's'}, {NOBODY, 0}, {0, 'z'}, {NOBODY, 0}, {NOBODY, 0}}, seen)),
    };
    thread_scheduler(threads);
    CHECK(seen == std::vector<std::string>{
                      "a:", "b:", "c:",     // a waits; b posts y to a; c posts s to itself
                      "a:y", "b:", "c:s",   // y wakes a, which waits again; b waits; c posts nothing
                      "c:",                 // a and b are skipped; c keeps its turn and posts z to a
                      "a:z", "b:x", "c:",   // z wakes a, whose x wakes b in the same round
                      "a:", "c:",           // a posted last time, so it runs, and waits; b is skipped
                      "c: ends",            // c finishes: the scheduler stops
                  });
    CHECK_FALSE(threads[0].done());
    CHECK_FALSE(threads[1].done());
    CHECK(threads[2].done());
}

TEST_CASE("the scheduler stops when every thread waits for mail with an empty mailbox") {
    std::vector<std::string> seen;
    std::array<Thread, 2> threads{prime(recorder("a", {{WAIT, 0}, {WAIT, 0}}, seen)),
                                  prime(recorder("b", {{WAIT, 0}, {WAIT, 0}}, seen))};
    thread_scheduler(threads);
    CHECK(seen == std::vector<std::string>{"a:", "b:"});
    CHECK_FALSE(threads[0].done());
    CHECK_FALSE(threads[1].done());
}

TEST_CASE("a post to a thread outside the table is an error") {
    std::vector<std::string> seen;
    std::array<Thread, 1> threads{prime(recorder("a", {{3, 'x'}}, seen))};
    CHECK_THROWS_AS(thread_scheduler(threads), std::out_of_range);
    CHECK(seen == std::vector<std::string>{"a:"});
}

TEST_CASE("a thread that was not primed is refused its first mailbox") {
    std::vector<std::string> seen;
    std::array<Thread, 1> threads{recorder("a", {{NOBODY, 0}}, seen)};
    CHECK_THROWS_AS(thread_scheduler(threads), GeneratorError);
    CHECK(seen.empty());
}

TEST_CASE("a counter thread counts every event of its mailbox, then waits for mail") {
    Counter vowel{"vowel"};
    workbook::CounterLink local;
    auto thread = prime(counter(vowel, local));
    const unsigned char mailbox[] = {'a', 'e', 'i'};
    auto post = thread.send(Mailbox(mailbox));
    REQUIRE(post);
    CHECK(post->consumer == WAIT);
    CHECK(vowel.count == 3);
    thread.send(Mailbox());
    CHECK(vowel.count == 3);
}

TEST_CASE("a counter thread of the talk's round robin counts its mailbox and posts nothing") {
    Counter vowel{"vowel"};
    workbook::CounterLink local;
    auto thread = prime(counter(vowel, local, NOBODY));
    const unsigned char mailbox[] = {'a', 'e'};
    auto post = thread.send(Mailbox(mailbox));
    REQUIRE(post);
    CHECK(post->consumer == NOBODY);
    CHECK(vowel.count == 2);
}

TEST_CASE("the reader posts one event per turn to the counter of its class") {
    auto read = prime(reader(bytes_of("a b")));
    std::vector<std::pair<Index, char>> posts;
    while (auto post = read.send(Mailbox())) posts.emplace_back(post->consumer, static_cast<char>(post->data));
    CHECK(posts == std::vector<std::pair<Index, char>>{{VOWEL, 'a'}, {OTHER, ' '}, {CONSONANT, 'b'}});
}

TEST_CASE("count_on_scheduler counts like the reference count") {
    auto book = bytes_of("Hello, World!\r\nWeightless threads take turns; data waits in mailboxes.\n");
    CHECK(count_on_scheduler(book) == reference_count(book));
    CHECK(count_on_scheduler(book, NOBODY) == reference_count(book));
    CHECK(count_on_scheduler(bytes_of("")) == LetterTypes{});
    CHECK(count_on_scheduler(bytes_of(""), NOBODY) == LetterTypes{});
}

TEST_CASE("count_on_scheduler allocates as much for a long book as for a short one") {
    std::vector<unsigned char> long_book(100'000, 'e');
    for (std::size_t i = 0; i < long_book.size(); i += 3) long_book[i] = ' ';
    auto short_count = testing::allocations_during([] { (void)count_on_scheduler(bytes_of("ab.")); });
    auto long_count = testing::allocations_during([&] { (void)count_on_scheduler(long_book); });
    CHECK(long_count == short_count);
}
