// workbook::Generator: PEP 342's generator protocol (send, throw, close, and the finaliser), one case
// per behaviour, then the talk's two traces and the rest of the protocol; docs/promises.md names each
// case with the rule it proves. Every case records what happens in a trace and compares it whole;
// Guard proves cleanup ran, Counted proves nothing leaked or was copied behind our back,
// CapturedStderr shows what a destructor reported, and the allocation counter proves a resume
// allocates nothing.
#include "workbook/generator.hpp"

#include "allocation_counter.hpp"

#include "trace.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using workbook::Generator;
using workbook::GeneratorError;
using workbook::GeneratorExit;
using workbook::prime;

namespace {

// Counts its constructions, copies, moves and destructions.
struct Counted {
    static inline int alive = 0;
    static inline int copies = 0;
    static inline int moves = 0;
    static void reset() { alive = copies = moves = 0; }

    int value;
    explicit Counted(int v) : value(v) { ++alive; }
    Counted(const Counted& other) : value(other.value) { ++alive, ++copies; }
    Counted(Counted&& other) noexcept : value(other.value) { ++alive, ++moves; }
    Counted& operator=(const Counted&) = delete;
    Counted& operator=(Counted&&) = delete;
    ~Counted() { --alive; }
};

// ---- 1. Creating runs nothing; the first next() runs to the first co_yield.
Generator<int> three_steps(Trace& trace) {
    trace.push_back("start");
    co_yield 1;
    trace.push_back("after 1");
    co_yield 2;
    trace.push_back("end");
}

TEST_CASE("creating a generator runs none of its body and the first next runs it to the first co_yield") {
    Trace trace;
    auto g = three_steps(trace);
    CHECK(trace.empty());
    CHECK_FALSE(g.started());
    CHECK_FALSE(g.done());

    CHECK(g.next() == 1);
    CHECK(trace == Trace{"start"});
    CHECK(g.started());
    CHECK(g.next() == 2);
    CHECK(trace == Trace{"start", "after 1"});
    CHECK(g.next() == std::nullopt);
    CHECK(trace == Trace{"start", "after 1", "end"});
    CHECK(g.done());
}

// ---- 2. send() into an unstarted generator is an error; nothing runs.
Generator<int, int> receiver(Trace& trace) {
    trace.push_back("start");
    while (true) {
        int received = co_yield 0;
        trace.push_back("got " + std::to_string(received));
    }
}

TEST_CASE("sending a value into a generator that has not started is an error and runs none of its body") {
    Trace trace;
    auto g = receiver(trace);
    CHECK_THROWS_WITH_AS(g.send(7),
                         "send() into a generator that has not started: call next() or prime() first",
                         GeneratorError);
    CHECK(trace.empty());
    CHECK_FALSE(g.started());

    // The refused value is simply lost; the generator can still be started properly.
    CHECK(g.next() == 0);
    CHECK(g.send(8) == 0);
    CHECK(trace == Trace{"start", "got 8"});
}

// ---- 3. prime(): the talk's @coroutine.
// The talk's generator_counter: `c = yield count; count += 1`.
Generator<std::uint64_t, unsigned char> generator_counter(std::string& received) {
    std::uint64_t count = 0;
    while (true) {
        unsigned char c = co_yield count;
        received += static_cast<char>(c);
        ++count;
    }
}

Generator<int, int> finishes_at_once() { co_return; }

TEST_CASE("the priming helper advances to the first co_yield so that the first send is received there") {
    std::string received;
    auto vowel = prime(generator_counter(received));
    CHECK(vowel.started());
    CHECK(received.empty());  // primed: waiting at its first co_yield, nothing received yet

    std::optional<std::uint64_t> count;
    for (unsigned char c : std::string("aeiouAEIOU")) count = vowel.send(c);
    CHECK(count == 10u);                 // a primed counter counts exactly the values sent
    CHECK(received == "aeiouAEIOU");     // and the first send was received, not swallowed

    // `prime(counter()).send(c)` works as one expression.
    std::string other;
    CHECK(prime(generator_counter(other)).send('x') == 1u);
    CHECK(other == "x");

    CHECK_THROWS_WITH_AS(prime(finishes_at_once()), "prime(): the generator finished before its first co_yield",
                         GeneratorError);
}

// ---- 4. `auto s = co_yield y;` receives; send returns the next yielded value.
Generator<std::string, std::string> echo(Trace& trace) {
    std::string reply = "ready";
    while (true) {
        std::string sent = co_yield reply;
        trace.push_back("received " + sent);
        reply = "echo " + sent;
    }
}

TEST_CASE("co_yield receives the sent value and send returns the next yielded value") {
    Trace trace;
    auto g = echo(trace);
    trace.push_back("next() gives " + g.next().value());
    trace.push_back("send(a) gives " + g.send("a").value());
    trace.push_back("send(b) gives " + g.send("b").value());
    CHECK(trace == Trace{"next() gives ready", "received a", "send(a) gives echo a", "received b",
                         "send(b) gives echo b"});
}

// ---- The talk's trampoline: routines yield the routine to run next; prints "A C B D".
enum class Routine { routine1, routine2, done };

Generator<Routine> routine1(Trace& out) {
    out.push_back("A");
    co_yield Routine::routine2;
    out.push_back("B");
    co_yield Routine::routine2;
}
Generator<Routine> routine2(Trace& out) {
    out.push_back("C");
    co_yield Routine::routine1;
    out.push_back("D");
    co_yield Routine::done;
}

TEST_CASE("the talk's trampoline runs two routines as A C B D") {
    Trace out;
    Generator<Routine> routines[] = {routine1(out), routine2(out)};
    Routine current = Routine::routine1;
    while (current != Routine::done) current = routines[static_cast<int>(current)].next().value();
    CHECK(out == Trace{"A", "C", "B", "D"});
}

// ---- The talk's co-trampoline: routines yield (target, data), the loop sends data to the target;
// prints "A x C a B c D b".
enum class Target { r1, r2, none };
using Jump = std::pair<Target, std::string>;

Generator<Jump, std::string> co_routine1(Trace& out, std::string data) {  // START routine passed data
    out.insert(out.end(), {"A", data});
    data = co_yield Jump{Target::r2, "a"};
    out.insert(out.end(), {"B", data});
    data = co_yield Jump{Target::r2, "b"};
}
Generator<Jump, std::string> co_routine2(Trace& out) {
    std::string data = co_yield Jump{Target::none, ""};  // others primed with a throwaway
    out.insert(out.end(), {"C", data});
    data = co_yield Jump{Target::r1, "c"};
    out.insert(out.end(), {"D", data});
}

TEST_CASE("the talk's co-trampoline injects data and runs two routines as A x C a B c D b") {
    Trace out;
    Generator<Jump, std::string> routines[] = {co_routine1(out, "x"), co_routine2(out)};
    auto [current, data] = routines[0].next().value();
    (void)routines[1].next();
    while (auto jump = routines[static_cast<int>(current)].send(data)) std::tie(current, data) = *jump;
    CHECK(out == Trace{"A", "x", "C", "a", "B", "c", "D", "b"});
}

// ---- 5. co_return r: completion, result(), and every later resume reports completion again.
Generator<int, int, std::string> returns_after_two(Trace& trace) {
    trace.push_back("yield 1");
    co_yield 1;
    trace.push_back("yield 2");
    co_yield 2;
    trace.push_back("return");
    co_return "the result";
}

TEST_CASE("co_return ends the generator, result gives its value, and later resumes report completion without running anything") {
    Trace trace;
    auto g = returns_after_two(trace);
    CHECK_THROWS_WITH_AS(g.result(), "result() of a generator that has not finished", GeneratorError);
    CHECK(g.next() == 1);
    CHECK(g.send(10) == 2);
    CHECK(g.send(20) == std::nullopt);  // the resume that finishes it reports completion
    CHECK(g.done());
    CHECK(g.result() == "the result");

    CHECK(g.next() == std::nullopt);
    CHECK(g.next() == std::nullopt);
    CHECK(g.send(30) == std::nullopt);  // as next(): Python's send raises StopIteration here too
    CHECK(trace == Trace{"yield 1", "yield 2", "return"});  // nothing ran after the end
    CHECK(g.result() == "the result");
}

// ---- 6. Exceptions leave the resume that ran into them; the generator is then finished.
Generator<int> throws_before_yielding(Trace& trace) {
    Guard guard(trace, "local");
    throw std::runtime_error("before the first yield");
    co_yield 1;
}
Generator<int, int> throws_after_yielding(Trace& trace) {
    Guard guard(trace, "local");
    int sent = co_yield 1;
    trace.push_back("got " + std::to_string(sent));
    throw std::runtime_error("after a yield");
}

TEST_CASE("an exception leaves the next or send that resumed the body into it, and the generator is finished") {
    Trace trace;
    auto before = throws_before_yielding(trace);
    CHECK_THROWS_WITH_AS(before.next(), "before the first yield", std::runtime_error);
    CHECK(trace == Trace{"local destroyed"});
    CHECK(before.done());
    CHECK(before.next() == std::nullopt);  // it leaves once; afterwards it is just finished

    trace.clear();
    auto after = throws_after_yielding(trace);
    CHECK(after.next() == 1);
    CHECK_THROWS_WITH_AS(after.send(5), "after a yield", std::runtime_error);
    CHECK(trace == Trace{"got 5", "local destroyed"});
    CHECK(after.done());
    CHECK(after.next() == std::nullopt);
}

// ---- 6b. send() into a finished generator reports completion, however it finished.
TEST_CASE("sending a value into a finished generator reports completion as next does and runs nothing, however it finished") {
    Trace trace;
    auto returned = returns_after_two(trace);
    while (returned.next()) {}
    CHECK(returned.send(1) == std::nullopt);
    CHECK(returned.send(2) == std::nullopt);  // and again: it stays finished
    CHECK(returned.result() == "the result");

    auto raised = throws_after_yielding(trace);
    CHECK(raised.next() == 1);
    CHECK_THROWS_AS(raised.send(1), std::runtime_error);
    CHECK(raised.send(2) == std::nullopt);  // the exception left once; now it is just finished

    auto closed = receiver(trace);
    CHECK(closed.next() == 0);
    closed.close();
    CHECK(closed.send(3) == std::nullopt);

    CHECK(trace == Trace{"yield 1", "yield 2", "return", "got 1", "local destroyed", "start"});
}

// ---- 7. throw_into: caught in the body (it lives on) or not (it finishes, locals destroyed).
Generator<std::string> catches_and_yields(Trace& trace) {
    Guard guard(trace, "local");
    for (int i = 0;; ++i) {
        try {
            co_yield "value " + std::to_string(i);
        } catch (const std::runtime_error& error) {
            trace.push_back(std::string("caught ") + error.what());
        }
    }
}
Generator<int> catches_and_returns(Trace& trace) {
    try {
        co_yield 1;
    } catch (const std::runtime_error&) {
        trace.push_back("caught, returning");
    }
}

TEST_CASE("an exception thrown into a generator that catches it returns its next value, and uncaught it leaves the throw and destroys the locals") {
    Trace trace;
    auto g = catches_and_yields(trace);
    CHECK(g.next() == "value 0");
    CHECK(g.throw_into(std::runtime_error("one")) == "value 1");  // caught: the body yields again
    CHECK(g.next() == "value 2");                                   // and lives on
    CHECK(trace == Trace{"caught one"});

    CHECK_THROWS_WITH_AS(g.throw_into(std::logic_error("two")), "two", std::logic_error);  // not caught
    CHECK(g.done());
    CHECK(trace == Trace{"caught one", "local destroyed"});

    trace.clear();
    auto r = catches_and_returns(trace);
    CHECK(r.next() == 1);
    CHECK(r.throw_into(std::make_exception_ptr(std::runtime_error("stop"))) == std::nullopt);  // caught, finished
    CHECK(r.done());
    CHECK(trace == Trace{"caught, returning"});

    // Into a finished generator, the exception is simply raised again, running nothing.
    CHECK_THROWS_WITH_AS(r.throw_into(std::runtime_error("late")), "late", std::runtime_error);
    CHECK(trace == Trace{"caught, returning"});
}

// ---- 8. throw_into an unstarted generator raises at once, without running the body.
Generator<int> guarded_parameter(Trace& trace, std::shared_ptr<int> parameter) {
    trace.push_back("body ran");
    co_yield *parameter;
}

TEST_CASE("throwing into a generator that never started raises at once without running its body") {
    Trace trace;
    auto parameter = std::make_shared<int>(1);
    auto g = guarded_parameter(trace, parameter);
    CHECK(parameter.use_count() == 2);  // the frame holds its copy
    CHECK_THROWS_WITH_AS(g.throw_into(std::runtime_error("early")), "early", std::runtime_error);
    CHECK(trace.empty());
    CHECK(g.done());
    CHECK(g.next() == std::nullopt);
    g = Generator<int>();
    CHECK(parameter.use_count() == 1);  // the frame, parameters included, was destroyed
}

// ---- 9. close().
Generator<int> cleans_up_on_exit(Trace& trace) {
    Guard guard(trace, "local");
    try {
        for (int i = 0;; ++i) co_yield i;
    } catch (const GeneratorExit&) {
        trace.push_back("exit at co_yield");
        throw;
    }
}
Generator<int> returns_on_exit(Trace& trace) {
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        trace.push_back("exit, returning");
    }
}
Generator<int> ignores_exit(Trace& trace) {
    for (int i = 0;; ++i) {
        try {
            co_yield i;
        } catch (const GeneratorExit&) {
            trace.push_back("ignoring exit");
        }
    }
}
Generator<int> fails_on_exit(Trace& trace) {
    Guard guard(trace, "local");
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        throw std::runtime_error("failed while closing");
    }
}

TEST_CASE("close raises a generator exit at the co_yield and runs the cleanup, reports a body that ignores it, and lets other exceptions through") {
    Trace trace;
    auto g = cleans_up_on_exit(trace);
    CHECK(g.next() == 0);
    CHECK(g.next() == 1);
    g.close();
    CHECK(trace == Trace{"exit at co_yield", "local destroyed"});
    CHECK(g.done());
    CHECK(g.next() == std::nullopt);

    trace.clear();
    auto quiet = returns_on_exit(trace);
    CHECK(quiet.next() == 1);
    quiet.close();  // catching the exit and returning is a clean close
    CHECK(trace == Trace{"exit, returning"});
    CHECK(quiet.done());

    trace.clear();
    auto stubborn = ignores_exit(trace);
    CHECK(stubborn.next() == 0);
    CHECK_THROWS_WITH_AS(stubborn.close(), "generator ignored exit", GeneratorError);
    CHECK(trace == Trace{"ignoring exit"});
    CHECK_FALSE(stubborn.done());     // it yielded, so it is still suspended
    CHECK(stubborn.next() == 2);      // past the value it yielded while ignoring the exit
    {
        CapturedStderr errors;
        stubborn = Generator<int>();  // closed again on the way out, and ignoring it again
        CHECK(errors.text() == "Exception ignored in workbook::Generator's destructor: generator ignored exit\n");
    }
    CHECK(trace == Trace{"ignoring exit", "ignoring exit"});

    trace.clear();
    auto failing = fails_on_exit(trace);
    CHECK(failing.next() == 1);
    CHECK_THROWS_WITH_AS(failing.close(), "failed while closing", std::runtime_error);
    CHECK(trace == Trace{"local destroyed"});
    CHECK(failing.done());

    // On a finished generator close() does nothing; on an unstarted one it runs nothing.
    trace.clear();
    g.close();
    failing.close();
    auto unstarted = cleans_up_on_exit(trace);
    unstarted.close();
    CHECK(trace.empty());
    CHECK(unstarted.done());
    CHECK(unstarted.next() == std::nullopt);
}

// ---- 10. Destroying a suspended generator closes it first (PEP 342's finaliser), then destroys
// its frame; what close() would raise is reported on stderr, never thrown.
Generator<int> nested_locals(Trace& trace) {
    Guard outer(trace, "outer local");
    Counted counted(1);
    co_yield 1;
    {
        Guard inner(trace, "inner local");
        try {
            co_yield 2;
        } catch (const GeneratorExit& exit) {
            trace.push_back(std::string("handler got ") + exit.what());
            throw;
        }
    }
    Guard never(trace, "never constructed");
    co_yield 3;
}

TEST_CASE("destroying a suspended generator raises a generator exit at its co_yield, so its handlers run, then destroys every local") {
    static_assert(std::is_nothrow_destructible_v<Generator<int>>);
    Counted::reset();
    Trace trace;
    CapturedStderr errors;
    {
        auto g = nested_locals(trace);
        CHECK(g.next() == 1);
        CHECK(g.next() == 2);
        CHECK(Counted::alive == 1);
    }
    CHECK(trace == Trace{"handler got generator exit", "inner local destroyed", "outer local destroyed"});
    CHECK(Counted::alive == 0);
    CHECK(errors.text().empty());  // a clean close reports nothing
}

TEST_CASE("destroying a generator that never started or has finished runs none of its body") {
    Trace trace;
    { auto unstarted = nested_locals(trace); }
    CHECK(trace.empty());  // no locals were constructed, no handler ran

    {
        auto finished = three_steps(trace);
        while (finished.next()) {}
        trace.clear();
    }
    CHECK(trace.empty());

    {
        auto closed = cleans_up_on_exit(trace);
        CHECK(closed.next() == 0);
        closed.close();
        trace.clear();
    }
    CHECK(trace.empty());  // closed once, by close(); the destructor does not close it again
}

Generator<int> yields_on_exit(Trace& trace) {
    Guard guard(trace, "local");
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        trace.push_back("yielding instead of closing");
    }
    co_yield 2;
}

TEST_CASE("destroying a generator that yields instead of closing reports the ignored exit on stderr in one line and still destroys its frame") {
    Trace trace;
    CapturedStderr errors;
    {
        auto g = yields_on_exit(trace);
        CHECK(g.next() == 1);
    }
    CHECK(trace == Trace{"yielding instead of closing", "local destroyed"});
    CHECK(errors.text() == "Exception ignored in workbook::Generator's destructor: generator ignored exit\n");
}

struct NotAnException {};
Generator<int> raises_unknown_on_exit() {
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        throw NotAnException{};
    }
}

TEST_CASE("destroying a generator whose handler raises another exception reports it on stderr in one line and goes on") {
    Trace trace;
    CapturedStderr errors;
    {
        auto failing = fails_on_exit(trace);
        CHECK(failing.next() == 1);
        auto unknown = raises_unknown_on_exit();
        CHECK(unknown.next() == 1);
    }  // unknown first, then failing: locals are destroyed in reverse order
    CHECK(trace == Trace{"local destroyed"});
    CHECK(errors.text() ==
          "Exception ignored in workbook::Generator's destructor: an exception not derived from std::exception\n"
          "Exception ignored in workbook::Generator's destructor: failed while closing\n");
}

TEST_CASE("assigning to a generator closes the suspended generator it held, as destroying it does") {
    Trace trace;
    auto g = cleans_up_on_exit(trace);
    CHECK(g.next() == 0);
    g = three_steps(trace);
    CHECK(trace == Trace{"exit at co_yield", "local destroyed"});
    CHECK(g.next() == 1);  // and it now drives the new frame
    CHECK(trace == Trace{"exit at co_yield", "local destroyed", "start"});
}

// ---- 10b. GeneratorExit is not a std::exception, as Python's GeneratorExit is not an Exception.
Generator<int> catches_std_exceptions(Trace& trace) {
    try {
        co_yield 1;
    } catch (const std::exception&) {
        trace.push_back("std::exception handler ran");
    }
    trace.push_back("went on after the handler");
}

TEST_CASE("a generator exit is not caught by a handler of std::exception, as Python's except Exception lets GeneratorExit through") {
    static_assert(!std::is_base_of_v<std::exception, GeneratorExit>);
    Trace trace;
    CapturedStderr errors;
    {
        auto destroyed = catches_std_exceptions(trace);
        CHECK(destroyed.next() == 1);
    }
    auto closed = catches_std_exceptions(trace);
    CHECK(closed.next() == 1);
    closed.close();
    CHECK(closed.done());
    CHECK(trace.empty());
    CHECK(errors.text().empty());
}

// ---- 11. Resuming a generator from inside its own body is refused.
Generator<int> resumes_itself(Trace& trace, Generator<int>*& self) {
    try {
        (void)self->next();
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("next: ") + error.what());
    }
    try {
        self->close();
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("close: ") + error.what());
    }
    try {
        (void)self->throw_into(std::runtime_error("x"));
    } catch (const GeneratorError& error) {
        trace.push_back(std::string("throw_into: ") + error.what());
    }
    co_yield 1;
    (void)self->next();  // uncaught this time
    co_yield 2;
}

TEST_CASE("resuming a generator from inside its own body is an already-executing error, not corruption") {
    Trace trace;
    Generator<int>* self = nullptr;
    auto g = resumes_itself(trace, self);
    self = &g;
    CHECK(g.next() == 1);
    CHECK(trace == Trace{"next: generator already executing", "close: generator already executing",
                         "throw_into: generator already executing"});
    CHECK_THROWS_WITH_AS(g.next(), "generator already executing", GeneratorError);
    CHECK(g.done());
    CHECK(g.next() == std::nullopt);
}

// ---- 12. Yielded temporaries outlive the caller's read; move-only yields work.
Generator<std::string> long_temporaries() {
    for (int i = 0; i < 3; ++i) co_yield std::string(64, 'x') + std::to_string(i);  // heap-allocated
}
Generator<std::unique_ptr<int>> unique_values() {
    co_yield std::make_unique<int>(1);
    auto two = std::make_unique<int>(2);
    co_yield std::move(two);
}
Generator<Counted> counted_values(Trace& trace) {
    co_yield Counted(1);  // a temporary: moved out, never copied
    Counted kept(2);
    co_yield kept;        // an lvalue: copied once, the local stays intact
    trace.push_back("kept " + std::to_string(kept.value));
}

TEST_CASE("a yielded temporary stays valid while the caller reads it and move-only yield types work") {
    std::vector<std::string> strings;
    for (auto& s : long_temporaries()) strings.push_back(s);
    CHECK(strings == std::vector<std::string>{std::string(64, 'x') + "0", std::string(64, 'x') + "1",
                                              std::string(64, 'x') + "2"});

    std::vector<int> ints;
    auto g = unique_values();
    while (auto p = g.next()) ints.push_back(**p);
    for (auto& p : unique_values()) {
        std::unique_ptr<int> owned = std::move(p);  // the iterator's value may be moved from
        ints.push_back(*owned);
    }
    CHECK(ints == std::vector<int>{1, 2, 1, 2});

    Counted::reset();
    Trace trace;
    {
        auto c = counted_values(trace);
        CHECK(c.next()->value == 1);
        CHECK(Counted::copies == 0);
        CHECK(Counted::moves == 1);
        CHECK(c.next()->value == 2);
        CHECK(Counted::copies == 1);
        CHECK(Counted::moves == 1);
        CHECK(c.next() == std::nullopt);
    }
    CHECK(trace == Trace{"kept 2"});
    CHECK(Counted::alive == 0);
}

// ---- 13. Move-only; moved-from is empty; range-for.
Generator<int> count_to(int n, Trace* trace = nullptr) {
    std::optional<Guard> guard;
    if (trace) guard.emplace(*trace, "count_to local");
    for (int i = 1; i <= n; ++i) co_yield i;
}

TEST_CASE("generators are move-only, a moved-from generator is empty, and range-for works for pull-only use") {
    static_assert(!std::is_copy_constructible_v<Generator<int>>);
    static_assert(!std::is_copy_assignable_v<Generator<int>>);
    static_assert(std::is_nothrow_move_constructible_v<Generator<int>>);
    static_assert(std::is_nothrow_move_assignable_v<Generator<int>>);
    static_assert(std::ranges::input_range<Generator<int>>);

    auto g = count_to(3);
    CHECK(g.next() == 1);
    auto h = std::move(g);
    CHECK_FALSE(g);  // NOLINT(bugprone-use-after-move): an empty generator is the point
    CHECK(h);
    CHECK(g.done());
    CHECK_FALSE(g.started());
    CHECK_THROWS_WITH_AS(g.next(), "empty generator (default-constructed or moved from)", GeneratorError);
    CHECK_THROWS_WITH_AS(g.throw_into(std::runtime_error("x")), "empty generator (default-constructed or moved from)",
                         GeneratorError);
    g.close();  // nothing to close
    CHECK(h.next() == 2);  // the frame moved on with h, where it was

    Trace trace;
    auto assigned = count_to(5, &trace);
    CHECK(assigned.next() == 1);
    assigned = std::move(h);  // the old frame, suspended, is destroyed
    CHECK(trace == Trace{"count_to local destroyed"});
    CHECK(assigned.next() == 3);

    std::vector<int> seen;
    for (int v : count_to(4)) seen.push_back(v);
    CHECK(seen == std::vector<int>{1, 2, 3, 4});

    Generator<int> empty;
    CHECK_FALSE(empty);
    CHECK(empty.done());
}

// ---- The rest of the protocol: islice, next() sending None, allocation, range-for.
TEST_CASE("reading at most n values resumes the generator exactly n times, like Python's islice") {
    Trace trace;
    auto g = three_steps(trace);
    int taken = 0;
    auto it = g.begin();
    for (int i = 0; i < 1 && it != g.end(); ++i, ++it) taken += *it;
    CHECK(taken == 1);
    CHECK(trace == Trace{"start"});  // not resumed past the value it gave
    CHECK(g.next() == 2);
}

TEST_CASE("next into a generator that expects a value sends a default one, as Python's next sends None") {
    Trace trace;
    auto g = receiver(trace);
    CHECK(g.next() == 0);
    CHECK(g.next() == 0);
    CHECK(g.send(3) == 0);
    CHECK(trace == Trace{"start", "got 0", "got 3"});
}

Generator<std::uint64_t, unsigned char> counter() {
    std::uint64_t count = 0;
    while (true) {
        [[maybe_unused]] unsigned char event = co_yield count;
        ++count;
    }
}

TEST_CASE("creating a generator allocates its frame once and resuming it allocates nothing") {
    std::size_t per_generator = workbook::testing::allocations_during([] { auto g = counter(); });
    CHECK(per_generator <= 1);  // one frame (clang may even elide it)
    auto g = prime(counter());
    std::optional<std::uint64_t> count;
    std::size_t per_sends = workbook::testing::allocations_during([&] {
        for (int i = 0; i < 10000; ++i) count = g.send('a');
    });
    CHECK(per_sends == 0);
    CHECK(count == 10000u);
}

Generator<int> throws_logic_error() {
    co_yield 1;
    throw std::logic_error("a bug in the body");
}

TEST_CASE("an exception thrown out of a range-for body's generator leaves the loop") {
    std::vector<int> seen;
    auto loop = [&] {
        for (int v : throws_logic_error()) seen.push_back(v);
    };
    CHECK_THROWS_WITH_AS(loop(), "a bug in the body", std::logic_error);
    CHECK(seen == std::vector<int>{1});
}

}  // namespace
