// workbook::Deferred and workbook::inline_callbacks: Twisted's rules (its defer.py and the Deferred
// howto), one case per rule; docs/promises.md names each case with the rule it proves. Every case
// records what ran in a trace and compares it whole; CapturedStderr shows what a destructor
// reported, Guard proves a generator's frame was unwound.
#include "workbook/deferred.hpp"
#include "workbook/inline_callbacks.hpp"

#include "trace.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using workbook::AlreadyCalledError;
using workbook::Deferred;
using workbook::DeferredError;
using workbook::DeferredGenerator;
using workbook::Failure;
using workbook::inline_callbacks;

namespace {

struct Lost : std::runtime_error {
    Lost() : std::runtime_error("lost") {}
};

}  // namespace

TEST_CASE("callbacks run in the order they were added, each receiving what the one before returned") {
    Trace trace;
    Deferred<int> d;
    d.add_callback([&](int n) {
        trace.push_back("first " + std::to_string(n));
        return n + 1;
    });
    auto text = d.add_callback([&](int n) {
        trace.push_back("second " + std::to_string(n));
        return std::to_string(n * 10);
    });
    Deferred<void> nothing = text.add_callback([&](const std::string& s) { trace.push_back("third " + s); });
    nothing.add_callback([&] { trace.push_back("fourth, given nothing"); });
    CHECK(trace.empty());  // nothing runs before the Deferred fires
    d.callback(1);
    CHECK(trace == Trace{"first 1", "second 2", "third 20", "fourth, given nothing"});
}

TEST_CASE("a result skips the errbacks and an error skips the callbacks") {
    Trace trace;
    auto chain = [&](Deferred<int> d) {
        d.add_callback([&](int n) {
            trace.push_back("callback A " + std::to_string(n));
            return n;
        });
        d.add_errback([&](const Failure& failure) {
            trace.push_back("errback B: " + failure.what());
            return 0;
        });
        d.add_callback([&](int n) { trace.push_back("callback C " + std::to_string(n)); });
    };
    Deferred<int> succeeding;
    chain(succeeding);
    succeeding.callback(5);
    CHECK(trace == Trace{"callback A 5", "callback C 5"});

    trace.clear();
    Deferred<int> failing;
    chain(failing);
    failing.errback(Lost());
    CHECK(trace == Trace{"errback B: lost", "callback C 0"});
}

TEST_CASE("a callback that throws switches to the errback branch, and an errback that returns a value switches back") {
    Trace trace;
    Deferred<int> d;
    d.add_callback([&](int n) -> int {
         trace.push_back("callback throws");
         if (n > 0) throw Lost();
         return n;
     })
        .add_callback([&](int n) {
            trace.push_back("skipped callback");
            return n;
        })
        .add_errback([&](const Failure& failure) -> int {
            trace.push_back("errback passes " + failure.what() + " on");
            failure.rethrow();
        })
        .add_errback([&](const Failure& failure) {
            failure.trap<Lost>();
            trace.push_back("errback recovers");
            return 7;
        })
        .add_errback([&](const Failure&) {
            trace.push_back("skipped errback");
            return 0;
        })
        .add_callback([&](int n) { trace.push_back("callback " + std::to_string(n)); });
    d.callback(1);
    CHECK(trace == Trace{"callback throws", "errback passes lost on", "errback recovers", "callback 7"});
}

TEST_CASE("an errback paired with a callback does not see what that callback throws, and add_both gets either") {
    Trace trace;
    auto errback = [&](std::string name) {
        return [&trace, name](const Failure& failure) {
            trace.push_back(name + ": " + failure.what());
            return 0;
        };
    };
    auto throwing = [](int) -> int { throw Lost(); };

    // The howto's Case 1: the errback after the callback sees its error.
    Deferred<int> one;
    one.add_callback(throwing).add_errback(errback("errback1")).add_callback(throwing).add_errback(errback("errback2"));
    one.callback(1);
    CHECK(trace == Trace{"errback1: lost", "errback2: lost"});

    // Case 2: a pair's errback only sees errors from before the pair.
    trace.clear();
    Deferred<int> two;
    two.add_callbacks(throwing, errback("errback1")).add_callbacks(throwing, errback("errback2"));
    two.callback(1);
    CHECK(trace == Trace{"errback2: lost"});

    // add_both is a pair of the same function: it gets the result or the failure.
    trace.clear();
    auto both = [&](const auto& result_or_failure) {
        if constexpr (std::is_same_v<std::decay_t<decltype(result_or_failure)>, Failure>) {
            trace.push_back("both: failure " + result_or_failure.what());
        } else {
            trace.push_back("both: result " + std::to_string(result_or_failure));
        }
    };
    workbook::succeed(3).add_both(both);
    workbook::fail<int>(std::make_exception_ptr(Lost())).add_both(both);
    CHECK(trace == Trace{"both: result 3", "both: failure lost"});
}

TEST_CASE("callbacks added after the Deferred fired run at once with the chain's current result") {
    Trace trace;
    Deferred<int> d;
    d.add_callback([](int n) { return n * 2; });
    d.callback(4);
    CHECK(d.called());
    d.add_callback([&](int n) {
        trace.push_back("late " + std::to_string(n));
        return n + 1;
    });
    d.add_callback([&](int n) {
        trace.push_back("later " + std::to_string(n));
        return n;
    });
    CHECK(trace == Trace{"late 8", "later 9"});

    auto done = workbook::succeed(std::string("ready"));
    done.add_callback([&](const std::string& s) { trace.push_back(s); });
    CHECK(trace.back() == "ready");
}

TEST_CASE("a callback that returns a Deferred pauses the chain until it fires, then the chain goes on with its result") {
    Trace trace;
    Deferred<int> outer;
    Deferred<std::string> inner;
    outer.add_callback([&](int n) {
             trace.push_back("outer " + std::to_string(n));
             return inner;
         })
        .add_callback([&](const std::string& s) {
            trace.push_back("after inner: " + s);
            return s.size();
        })
        .add_callback([&](std::size_t n) { trace.push_back("size " + std::to_string(n)); });
    outer.callback(1);
    CHECK(trace == Trace{"outer 1"});  // paused: inner has not fired
    inner.callback("fired later");
    CHECK(trace == Trace{"outer 1", "after inner: fired later", "size 11"});

    // An error of the inner Deferred goes on down the outer chain's errback branch.
    trace.clear();
    Deferred<int> outer2;
    Deferred<int> inner2;
    outer2.add_callback([&](int) { return inner2; })
        .add_callback([&](int n) {
            trace.push_back("skipped " + std::to_string(n));
            return n;
        })
        .add_errback([&](const Failure& failure) {
            trace.push_back("outer errback: " + failure.what());
            return 0;
        });
    outer2.callback(1);
    inner2.errback(Lost());
    CHECK(trace == Trace{"outer errback: lost"});
}

TEST_CASE("a callback that returns a Deferred fired already goes on at once with its result") {
    Trace trace;
    Deferred<int> outer;
    Deferred<int> inner;
    inner.callback(41);
    outer.add_callback([&](int) { return inner; }).add_callback([&](int n) { trace.push_back("got " + std::to_string(n)); });
    outer.callback(0);
    CHECK(trace == Trace{"got 41"});

    // Its errors are the outer chain's now: handled there, nothing is left to report.
    CapturedStderr errors;
    {
        Deferred<int> failed_inner = workbook::fail<int>(std::make_exception_ptr(Lost()));
        workbook::succeed(0).add_callback([&](int) { return failed_inner; }).add_errback([&](const Failure& failure) {
            trace.push_back("handled " + failure.what());
            return 0;
        });
    }
    CHECK(trace == Trace{"got 41", "handled lost"});
    CHECK(errors.text().empty());
}

TEST_CASE("firing a Deferred twice is an already-called error and changes nothing") {
    Trace trace;
    Deferred<int> d;
    d.add_callback([&](int n) { trace.push_back("got " + std::to_string(n)); });
    d.callback(1);
    CHECK_THROWS_AS(d.callback(2), AlreadyCalledError);
    CHECK_THROWS_AS(d.errback(Lost()), AlreadyCalledError);
    CHECK(trace == Trace{"got 1"});

    Deferred<int> failed;
    failed.add_errback([](const Failure&) { return 0; });
    failed.errback(Lost());
    CHECK_THROWS_AS(failed.callback(1), AlreadyCalledError);
}

TEST_CASE("an error left at the end of a chain is reported on stderr in one line when the Deferred is destroyed") {
    CapturedStderr errors;
    {
        Deferred<int> d;
        d.add_callback([](int) -> int { throw Lost(); });
        d.callback(1);
        Deferred<int> copy = d;  // a handle on the same chain: the report waits for the last one
    }
    CHECK(errors.text() == "Unhandled error in workbook::Deferred: lost\n");
}

TEST_CASE("an error handled by an errback, or handed on to another chain, is not reported") {
    CapturedStderr errors;
    Trace trace;
    {
        Deferred<int> handled;
        handled.add_errback([](const Failure&) { return 0; });
        handled.errback(Lost());

        Deferred<int> outer;
        Deferred<int> inner;
        outer.add_callback([&](int) { return inner; }).add_errback([&](const Failure& failure) {
            trace.push_back(failure.what());
            return 0;
        });
        outer.callback(0);
        inner.errback(Lost());  // handed to outer, which handles it

        Deferred<int> never_fired;  // nothing to report either
        never_fired.add_callback([](int n) { return n; });
    }
    CHECK(trace == Trace{"lost"});
    CHECK(errors.text().empty());
}

TEST_CASE("a handle that no longer says the type of its chain's end is refused, and so is a callback returning its own Deferred") {
    Deferred<int> d;
    auto text = d.add_callback([](int n) { return std::to_string(n); });
    CHECK_THROWS_AS(d.add_callback([](int n) { return n; }), DeferredError);
    CHECK_THROWS_AS(text.callback("x"), DeferredError);  // fired with the type it was made with
    Deferred<int> moved = std::move(d);
    CHECK_FALSE(d);
    CHECK_THROWS_AS(d.callback(1), DeferredError);
    CHECK_THROWS_AS(moved.errback(std::exception_ptr{}), DeferredError);

    Trace trace;
    Deferred<int> self;
    self.add_callback([self](int) { return self; }).add_errback([&](const Failure& failure) {
        trace.push_back(failure.check<DeferredError>() ? "DeferredError" : "another error");
        return 0;
    });
    self.callback(1);
    CHECK(trace == Trace{"DeferredError"});
}

TEST_CASE("gather fires with every result in order once all have fired, or with the first error and no report of the others") {
    Trace trace;
    Deferred<int> a, b, c;
    workbook::gather(std::vector{a, b, c}).add_callback([&](const std::vector<int>& all) {
        trace.push_back("all: " + std::to_string(all[0]) + " " + std::to_string(all[1]) + " " + std::to_string(all[2]));
    });
    c.callback(3);
    a.callback(1);
    CHECK(trace.empty());
    b.callback(2);
    CHECK(trace == Trace{"all: 1 2 3"});

    trace.clear();
    CapturedStderr errors;
    {
        Deferred<int> ok, bad, worse;
        workbook::gather(std::vector{ok, bad, worse}).add_errback([&](const Failure& failure) {
            trace.push_back("first error: " + failure.what());
            return std::vector<int>{};
        });
        bad.errback(Lost());
        CHECK(trace == Trace{"first error: lost"});
        worse.errback(std::runtime_error("later"));
        ok.callback(1);
    }
    CHECK(trace == Trace{"first error: lost"});
    CHECK(errors.text().empty());

    bool empty_fired = false;
    workbook::gather(std::vector<Deferred<int>>{}).add_callback([&](const std::vector<int>& all) { empty_fired = all.empty(); });
    CHECK(empty_fired);
}

namespace {

DeferredGenerator<int, int> add_up(Trace& trace, Deferred<int> first, Deferred<int> second) {
    Guard guard(trace, "frame");
    int a = co_yield std::move(first);
    trace.push_back("resumed with " + std::to_string(a));
    int b = co_yield std::move(second);
    trace.push_back("resumed with " + std::to_string(b));
    co_return a + b;
}

DeferredGenerator<void, std::string> waits_for(Trace& trace, Deferred<void> signal) {
    trace.push_back("waiting");
    co_yield std::move(signal);
    co_return "signalled";
}

}  // namespace

TEST_CASE("inline_callbacks resumes the generator with each Deferred's result, fired before or after it was yielded") {
    Trace trace;
    Deferred<int> early;
    Deferred<int> late;
    early.callback(1);
    inline_callbacks(add_up(trace, early, late)).add_callback([&](int sum) { trace.push_back("sum " + std::to_string(sum)); });
    CHECK(trace == Trace{"resumed with 1"});  // ran at once up to the Deferred that has not fired
    late.callback(2);
    CHECK(trace == Trace{"resumed with 1", "resumed with 2", "frame destroyed", "sum 3"});

    // Deferreds of nothing resume a generator whose co_yield gives nothing (Twisted's None).
    trace.clear();
    Deferred<void> signal;
    inline_callbacks(waits_for(trace, signal)).add_callback([&](const std::string& s) { trace.push_back(s); });
    CHECK(trace == Trace{"waiting"});
    signal.callback();
    CHECK(trace == Trace{"waiting", "signalled"});
}

namespace {

DeferredGenerator<int, std::string> catches(Trace& trace, Deferred<int> failing) {
    try {
        co_yield std::move(failing);
        trace.push_back("not reached");
    } catch (const Lost& error) {
        trace.push_back(std::string("caught ") + error.what());
    }
    co_return "recovered";
}

DeferredGenerator<int, int> does_not_catch(Trace& trace, Deferred<int> failing) {
    Guard guard(trace, "frame");
    int n = co_yield std::move(failing);
    trace.push_back("not reached");
    co_return n;
}

}  // namespace

TEST_CASE("an error of a yielded Deferred is thrown into the generator, where it can be caught") {
    Trace trace;
    CapturedStderr errors;
    {
        Deferred<int> failing;
        inline_callbacks(catches(trace, failing)).add_callback([&](const std::string& s) { trace.push_back(s); });
        failing.errback(Lost());
    }
    CHECK(trace == Trace{"caught lost", "recovered"});
    CHECK(errors.text().empty());  // the generator handled it
}

TEST_CASE("an error the generator does not catch reaches the returned Deferred's errback") {
    Trace trace;
    Deferred<int> failing;
    inline_callbacks(does_not_catch(trace, failing)).add_errback([&](const Failure& failure) {
        trace.push_back("errback: " + failure.what());
        return 0;
    });
    failing.errback(Lost());
    CHECK(trace == Trace{"frame destroyed", "errback: lost"});
}

namespace {

[[gnu::noinline]] std::uintptr_t stack_position() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

DeferredGenerator<int, int> many_fired(int count, std::vector<std::uintptr_t>& depths) {
    int sum = 0;
    for (int i = 0; i < count; ++i) {
        sum += co_yield workbook::succeed(1);
        depths.push_back(stack_position());
    }
    co_return sum;
}

}  // namespace

TEST_CASE("a generator that yields Deferreds fired already runs on one trampoline loop, at one stack depth") {
    constexpr int count = 1000;  // deep enough to tell, shallow enough that a nested call per yield fails the check, not the stack
    std::vector<std::uintptr_t> depths;
    int total = 0;
    inline_callbacks(many_fired(count, depths)).add_callback([&](int sum) { total = sum; });
    CHECK(total == count);
    REQUIRE(depths.size() == static_cast<std::size_t>(count));
    CHECK(depths.front() == depths.back());  // a nested call per yield would be deeper each time
}

TEST_CASE("a generator waiting on a Deferred destroyed unfired is closed and its frame freed, and a finished one leaves nothing") {
    Trace trace;
    {
        Deferred<int> never;
        auto result = inline_callbacks(add_up(trace, never, Deferred<int>()));
        CHECK(trace.empty());
        CHECK_FALSE(result.called());
        never = Deferred<int>();  // the last handle on the Deferred it waits for
        CHECK(trace == Trace{"frame destroyed"});
        CHECK_FALSE(result.called());  // as in Twisted, its Deferred never fires
    }
    trace.clear();
    {
        auto result = inline_callbacks(add_up(trace, workbook::succeed(2), workbook::succeed(3)));
        CHECK(trace == Trace{"resumed with 2", "resumed with 3", "frame destroyed"});
        int sum = 0;
        result.add_callback([&](int n) { sum = n; });
        CHECK(sum == 5);
    }
}
