// Chapter 11's behaviour: its demonstration traces, and the count on both kinds of greenlet.
#include "workbook/chapter.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace workbook::chapter11 {
extern const Chapter chapter;
}

using workbook::chapter11::chapter;

namespace {

//! [pairs]
// The talk's PEP 380 refactoring, pairs() with its inner loop moved into subloop(i), on greenlets:
// subloop is an ordinary function that switches from inside, so pairs() needs no `yield from`.
using Pair = std::pair<int, char>;
constexpr int iter1[] = {1, 2, 3};
constexpr char iter2[] = {'a', 'b'};

// greenlet's "genlet" recipe (its `Yield`): switch to the parent, whoever asked for the next value.
void genlet_yield(Pair value) { workbook::Greenlet::current().parent()->switch_to(std::optional<Pair>(value)); }

void subloop(int i) {
    for (char j : iter2) genlet_yield({i, j});  // complex stuff goes here
}

void pairs() {
    for (int i : iter1) subloop(i);  // some logic about 'i' here
}
//! [pairs]

}  // namespace

TEST_CASE("the demonstration prints greenlet's ping-pong and the talk's direct coroutines") {
    std::ostringstream out;
    chapter.demonstrate(out);
    CHECK(out.str() == "12 56 34\nA x C a B c D b");
}

TEST_CASE("both variants count every event once and leave no counter's stack behind") {
    std::string_view text = "Enter HAMLET, reading.\r\n\xE9t\xE9!";
    workbook::Events book{reinterpret_cast<const unsigned char*>(text.data()), text.size()};
    for (const workbook::Variant& variant : chapter.variants) {
        INFO("variant ", variant.name);
        CHECK(variant.count(book, {}) == workbook::reference_count(book));
    }
    CHECK(workbook::Greenlet::stacks_in_use() == 0);
    CHECK(workbook::UcontextGreenlet::stacks_in_use() == 0);
}

TEST_CASE("the talk's pairs(), its loop moved into subloop(i), needs no delegation on greenlets") {
    workbook::Greenlet generator{[] {
        pairs();
        return std::optional<Pair>();  // the end
    }};
    std::vector<Pair> seen;
    while (auto pair = generator.switch_to<std::optional<Pair>>()) seen.push_back(*pair);
    CHECK(seen == std::vector<Pair>{{1, 'a'}, {1, 'b'}, {2, 'a'}, {2, 'b'}, {3, 'a'}, {3, 'b'}});
    CHECK(generator.dead());
}
