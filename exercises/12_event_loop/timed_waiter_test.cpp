// Tests of exercise 12. Run them with `./workbook check 12`.
#include "timed_waiter.hpp"

#include "workbook/event_loop.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using exercise12::TimedWaiter;
using exercise12::Timeout;
using workbook::EventLoop;
using workbook::Greenlet;
using namespace std::chrono_literals;

// A hub running `loop` and one greenlet on it, started by the loop as gevent's spawn does; runs
// the loop until nothing is left (a timer never cancelled keeps it running). What the greenlet
// raised, if anything, comes out here.
void run_on_hub(EventLoop& loop, Greenlet& hub, const std::function<void()>& body) {
    Greenlet waiting{body, hub};
    loop.call_soon([&waiting] { waiting.switch_to(); });
    hub.switch_to();
}

}  // namespace

TEST_CASE("a value handed over before the timeout is what get() returns") {
    EventLoop loop;
    Greenlet hub{[&loop] { loop.run(); }};
    TimedWaiter waiter{loop, hub};
    std::int64_t got = 0;
    loop.call_later(1ms, [&waiter] { waiter.switch_to(42); });
    // An hour: if the timer were left behind, the loop would not end and the test would time out.
    run_on_hub(loop, hub, [&] { got = waiter.get(std::chrono::hours(1)); });
    CHECK(got == 42);
}

TEST_CASE("with nothing handed over, the timeout is raised in the waiting greenlet") {
    EventLoop loop;
    Greenlet hub{[&loop] { loop.run(); }};
    TimedWaiter waiter{loop, hub};
    std::string caught;
    run_on_hub(loop, hub, [&] {
        try {
            waiter.get(2ms);
        } catch (const Timeout& timeout) {
            caught = timeout.what();
        }
    });
    CHECK_FALSE(caught.empty());
}

TEST_CASE("an error handed over before the timeout is raised in the waiting greenlet, and the timer goes") {
    EventLoop loop;
    Greenlet hub{[&loop] { loop.run(); }};
    TimedWaiter waiter{loop, hub};
    std::string caught;
    loop.call_later(1ms, [&waiter] { waiter.throw_into(std::make_exception_ptr(std::runtime_error("the server has gone"))); });
    run_on_hub(loop, hub, [&] {
        try {
            waiter.get(std::chrono::hours(1));
        } catch (const std::runtime_error& error) {
            caught = error.what();
        }
    });
    CHECK(caught == "the server has gone");
}

TEST_CASE("a value that comes after the timeout is dropped: it does not wake the greenlet's next wait") {
    EventLoop loop;
    Greenlet hub{[&loop] { loop.run(); }};
    TimedWaiter late{loop, hub}, next{loop, hub};
    std::vector<std::string> seen;
    loop.call_later(20ms, [&late] { late.switch_to(9); });  // after late's timeout, before next's value
    loop.call_later(40ms, [&next] { next.switch_to(7); });
    run_on_hub(loop, hub, [&] {
        try {
            seen.push_back(std::to_string(late.get(1ms)));
        } catch (const Timeout&) {
            seen.emplace_back("timed out");
        }
        seen.push_back(std::to_string(next.get(std::chrono::hours(1))));
    });
    CHECK(seen == std::vector<std::string>{"timed out", "7"});
}

TEST_CASE("the timeout reaches a greenlet waiting deep in its own calls, which can wait again") {
    EventLoop loop;
    Greenlet hub{[&loop] { loop.run(); }};
    TimedWaiter waiter{loop, hub};
    int timeouts = 0;
    std::function<void(int)> descend = [&](int depth) {
        if (depth > 0) return descend(depth - 1);
        try {
            waiter.get(1ms);
        } catch (const Timeout&) {
            ++timeouts;
        }
    };
    run_on_hub(loop, hub, [&] {
        descend(50);
        descend(10);
    });
    CHECK(timeouts == 2);
}

TEST_CASE("the hub cannot wait on itself") {
    EventLoop loop;
    Greenlet hub{[&loop] { loop.run(); }};
    TimedWaiter waiter{loop, hub};
    bool refused = false;
    loop.call_soon([&] {
        try {
            waiter.get(1ms);
        } catch (const std::logic_error&) {
            refused = true;
        }
    });
    hub.switch_to();
    CHECK(refused);
}
