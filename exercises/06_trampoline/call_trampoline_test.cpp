// Tests of exercise 06. Run them with `./workbook check 06`.
#include "call_trampoline.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace exercise06;

// What the routines print, one word per entry; compared whole.
using Trace = std::vector<std::string>;

// The talk's A C B D, with jumps.
Routine routine1(Trace& seen) {
    seen.push_back("A");
    co_yield Jump{1};
    seen.push_back("B");
    co_yield Jump{1};
}
Routine routine2(Trace& seen) {
    seen.push_back("C");
    co_yield Jump{0};
    seen.push_back("D");
    co_yield Done{};
}

// Says `name`, calls `callee`, says `name` again, then stops (or returns, when `returns` is set).
Routine caller(Trace& seen, std::string name, Index callee, bool returns = false) {
    seen.push_back(name + " calls");
    co_yield Call{callee};
    seen.push_back(name + " is back");
    if (returns) co_yield Return{};
    else co_yield Done{};
}

// Says its name with how many times it ran, then returns; forever.
Routine subroutine(Trace& seen, std::string name) {
    for (int run = 1;; ++run) {
        seen.push_back(name + " " + std::to_string(run));
        co_yield Return{};
    }
}

// Says its name once and finishes, without a Return.
Routine finisher(Trace& seen, std::string name) {
    seen.push_back(name);
    co_return;
}

template <typename... Routines>
std::vector<Routine> table(Routines... routines) {
    std::vector<Routine> all;
    (all.push_back(std::move(routines)), ...);
    return all;
}

}  // namespace

TEST_CASE("jumps work as in chapter 06: A C B D") {
    Trace seen;
    auto routines = table(routine1(seen), routine2(seen));
    trampoline(routines, 0);
    CHECK(seen == Trace{"A", "C", "B", "D"});
}

TEST_CASE("a called routine runs, then its caller resumes where it was") {
    Trace seen;
    auto routines = table(caller(seen, "main", 1), subroutine(seen, "sub"));
    trampoline(routines, 0);
    CHECK(seen == Trace{"main calls", "sub 1", "main is back"});
}

TEST_CASE("a called routine that finishes returns to its caller; an uncalled one stops everything") {
    Trace seen;
    auto routines = table(caller(seen, "main", 1), finisher(seen, "sub"));
    trampoline(routines, 0);
    CHECK(seen == Trace{"main calls", "sub", "main is back"});
    Trace alone;
    auto one = table(finisher(alone, "only"));
    trampoline(one, 0);
    CHECK(alone == Trace{"only"});
}

TEST_CASE("calls nest, and each return goes back one level") {
    Trace seen;
    auto routines = table(caller(seen, "a", 1), caller(seen, "b", 2, true), caller(seen, "c", 3, true),
                          subroutine(seen, "d"));
    trampoline(routines, 0);
    CHECK(seen == Trace{"a calls", "b calls", "c calls", "d 1", "c is back", "b is back", "a is back"});
}

TEST_CASE("a routine called again resumes where it returned, keeping its state") {
    Trace seen;
    auto main = [](Trace& seen) -> Routine {
        for (int i = 0; i < 3; ++i) co_yield Call{1};
        seen.push_back("main done");
        co_yield Done{};
    };
    auto routines = table(main(seen), subroutine(seen, "sub"));
    trampoline(routines, 0);
    CHECK(seen == Trace{"sub 1", "sub 2", "sub 3", "main done"});
}

TEST_CASE("a jump inside a called routine keeps its caller: the routine jumped to returns there") {
    Trace seen;
    auto jumper = [](Trace& seen) -> Routine {
        seen.push_back("jumper");
        co_yield Jump{2};
    };
    auto routines = table(caller(seen, "main", 1), jumper(seen), subroutine(seen, "target"));
    trampoline(routines, 0);
    CHECK(seen == Trace{"main calls", "jumper", "target 1", "main is back"});
}

TEST_CASE("a name outside the table and a return with no caller are errors") {
    Trace seen;
    auto lost = table(caller(seen, "main", 7));
    CHECK_THROWS_AS(trampoline(lost, 0), std::out_of_range);
    auto bad_start = table(finisher(seen, "x"));
    CHECK_THROWS_AS(trampoline(bad_start, 3), std::out_of_range);
    auto orphan = table(subroutine(seen, "orphan"));
    CHECK_THROWS_AS(trampoline(orphan, 0), std::logic_error);
}
