// Chapter 09's behaviour: the primed counter counts exactly what it is sent, the dispatch loop
// counts like the reference, and no event allocates.
#include "weightless.hpp"

#include "allocation_counter.hpp"
#include "books.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

using namespace workbook;
using namespace workbook::chapter09;
using workbook::testing::bytes_of;

TEST_CASE("a primed generator_counter yields how many events it has been sent") {
    workbook::CounterLink local;
    auto counter = prime(generator_counter(local));
    std::vector<std::uint64_t> seen;
    for (unsigned char c : {'a', 'b', 'c'}) seen.push_back(counter.send(c).value());
    CHECK(seen == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("a generator_counter that was not primed refuses the first send and counts nothing") {
    workbook::CounterLink local;
    auto counter = generator_counter(local);
    CHECK_THROWS_AS(counter.send('a'), GeneratorError);
    CHECK(counter.next() == 0u);  // started only now: the refused event was never counted
}

TEST_CASE("count_weightless counts a sentence like the reference count") {
    auto book = bytes_of("Hello, World!\r\n");
    CHECK(count_weightless(book) == LetterTypes{3, 7, 5});
    CHECK(count_weightless(book) == reference_count(book));
}

TEST_CASE("count_weightless counts no vowels in a book without any, where the talk's Python fails") {
    CHECK(count_weightless(bytes_of("rhythm!")) == LetterTypes{0, 6, 1});
}

TEST_CASE("count_weightless allocates as much for a long book as for a short one") {
    std::vector<unsigned char> long_book(100'000, 'e');
    for (std::size_t i = 0; i < long_book.size(); i += 3) long_book[i] = 'x';
    auto short_count = testing::allocations_during([] { (void)count_weightless(bytes_of("ab.")); });
    auto long_count = testing::allocations_during([&] { (void)count_weightless(long_book); });
    CHECK(long_count == short_count);
}
