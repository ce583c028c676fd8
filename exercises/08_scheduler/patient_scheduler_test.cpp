// Tests of exercise 08. Run them with `./workbook check 08`.
#include "patient_scheduler.hpp"

#include "workbook/book.hpp"
#include "workbook/generator.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace exercise08;

using Trace = std::vector<std::string>;

// Says `name` and its turn on each of `turns` turns, then finishes on the next.
Thread talker(Trace& seen, std::string name, int turns) {
    co_yield {NOBODY, 0};  // primed
    for (int turn = 1; turn <= turns; ++turn) {
        seen.push_back(name + std::to_string(turn));
        co_yield {NOBODY, 0};
    }
}

// Posts each byte of `text` to `consumer`, one per turn, then finishes.
Thread sender(std::string text, Index consumer) {
    co_yield {NOBODY, 0};
    for (char c : text) co_yield {consumer, static_cast<unsigned char>(c)};
}

// Appends whatever its mailbox holds to `got`, and waits for more; never finishes.
Thread receiver(std::string& got) {
    Mailbox mailbox = co_yield {WAIT, 0};
    while (true) {
        for (unsigned char c : mailbox) got += static_cast<char>(c);
        mailbox = co_yield {WAIT, 0};
    }
}

template <typename... Threads>
std::vector<Thread> table(Threads... threads) {
    std::vector<Thread> all;
    (all.push_back(workbook::prime(std::move(threads))), ...);
    return all;
}

}  // namespace

TEST_CASE("threads of different lengths all run to their end, round-robin") {
    Trace seen;
    auto threads = table(talker(seen, "a", 1), talker(seen, "b", 2), talker(seen, "c", 3));
    Outcome outcome = schedule(threads);
    CHECK(seen == Trace{"a1", "b1", "c1", "b2", "c2", "c3"});
    CHECK(outcome.unfinished.empty());
    CHECK_MESSAGE(outcome.rounds == 4, "c finishes on its 4th turn, in the 4th round");
}

TEST_CASE("mail posted in the last round is delivered, even after its sender finished") {
    std::string got;
    // The receiver comes first: the sender's last post waits for the receiver's next turn, after
    // the sender has finished. Chapter 08's scheduler would stop there and lose it.
    auto threads = table(receiver(got), sender("abc", 0));
    Outcome outcome = schedule(threads);
    CHECK(got == "abc");
    CHECK(outcome.unfinished == std::vector<Index>{0});
}

TEST_CASE("the scheduler stops after a quiet round: no mail, every thread waiting") {
    std::string got1, got2;
    auto threads = table(receiver(got1), receiver(got2));
    Outcome outcome = schedule(threads);
    CHECK(outcome.rounds == 1);
    CHECK(outcome.unfinished == std::vector<Index>{0, 1});
}

TEST_CASE("a thread may post to itself, and that keeps it busy") {
    Trace seen;
    auto countdown = [](Trace& seen) -> Thread {
        Mailbox mailbox = co_yield {NOBODY, 0};  // primed
        mailbox = co_yield {0, 3};               // the first number, to myself
        while (true) {
            if (mailbox.empty()) {
                mailbox = co_yield {WAIT, 0};
                continue;
            }
            unsigned char n = mailbox.back();
            seen.push_back(std::to_string(n));
            if (n == 1) co_return;
            mailbox = co_yield {0, static_cast<unsigned char>(n - 1)};
        }
    };
    auto threads = table(countdown(seen));
    Outcome outcome = schedule(threads);
    CHECK(seen == Trace{"3", "2", "1"});
    CHECK(outcome.unfinished.empty());
}

TEST_CASE("a post to a name outside the table or to a finished thread is an error") {
    auto lost = table(sender("x", 5));
    CHECK_THROWS_AS(schedule(lost), std::out_of_range);
    Trace seen;
    auto late = table(talker(seen, "a", 0), sender("x", 0));
    CHECK_THROWS_AS(schedule(late), std::logic_error);
}

namespace {
Thread reader(workbook::Events book) {
    co_yield {NOBODY, 0};
    for (unsigned char c : book) co_yield {static_cast<Index>(workbook::classify(c)), c};
}
Thread counter(std::uint64_t& count) {
    Mailbox mailbox = co_yield {WAIT, 0};
    while (true) {
        count += mailbox.size();
        mailbox = co_yield {WAIT, 0};
    }
}
}  // namespace

TEST_CASE("three counters before the reader in the table count a whole book") {
    auto book = workbook::Book::default_book(20'000);
    std::uint64_t counts[3] = {0, 0, 0};
    auto threads = table(counter(counts[0]), counter(counts[1]), counter(counts[2]), reader(book.events()));
    Outcome outcome = schedule(threads);
    CHECK((workbook::LetterTypes{counts[0], counts[1], counts[2]} == workbook::reference_count(book.events())));
    CHECK(outcome.unfinished == std::vector<Index>{0, 1, 2});
}
