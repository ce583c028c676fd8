// Tests of exercise 07. Run them with `./workbook check 07`.
#include "decorator.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace exercise07;

using Trace = std::vector<std::string>;

std::string word(unsigned char c) { return std::string(1, static_cast<char>(c)); }

// Records what happens, to show how far the decorator ran the body.
CoRoutine echo(Trace& seen, std::string name) {
    seen.push_back(name + " starts");
    unsigned char data = co_yield {0, 0};  // primed: waits here for the first send
    seen.push_back(name + " got " + word(data));
    co_yield {0, data};
    seen.push_back(name + " ends");
}

CoRoutine finishes_at_once(Trace& seen) {
    seen.push_back("ran");
    co_return;
}

// The talk's routines, each starting with the same priming yield, so the decorator fits both; the
// start routine's data arrives by the trampoline's first send instead of as an argument.
CoRoutine routine1(Trace& seen) {
    unsigned char data = co_yield {};
    seen.push_back("A"), seen.push_back(word(data));
    data = co_yield {1, 'a'};
    seen.push_back("B"), seen.push_back(word(data));
    data = co_yield {1, 'b'};
}
CoRoutine routine2(Trace& seen) {
    unsigned char data = co_yield {};
    seen.push_back("C"), seen.push_back(word(data));
    data = co_yield {0, 'c'};
    seen.push_back("D"), seen.push_back(word(data));
}

}  // namespace

TEST_CASE("a decorated generator function runs the body up to its first co_yield, and no further") {
    Trace seen;
    auto make_echo = coroutine(echo);
    CoRoutine r = make_echo(seen, "r");
    CHECK(seen == Trace{"r starts"});
    CHECK(r.started());
    CHECK_FALSE(r.done());
}

TEST_CASE("the first send into a decorated routine is received by its first co_yield") {
    Trace seen;
    CoRoutine r = coroutine(echo)(seen, "r");
    std::optional<Transfer> answer = r.send('q');
    REQUIRE(answer.has_value());
    CHECK(answer->data == 'q');
    CHECK(seen == Trace{"r starts", "r got q"});
}

TEST_CASE("coroutine() decorates functions, function pointers and lambdas, passing every argument") {
    Trace seen;
    auto by_pointer = coroutine(&echo);
    auto lambda = coroutine([](Trace& trace, int times) -> CoRoutine {
        trace.push_back("lambda " + std::to_string(times));
        while (true) co_yield {0, 0};
    });
    CoRoutine a = by_pointer(seen, "pointer");
    CoRoutine b = lambda(seen, 3);
    CHECK(seen == Trace{"pointer starts", "lambda 3"});
}

TEST_CASE("coroutine() refuses a generator that finishes before its first co_yield") {
    Trace seen;
    CHECK_THROWS_AS(coroutine(finishes_at_once)(seen), std::logic_error);
    CHECK(seen == Trace{"ran"});
}

TEST_CASE("the talk's routines, decorated, print A x C a B c D b, and routine 2 finishes") {
    Trace seen;
    auto make1 = coroutine(routine1), make2 = coroutine(routine2);
    CoRoutine routines[] = {make1(seen), make2(seen)};
    CHECK(seen.empty());
    Index finished = co_trampoline(routines, 0, 'x');
    CHECK(seen == Trace{"A", "x", "C", "a", "B", "c", "D", "b"});
    CHECK(finished == 1);
}

TEST_CASE("co_trampoline refuses routines that are not primed, and names outside the table") {
    Trace seen;
    CoRoutine unprimed[] = {coroutine(routine1)(seen), routine2(seen)};
    CHECK_THROWS_AS(co_trampoline(unprimed, 0, 'x'), std::logic_error);
    CoRoutine lost[] = {coroutine(routine1)(seen)};
    CHECK_THROWS_AS(co_trampoline(lost, 0, 'x'), std::out_of_range);
}

namespace {
CoRoutine reader(workbook::Events book) {
    co_yield {};
    for (unsigned char c : book) co_yield {1 + static_cast<Index>(workbook::classify(c)), c};
}
CoRoutine counter(std::uint64_t& count) {
    co_yield {};
    while (true) {
        ++count;
        co_yield {0, 0};
    }
}
}  // namespace

TEST_CASE("a decorated reader and three decorated counters count a book on co_trampoline") {
    auto book = workbook::Book::default_book(20'000);
    std::uint64_t counts[3] = {0, 0, 0};
    auto make_counter = coroutine(counter);
    CoRoutine routines[] = {coroutine(reader)(book.events()), make_counter(counts[0]), make_counter(counts[1]),
                            make_counter(counts[2])};
    CHECK(co_trampoline(routines, 0, 0) == 0);
    CHECK((workbook::LetterTypes{counts[0], counts[1], counts[2]} == workbook::reference_count(book.events())));
}
