// Delegation, workbook::yield_from (PEP 380's `yield from`): one case per behaviour, then the talk's
// pairs() refactoring and the rest of PEP 380; docs/promises.md names each case with the rule it
// proves. Traces are compared whole; Guard proves cleanup ran and in which order, Counted that no
// frame's locals leak, CapturedStderr what a destructor reported.
#include "workbook/generator.hpp"

#include "allocation_counter.hpp"

#include "trace.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using workbook::Generator;
using workbook::GeneratorError;
using workbook::GeneratorExit;
using workbook::prime;
using workbook::yield_from;

namespace {

// Counts live instances: zero at the end means no frame of a chain leaked its locals.
struct Counted {
    static inline int alive = 0;
    Counted() { ++alive; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    ~Counted() { --alive; }
};

std::string str(int value) { return std::to_string(value); }

// Yields what `sub` yields, then the value `sub` returned: makes a delegation's result visible.
Generator<int> yields_result_of(Generator<int, void, int> sub, Trace& trace) {
    int result = co_yield yield_from(std::move(sub));
    trace.push_back("result " + str(result));
    co_yield result;
}

// ---- 1. The first next() is delegated.
Generator<int> starting_inner(Trace& trace) {
    trace.push_back("inner start");
    co_yield 1;
    trace.push_back("inner end");
}
Generator<int> starting_outer(Trace& trace) {
    trace.push_back("outer start");
    co_yield yield_from(starting_inner(trace));
    trace.push_back("outer end");
}

TEST_CASE("the first next is delegated: the outer starts, the inner starts, and the inner's value arrives") {
    Trace trace;
    auto g = starting_outer(trace);
    CHECK(trace.empty());
    CHECK(g.next() == 1);
    CHECK(trace == Trace{"outer start", "inner start"});
    CHECK(g.next() == std::nullopt);
    CHECK(trace == Trace{"outer start", "inner start", "inner end", "outer end"});
}

// ---- 2. Values pass through unchanged and in order; and the talk's pairs() refactoring.
Generator<std::string> named_values(std::string name) {
    co_yield name + ".1";
    co_yield name + ".2";
}
Generator<std::string> interleaved() {
    co_yield "outer.1";
    co_yield yield_from(named_values("a"));
    co_yield "outer.2";
    co_yield yield_from(named_values("b"));
    co_yield "outer.3";
}

using Pair = std::pair<int, int>;
Generator<Pair> pairs_nested() {
    for (int i = 0; i < 3; ++i)      // some logic about i here
        for (int j = 0; j < 2; ++j)  // complex stuff goes here
            co_yield Pair{i, j};
}
Generator<Pair> subloop(int i) {
    for (int j = 0; j < 2; ++j) co_yield Pair{i, j};
}
Generator<Pair> pairs() {
    for (int i = 0; i < 3; ++i) co_yield yield_from(subloop(i));
}

TEST_CASE("values pass through a delegation unchanged and in order, the outer's and the inner's interleaved as written") {
    std::vector<std::string> seen;
    for (auto& v : interleaved()) seen.push_back(v);
    CHECK(seen == std::vector<std::string>{"outer.1", "a.1", "a.2", "outer.2", "b.1", "b.2", "outer.3"});

    std::vector<Pair> nested, delegated;
    for (auto p : pairs_nested()) nested.push_back(p);
    for (auto p : pairs()) delegated.push_back(p);
    CHECK(delegated == nested);
    CHECK(delegated == std::vector<Pair>{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}});
}

// ---- 3. send() reaches the innermost generator; afterwards the outer again.
Generator<std::string, std::string, int> inner_receiver(Trace& trace) {
    for (int i = 0; i < 2; ++i) {
        std::string sent = co_yield "inner wants " + str(i);
        trace.push_back("inner got " + sent);
    }
    co_return 2;
}
Generator<std::string, std::string> outer_receiver(Trace& trace) {
    std::string sent = co_yield "outer wants 0";
    trace.push_back("outer got " + sent);
    int received = co_yield yield_from(inner_receiver(trace));
    trace.push_back("inner received " + str(received));
    sent = co_yield "outer wants 1";
    trace.push_back("outer got " + sent);
}
Generator<std::string, std::string> outermost_receiver(Trace& trace) {
    co_yield yield_from(outer_receiver(trace));
    trace.push_back("outermost end");
}

TEST_CASE("send reaches the innermost generator, and once it has returned, sends reach the outer again") {
    Trace trace;
    auto g = outermost_receiver(trace);  // three levels
    CHECK(g.next() == "outer wants 0");
    CHECK(g.send("a") == "inner wants 0");
    CHECK(g.send("b") == "inner wants 1");
    CHECK(g.send("c") == "outer wants 1");
    CHECK(g.send("d") == std::nullopt);
    CHECK(trace == Trace{"outer got a", "inner got b", "inner got c", "inner received 2", "outer got d",
                         "outermost end"});
}

// ---- 4. An exception in the inner propagates through the outer; cleanups run inner first.
Generator<int> failing_inner(Trace& trace) {
    Guard guard(trace, "inner");
    co_yield 1;
    throw std::runtime_error("inner failed");
}
Generator<int> outer_of(Generator<int> inner, Trace& trace) {
    Guard guard(trace, "outer");
    co_yield yield_from(std::move(inner));
    trace.push_back("outer continued");
}
Generator<int> plain_inner(Trace& trace) {
    Guard guard(trace, "inner");
    co_yield 1;
    co_yield 2;
}

TEST_CASE("an exception raised in the inner propagates through the outer and both cleanups run, inner first") {
    Trace trace;
    auto g = outer_of(failing_inner(trace), trace);
    CHECK(g.next() == 1);
    CHECK_THROWS_WITH_AS(g.next(), "inner failed", std::runtime_error);
    CHECK(trace == Trace{"inner destroyed", "outer destroyed"});
    CHECK(g.done());

    // The same when the exception is thrown in from outside and the inner does not catch it.
    trace.clear();
    auto thrown = outer_of(plain_inner(trace), trace);
    CHECK(thrown.next() == 1);
    CHECK_THROWS_WITH_AS(thrown.throw_into(std::runtime_error("from outside")), "from outside", std::runtime_error);
    CHECK(trace == Trace{"inner destroyed", "outer destroyed"});
    CHECK(thrown.done());
}

// ---- 5. close() closes the inner first, then the outer.
Generator<int> closing_level(Trace& trace, int level, int depth) {
    Guard guard(trace, "level " + str(level));
    try {
        if (level == depth) {
            co_yield level;
        } else {
            co_yield yield_from(closing_level(trace, level + 1, depth));
        }
    } catch (const GeneratorExit&) {
        trace.push_back("level " + str(level) + " got exit");
        throw;
    }
}
Generator<int> inner_failing_on_exit(Trace& trace) {
    Guard guard(trace, "inner");
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        throw std::runtime_error("inner failed to close");
    }
}
Generator<int> inner_ignoring_exit(Trace& trace) {
    Guard guard(trace, "inner");
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        trace.push_back("inner ignores exit");
    }
    co_yield 2;
}
Generator<int> outer_reporting(Generator<int> inner, Trace& trace) {
    try {
        co_yield yield_from(std::move(inner));
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("outer got ") + error.what());
        throw;
    }
}

TEST_CASE("close closes the inner first, then the outer, and an exception the inner raises while closing leaves the outer's close") {
    Trace trace;
    auto g = closing_level(trace, 1, 3);
    CHECK(g.next() == 3);
    g.close();
    CHECK(trace == Trace{"level 3 got exit", "level 3 destroyed", "level 2 got exit", "level 2 destroyed",
                         "level 1 got exit", "level 1 destroyed"});
    CHECK(g.done());

    trace.clear();
    auto failing = outer_of(inner_failing_on_exit(trace), trace);
    CHECK(failing.next() == 1);
    CHECK_THROWS_WITH_AS(failing.close(), "inner failed to close", std::runtime_error);
    CHECK(trace == Trace{"inner destroyed", "outer destroyed"});
    CHECK(failing.done());

    // An inner that yields instead of closing: its delegator gets "generator ignored exit" (PEP 380:
    // the inner's close() raised), and the inner's frame is destroyed with the delegation.
    trace.clear();
    auto ignoring = outer_reporting(inner_ignoring_exit(trace), trace);
    CHECK(ignoring.next() == 1);
    CHECK_THROWS_WITH_AS(ignoring.close(), "generator ignored exit", GeneratorError);
    CHECK(trace == Trace{"inner ignores exit", "inner destroyed", "outer got generator ignored exit"});
    CHECK(ignoring.done());
}

// ---- 6. A throw into the outer reaches the inner; caught there, iteration goes on.
Generator<int> inner_catching(Trace& trace) {
    try {
        co_yield 10;
    } catch (const std::runtime_error& error) {
        trace.push_back(std::string("inner caught ") + error.what());
    }
    co_yield 11;
    co_yield 12;
}
Generator<int> outer_unaware(Trace& trace) {
    try {
        co_yield 1;
        co_yield yield_from(inner_catching(trace));
        co_yield 2;
    } catch (...) {
        trace.push_back("outer saw an exception");
        throw;
    }
}

TEST_CASE("a throw into the outer reaches the inner, and when the inner catches it and yields, iteration goes on") {
    Trace trace;
    auto g = outer_unaware(trace);
    CHECK(g.next() == 1);
    CHECK(g.next() == 10);
    CHECK(g.throw_into(std::runtime_error("boom")) == 11);
    CHECK(g.next() == 12);
    CHECK(g.next() == 2);
    CHECK(g.next() == std::nullopt);
    CHECK(trace == Trace{"inner caught boom"});
}

// ---- 7. A GeneratorExit thrown into the outer closes the inner instead of being thrown into it.
Generator<int, void, int> inner_returning_on_exit(Trace& trace) {
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        trace.push_back("inner closed");
        co_return 42;
    }
    co_return 0;
}
Generator<int> outer_after_exit(Trace& trace) {
    try {
        int result = co_yield yield_from(inner_returning_on_exit(trace));
        trace.push_back("outer got result " + str(result));  // what a plain throw would lead to
    } catch (const GeneratorExit&) {
        trace.push_back("outer got exit");
    }
    co_yield -1;
}
Generator<int> outer_after_ignored_exit(Generator<int> inner, Trace& trace) {
    try {
        co_yield yield_from(std::move(inner));
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("outer got ") + error.what());
    }
    co_yield -2;
}

TEST_CASE("throwing a generator exit into the outer closes the inner rather than throwing into it") {
    Trace trace;
    auto g = outer_after_exit(trace);
    CHECK(g.next() == 1);
    CHECK(g.throw_into(GeneratorExit{}) == -1);  // the outer caught the exit and yielded: allowed
    CHECK(trace == Trace{"inner closed", "outer got exit"});

    // Closed, an inner that yields "ignored" the exit; thrown into, its value would have passed on.
    trace.clear();
    auto ignoring = outer_after_ignored_exit(inner_ignoring_exit(trace), trace);
    CHECK(ignoring.next() == 1);
    CHECK(ignoring.throw_into(GeneratorExit{}) == -2);
    CHECK(trace == Trace{"inner ignores exit", "inner destroyed", "outer got generator ignored exit"});
}

// ---- 8. The inner's return value is the value of the delegating expression.
Generator<int, void, int> two_then_returns() {
    co_yield 1;
    co_yield 2;
    co_return 3;
}
Generator<int, void, int> returns_after_catching(Trace& trace) {
    try {
        co_yield 1;
    } catch (const std::runtime_error&) {
        trace.push_back("inner caught");
        co_return 99;
    }
    co_return 0;
}

TEST_CASE("the inner's return value becomes the value of the delegating expression, also when it returns after catching a thrown exception") {
    Trace trace;
    std::vector<int> seen;
    for (int v : yields_result_of(two_then_returns(), trace)) seen.push_back(v);
    CHECK(seen == std::vector<int>{1, 2, 3});
    CHECK(trace == Trace{"result 3"});

    trace.clear();
    auto g = yields_result_of(returns_after_catching(trace), trace);
    CHECK(g.next() == 1);
    CHECK(g.throw_into(std::runtime_error("stop")) == 99);
    CHECK(trace == Trace{"inner caught", "result 99"});
}

// ---- 9. An inner that returns at once: the outer continues in the same resume.
Generator<int, void, int> returns_at_once(Trace& trace) {
    trace.push_back("inner ran");
    co_return 5;
}
Generator<int> outer_continuing(Trace& trace) {
    co_yield 1;
    int result = co_yield yield_from(returns_at_once(trace));
    trace.push_back("outer got " + str(result));
    co_yield result;
}

TEST_CASE("an inner that returns at once lets the outer continue in the same resume") {
    Trace trace;
    auto g = outer_continuing(trace);
    CHECK(g.next() == 1);
    CHECK(trace.empty());
    CHECK(g.next() == 5);  // one resume: the inner ran and returned, the outer went on to its co_yield
    CHECK(trace == Trace{"inner ran", "outer got 5"});

    // A generator that has already finished gives its result at once, without running again.
    trace.clear();
    auto finished = returns_at_once(trace);
    CHECK(finished.next() == std::nullopt);
    auto outer = yields_result_of(std::move(finished), trace);
    CHECK(outer.next() == 5);
    CHECK(trace == Trace{"inner ran", "result 5"});
}

// ---- 10. Delegating to itself, directly or not.
Generator<int> delegates_to_itself(Trace& trace, Generator<int>*& self) {
    co_yield 1;
    try {
        co_yield yield_from(std::move(*self));
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("direct: ") + error.what());
    }
    co_yield 2;
}
Generator<int> delegates_back(Trace& trace, Generator<int>*& outer) {
    co_yield 10;
    co_yield yield_from(std::move(*outer));
    trace.push_back("never here");
}
Generator<int> delegates_onward(Trace& trace, Generator<int>*& self) {
    try {
        co_yield yield_from(delegates_back(trace, self));
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("indirect: ") + error.what());
    }
    co_yield 3;
}

TEST_CASE("a generator that delegates to itself, directly or not, gets already executing") {
    Trace trace;
    Generator<int>* self = nullptr;
    auto g = delegates_to_itself(trace, self);
    self = &g;
    CHECK(g.next() == 1);
    CHECK(g.next() == 2);
    CHECK(trace == Trace{"direct: generator already executing"});
    CHECK(g);  // refused before anything was moved: the caller still owns its generator

    trace.clear();
    auto a = delegates_onward(trace, self);
    self = &a;
    CHECK(a.next() == 10);
    CHECK(a.next() == 3);
    CHECK(trace == Trace{"indirect: generator already executing"});
    CHECK(a);
}

// ---- 11. 10,000 levels deep, and each resume costs the same at any depth.
// Every level counts the times its own code runs, so a test sees which frames a resume ran.
Generator<std::uint64_t, int> tower(int levels, long& bodies_run) {
    Counted counted;
    ++bodies_run;
    if (levels > 0) {
        co_yield yield_from(tower(levels - 1, bodies_run));
        ++bodies_run;
        co_return;
    }
    std::uint64_t sum = 0;  // the innermost level adds up what it is sent, until sent a negative
    for (int sent = co_yield sum; sent >= 0; sent = co_yield sum) {
        sum += static_cast<std::uint64_t>(sent);
        ++bodies_run;
    }
}

// Where on the native stack the innermost generator runs: equal at every depth when every resume
// goes straight to it (a chain resumed level by level would be deeper by a frame per level).
[[gnu::noinline]] std::uintptr_t stack_position() {
    return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}
Generator<std::uintptr_t> stack_probe(int levels) {
    if (levels > 0) {
        co_yield yield_from(stack_probe(levels - 1));
        co_return;
    }
    for (int i = 0; i < 2; ++i) co_yield stack_position();
}
[[gnu::noinline]] std::uintptr_t resume_and_probe(Generator<std::uintptr_t>& probe) { return probe.next().value(); }

TEST_CASE("delegation 10,000 levels deep works, and each resume runs only the innermost frame at the same stack depth") {
    constexpr int depth = 10000;
    Counted::alive = 0;
    long bodies_run = 0;
    {
        auto g = tower(depth, bodies_run);
        CHECK(g.next() == 0u);
        CHECK(bodies_run == depth + 1);  // every level started once
        CHECK(Counted::alive == depth + 1);

        bool only_the_leaf_ran = true;
        std::optional<std::uint64_t> sum;
        for (int i = 1; i <= 100; ++i) {
            long before = bodies_run;
            sum = g.send(i);
            only_the_leaf_ran = only_the_leaf_ran && bodies_run == before + 1;
        }
        CHECK(only_the_leaf_ran);
        CHECK(sum == 5050u);

        // Thrown in at the top, the exception reaches the innermost frame and unwinds every level.
        CHECK_THROWS_WITH_AS(g.throw_into(std::runtime_error("to the bottom")), "to the bottom", std::runtime_error);
        CHECK(Counted::alive == 0);
        CHECK(bodies_run == depth + 101);  // no level ran code of its own on the way out
    }

    {
        auto finished = tower(depth, bodies_run);
        CHECK(finished.next() == 0u);
        long before = bodies_run;
        CHECK(finished.send(-1) == std::nullopt);  // the innermost returns, then every level after it
        CHECK(bodies_run == before + depth);        // each outer level ran its code after the delegation
        CHECK(finished.done());
        CHECK(Counted::alive == 0);

        auto closed = tower(depth, bodies_run);
        CHECK(closed.next() == 0u);
        closed.close();  // innermost first, through every level
        CHECK(closed.done());
        CHECK(Counted::alive == 0);

        auto destroyed = tower(depth, bodies_run);
        CHECK(destroyed.next() == 0u);
        CHECK(Counted::alive == depth + 1);
    }  // destroyed while suspended, 10,001 frames deep
    CHECK(Counted::alive == 0);

    auto shallow = stack_probe(0);
    auto one_level = stack_probe(1);
    auto deep = stack_probe(depth);
    std::uintptr_t at_depth_0 = resume_and_probe(shallow);
    CHECK(resume_and_probe(one_level) == at_depth_0);  // the first resume, which starts every level
    CHECK(resume_and_probe(deep) == at_depth_0);
    CHECK(resume_and_probe(one_level) == at_depth_0);  // and a later one
    CHECK(resume_and_probe(deep) == at_depth_0);
}

// ---- 12. The outer catches the inner's exception around the delegation and continues.
Generator<int> outer_recovering(Trace& trace) {
    try {
        co_yield yield_from(failing_inner(trace));
    } catch (const std::runtime_error& error) {
        trace.push_back(std::string("outer caught ") + error.what());
    }
    co_yield 99;
}

TEST_CASE("the outer can catch an exception raised by the inner around the delegation and continue") {
    Trace trace;
    auto g = outer_recovering(trace);
    CHECK(g.next() == 1);
    CHECK(g.next() == 99);
    CHECK(trace == Trace{"inner destroyed", "outer caught inner failed"});
    CHECK(g.next() == std::nullopt);
}

// ---- The rest of PEP 380: started subgenerators, destruction, allocation, empty generators.
Generator<std::string, std::string> started_inner(Trace& trace) {
    std::string sent = co_yield "first";
    trace.push_back("inner got '" + sent + "'");
    sent = co_yield "second";
    trace.push_back("inner got '" + sent + "'");
}
Generator<std::string, std::string> outer_taking(Generator<std::string, std::string> inner, Trace& trace) {
    co_yield yield_from(std::move(inner));
    trace.push_back("outer end");
}

TEST_CASE("a started generator that is delegated to first receives a default value, as PEP 380 sends None") {
    Trace trace;
    auto inner = prime(started_inner(trace));
    auto g = outer_taking(std::move(inner), trace);
    CHECK(g.next() == "second");
    CHECK(g.send("x") == std::nullopt);
    CHECK(trace == Trace{"inner got ''", "inner got 'x'", "outer end"});
}

TEST_CASE("a started generator that is itself delegating can be delegated to, and sends reach its innermost frame") {
    Trace trace;
    auto middle = outer_taking(started_inner(trace), trace);
    CHECK(middle.next() == "first");  // middle now delegates to a suspended started_inner
    auto g = outer_taking(std::move(middle), trace);
    CHECK(g.next() == "second");  // the innermost frame received None first
    CHECK(g.send("y") == std::nullopt);
    CHECK(trace == Trace{"inner got ''", "inner got 'y'", "outer end", "outer end"});
}

TEST_CASE("destroying a suspended delegation chain closes it innermost first: each level's handler runs, then its locals are destroyed") {
    Trace trace;
    CapturedStderr errors;
    {
        auto g = outer_of(plain_inner(trace), trace);
        CHECK(g.next() == 1);
    }
    CHECK(trace == Trace{"inner destroyed", "outer destroyed"});

    trace.clear();
    {
        auto g = closing_level(trace, 1, 3);
        CHECK(g.next() == 3);
    }  // as close() does, level by level from the innermost
    CHECK(trace == Trace{"level 3 got exit", "level 3 destroyed", "level 2 got exit", "level 2 destroyed",
                         "level 1 got exit", "level 1 destroyed"});
    CHECK(errors.text().empty());
}

Generator<int> outer_returning(Generator<int> inner, Trace& trace) {
    try {
        co_yield yield_from(std::move(inner));
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("outer returns after ") + error.what());
    }
}

TEST_CASE("destroying a delegation chain whose inner yields instead of closing reports the ignored exit once on stderr") {
    Trace trace;
    CapturedStderr errors;
    {
        auto g = outer_reporting(inner_ignoring_exit(trace), trace);
        CHECK(g.next() == 1);
    }  // the outer receives "generator ignored exit" and lets it go: the destructor reports it
    CHECK(trace == Trace{"inner ignores exit", "inner destroyed", "outer got generator ignored exit"});

    // An outer that catches it and returns has closed cleanly: nothing more is reported.
    trace.clear();
    {
        auto quiet = outer_returning(inner_ignoring_exit(trace), trace);
        CHECK(quiet.next() == 1);
    }
    CHECK(trace == Trace{"inner ignores exit", "inner destroyed", "outer returns after generator ignored exit"});
    CHECK(errors.text() == "Exception ignored in workbook::Generator's destructor: generator ignored exit\n");
}

TEST_CASE("resuming a delegation chain allocates nothing") {
    long bodies_run = 0;
    auto g = tower(100, bodies_run);
    CHECK(g.next() == 0u);
    std::size_t allocations = workbook::testing::allocations_during([&] {
        for (int i = 0; i < 1000; ++i) (void)g.send(1);
    });
    CHECK(allocations == 0);
    CHECK(g.send(0) == 1000u);
}

TEST_CASE("delegating to an empty generator is an error raised in the delegator") {
    Trace trace;
    auto g = outer_of(Generator<int>(), trace);
    CHECK_THROWS_WITH_AS(g.next(), "yield_from() an empty generator", GeneratorError);
    CHECK(trace == Trace{"outer destroyed"});
}

}  // namespace
