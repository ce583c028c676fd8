// Chapter 07's behaviour: the talk's `A x C a B c D b`, the co-trampoline's priming, injection and
// end, and the count.
#include "co_trampoline.hpp"

#include "allocation_counter.hpp"
#include "books.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace workbook;
using namespace workbook::chapter07;
using workbook::testing::bytes_of;

namespace {

// Records what it is made with and what it receives, yielding the transfers of `plan` in turn.
// (A routine the trampoline primes loses its first transfer: the talk's throwaway.)
CoRoutine recorder(std::string name, std::string given, std::vector<Transfer> plan, std::vector<std::string>& seen) {
    seen.push_back(name + " made with '" + given + "'");
    for (Transfer transfer : plan) {
        unsigned char received = co_yield Transfer{transfer};
        seen.push_back(name + " received " + std::string(1, static_cast<char>(received)));
    }
    seen.push_back(name + " ends");
}

}  // namespace

TEST_CASE("the talk's routines, primed by hand, print A x C a B c D b on the trampoline") {
    std::ostringstream out;
    demonstrate(out);
    CHECK(out.str() == "A x C a B c D b");
}

TEST_CASE("co_trampoline runs the talk's routines to the same trace as the routines primed by hand") {
    std::ostringstream out;
    Console console(out);
    const GeneratorFunction<unsigned char> generators[] = {
        [&](unsigned char data) { return routine1(console, data); },
        [&](unsigned char) { return routine2(console); },
    };
    co_trampoline<unsigned char>(generators, R1, 'x');
    CHECK(out.str() == "A x C a B c D b");
}

TEST_CASE("co_trampoline gives the start routine the data, primes the others, and sends each transfer's data") {
    std::vector<std::string> seen;
    const GeneratorFunction<std::string> generators[] = {
        [&](std::string given) { return recorder("zero", given, {{0, '-'}, {1, 'z'}}, seen); },
        [&](std::string given) { return recorder("one", given, {{0, 'a'}, {0, 'b'}}, seen); },
    };
    co_trampoline<std::string>(generators, 1, "i");
    CHECK(seen == std::vector<std::string>{"zero made with ''", "one made with 'i'", "zero received a",
                                           "one received z", "zero received b", "zero ends"});
}

TEST_CASE("co_trampoline ends at once when the start routine finishes before its first transfer") {
    std::vector<std::string> seen;
    const GeneratorFunction<std::string> generators[] = {
        [&](std::string given) { return recorder("zero", given, {}, seen); },
        [&](std::string given) { return recorder("one", given, {{0, '-'}, {0, 'b'}}, seen); },
    };
    co_trampoline<std::string>(generators, 0, "i");
    CHECK(seen == std::vector<std::string>{"zero made with 'i'", "zero ends"});
}

TEST_CASE("co_trampoline refuses a start or a target outside its table") {
    std::vector<std::string> seen;
    const GeneratorFunction<std::string> generators[] = {
        [&](std::string given) { return recorder("zero", given, {{5, 'a'}}, seen); },
    };
    CHECK_THROWS_AS(co_trampoline<std::string>(generators, 1, "i"), std::out_of_range);
    CHECK(seen.empty());
    CHECK_THROWS_AS(co_trampoline<std::string>(generators, 0, "i"), std::out_of_range);
    CHECK(seen == std::vector<std::string>{"zero made with 'i'"});
}

TEST_CASE("a counter routine counts each event injected into it and transfers back to the reader") {
    Counter vowel{"vowel"};
    workbook::CounterLink local;
    auto count = prime(counter(vowel, local));
    auto transfer = count.send('e');
    REQUIRE(transfer);
    CHECK(transfer->target == READER);
    count.send('a');
    CHECK(vowel.count == 2);
}

TEST_CASE("the reader transfers each event to the counter of its class") {
    auto read = reader(bytes_of("a, b"));
    std::vector<std::pair<Index, char>> transfers;
    for (auto transfer = read.next(); transfer; transfer = read.send(0))
        transfers.emplace_back(transfer->target, static_cast<char>(transfer->data));
    CHECK(transfers == std::vector<std::pair<Index, char>>{{VOWEL, 'a'}, {OTHER, ','}, {OTHER, ' '}, {CONSONANT, 'b'}});
}

TEST_CASE("count_on_co_trampoline counts like the reference count") {
    auto book = bytes_of("Hello, World!\r\nData goes in with send(), and the trampoline carries it.\n");
    CHECK(count_on_co_trampoline(book) == reference_count(book));
    CHECK(count_on_co_trampoline(bytes_of("")) == LetterTypes{});
}

TEST_CASE("count_on_co_trampoline allocates as much for a long book as for a short one") {
    std::vector<unsigned char> long_book(100'000, 'e');
    for (std::size_t i = 0; i < long_book.size(); i += 3) long_book[i] = ' ';
    auto short_count = testing::allocations_during([] { (void)count_on_co_trampoline(bytes_of("ab.")); });
    auto long_count = testing::allocations_during([&] { (void)count_on_co_trampoline(long_book); });
    CHECK(long_count == short_count);
}
