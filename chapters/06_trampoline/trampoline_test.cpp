// Chapter 06's behaviour: the talk's `A C B D`, the trampoline's order and its end, and the count.
#include "trampoline.hpp"

#include "allocation_counter.hpp"
#include "books.hpp"

#include <doctest/doctest.h>

#include <array>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace workbook;
using namespace workbook::chapter06;
using workbook::testing::bytes_of;

namespace {

// Appends `name` to `seen` each time it runs, then names each routine of `next` in turn.
Routine recorder(std::string name, std::vector<Index> next, std::vector<std::string>& seen) {
    for (Index target : next) {
        seen.push_back(name);
        co_yield target;
    }
    seen.push_back(name + " ends");
}

}  // namespace

TEST_CASE("the talk's two routines on the trampoline print A C B D") {
    std::ostringstream out;
    demonstrate(out);
    CHECK(out.str() == "A C B D");
}

TEST_CASE("the console prints like Python 2's print with a trailing comma") {
    std::ostringstream out;
    Console console(out);
    console.print("A", 'x');
    console.print("C");
    CHECK(out.str() == "A x C");
}

TEST_CASE("the trampoline runs each routine the previous one names, and stops at DONE") {
    std::vector<std::string> seen;
    std::array<Routine, 3> routines{recorder("zero", {2, 1}, seen), recorder("one", {0}, seen),
                                    recorder("two", {0, DONE}, seen)};
    trampoline(routines, 0);
    CHECK(seen == std::vector<std::string>{"zero", "two", "zero", "one", "zero ends"});
}

TEST_CASE("a routine that finishes without naming the next one ends the trampoline") {
    std::vector<std::string> seen;
    std::array<Routine, 2> routines{recorder("zero", {1}, seen), recorder("one", {}, seen)};
    trampoline(routines, 0);
    CHECK(seen == std::vector<std::string>{"zero", "one ends"});
    CHECK(routines[1].done());
    CHECK_FALSE(routines[0].done());
}

TEST_CASE("a routine that names no routine of the table is an error") {
    std::vector<std::string> seen;
    std::array<Routine, 1> routines{recorder("zero", {7}, seen)};
    CHECK_THROWS_AS(trampoline(routines, 0), std::out_of_range);
    CHECK(seen == std::vector<std::string>{"zero"});
}

TEST_CASE("the counter routines count the events the reader shares") {
    Counter vowel{"vowel"};
    unsigned char event = 'e';
    workbook::CounterLink local;
    auto count = counter(vowel, event, local);
    CHECK(count.next() == READER);
    CHECK(vowel.count == 1);
    auto read = reader(bytes_of("x!"), event);
    CHECK(read.next() == CONSONANT);
    CHECK(event == 'x');
    CHECK(read.next() == OTHER);
    CHECK(event == '!');
    CHECK(read.next() == DONE);
}

TEST_CASE("count_on_trampoline counts like the reference count") {
    auto book = bytes_of("Hello, World!\r\nA trampoline runs the routine each one names.\n");
    CHECK(count_on_trampoline(book) == reference_count(book));
    CHECK(count_on_trampoline(bytes_of("")) == LetterTypes{});
}

TEST_CASE("count_on_trampoline allocates as much for a long book as for a short one") {
    std::vector<unsigned char> long_book(100'000, 'e');
    for (std::size_t i = 0; i < long_book.size(); i += 3) long_book[i] = ' ';
    auto short_count = testing::allocations_during([] { (void)count_on_trampoline(bytes_of("ab.")); });
    auto long_count = testing::allocations_during([&] { (void)count_on_trampoline(long_book); });
    CHECK(long_count == short_count);
}
