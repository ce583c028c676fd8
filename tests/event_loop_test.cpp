// workbook::EventLoop: the order of callbacks and turns, timers in deadline order and never early,
// cancelling, descriptors' readiness, removals and stop from inside a callback, exceptions out of
// run(), and running(). Every case synchronises on what the loop did, never on elapsed time.
#include "workbook/event_loop.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using workbook::EventLoop;

namespace {

// Both ends of a pipe, closed at the end of the case.
struct Pipe {
    int read = -1, write = -1;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        if (read >= 0) ::close(read);
        if (write >= 0) ::close(write);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void put(char c) const { REQUIRE(::write(write, &c, 1) == 1); }
    char take() const {
        char c = 0;
        REQUIRE(::read(read, &c, 1) == 1);
        return c;
    }
};

}  // namespace

TEST_CASE("callbacks queued with call_soon run in the order they were queued") {
    EventLoop loop;
    std::string order;
    for (char c : std::string("abcde")) loop.call_soon([&order, c] { order += c; });
    loop.run();
    CHECK(order == "abcde");
}

TEST_CASE("a callback queued from a callback runs in the next turn, after the descriptors are polled") {
    // A callback that queues itself again: were it run in the same turn, the loop would never poll
    // and the reader of a readable pipe would never run.
    EventLoop loop;
    Pipe pipe;
    pipe.put('x');
    int runs = 0, runs_when_read = -1;
    bool stopped = false;
    std::function<void()> again = [&] {
        ++runs;
        if (!stopped) loop.call_soon(again);
    };
    loop.call_soon(again);
    loop.add_reader(pipe.read, [&] {
        runs_when_read = runs;
        pipe.take();
        loop.remove_reader(pipe.read);
        stopped = true;
    });
    loop.run();
    // Turn 1 runs it once and polls (without waiting: it is queued again); turn 2 runs it, then the reader.
    CHECK(runs_when_read == 2);
    CHECK(runs == 3);
}

TEST_CASE("timers run in the order of their deadlines, and none before its deadline") {
    EventLoop loop;
    std::vector<int> order;
    for (int delay : {3000, 1000, 0, 2000, 500}) {
        auto earliest = loop.now() + std::chrono::microseconds(delay);  // read before call_later: never later than its deadline
        loop.call_later(std::chrono::microseconds(delay), [&, delay, earliest] {
            CHECK(loop.now() >= earliest);
            order.push_back(delay);
        });
    }
    CHECK(loop.timers() == 5);
    loop.run();
    CHECK(order == std::vector<int>{0, 500, 1000, 2000, 3000});
    CHECK(loop.timers() == 0);
}

TEST_CASE("a cancelled timer never runs, and cancel says whether the timer was still to run") {
    EventLoop loop;
    bool cancelled_ran = false, ran = false;
    EventLoop::TimerId doomed = loop.call_later(1000us, [&] { cancelled_ran = true; });
    EventLoop::TimerId kept = loop.call_later(2000us, [&] { ran = true; });
    CHECK(doomed != 0);
    CHECK(kept != doomed);
    CHECK(loop.cancel(doomed));
    CHECK_FALSE(loop.cancel(doomed));
    CHECK_FALSE(loop.cancel(0));
    loop.run();
    CHECK_FALSE(cancelled_ran);
    CHECK(ran);
    CHECK_FALSE(loop.cancel(kept));  // it has run
}

TEST_CASE("a timer cancelled by another callback of the turn in which it is due does not run") {
    EventLoop loop;
    EventLoop::TimerId second = 0;
    bool second_ran = false;
    bool cancelled = false;
    // Both deadlines have passed when the loop first polls, so both are due in the same turn.
    loop.call_later(0us, [&] { cancelled = loop.cancel(second); });
    second = loop.call_later(0us, [&] { second_ran = true; });
    loop.run();
    CHECK(cancelled);
    CHECK_FALSE(second_ran);
}

TEST_CASE("many timers armed and cancelled leave nothing behind") {
    EventLoop loop;
    for (int i = 0; i < 10000; ++i) CHECK(loop.cancel(loop.call_later(1s, [] {})));
    CHECK(loop.timers() == 0);
    int ran = 0;
    loop.call_later(10us, [&] { ++ran; });
    loop.run();  // returns: the cancelled timers keep nothing alive
    CHECK(ran == 1);
}

TEST_CASE("a writer runs when its socket is writable and a reader when data has arrived") {
    EventLoop loop;
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    bool written = false;
    std::string got;
    loop.add_reader(pair[1], [&] {
        CHECK(written);  // not readable before the writer wrote
        char buffer[16];
        ssize_t n = ::read(pair[1], buffer, sizeof buffer);
        REQUIRE(n > 0);
        got.append(buffer, static_cast<std::size_t>(n));
        loop.remove_reader(pair[1]);
    });
    loop.add_writer(pair[0], [&] {
        REQUIRE(::write(pair[0], "hello", 5) == 5);
        written = true;
        loop.remove_writer(pair[0]);
    });
    loop.run();
    CHECK(got == "hello");
    ::close(pair[0]);
    ::close(pair[1]);
}

TEST_CASE("a reader and a writer of the same descriptor are watched and removed independently") {
    EventLoop loop;
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    int writes = 0, reads = 0;
    loop.add_writer(pair[0], [&] {
        ++writes;
        REQUIRE(::write(pair[0], "x", 1) == 1);
        loop.remove_writer(pair[0]);  // the reader of pair[0] stays
    });
    loop.add_reader(pair[0], [&] {  // the echo below arrives here
        ++reads;
        char c;
        REQUIRE(::read(pair[0], &c, 1) == 1);
        loop.remove_reader(pair[0]);
    });
    loop.add_reader(pair[1], [&] {
        char c;
        REQUIRE(::read(pair[1], &c, 1) == 1);
        REQUIRE(::write(pair[1], &c, 1) == 1);
        loop.remove_reader(pair[1]);
    });
    loop.run();
    CHECK(writes == 1);
    CHECK(reads == 1);
    ::close(pair[0]);
    ::close(pair[1]);
}

TEST_CASE("the reader of a pipe whose writer closed runs and reads the end of the file") {
    EventLoop loop;
    Pipe pipe;
    ::close(pipe.write);
    pipe.write = -1;
    ssize_t got = -1;
    loop.add_reader(pipe.read, [&] {
        char c;
        got = ::read(pipe.read, &c, 1);
        loop.remove_reader(pipe.read);
    });
    loop.run();
    CHECK(got == 0);
}

TEST_CASE("a reader removed by another callback of the same turn does not run") {
    EventLoop loop;
    Pipe first, second;
    first.put('1');
    second.put('2');  // both readable when the loop polls: both readers are queued in one turn
    int calls = 0;
    auto reader = [&](Pipe& mine, Pipe& other) {
        return [&] {
            ++calls;
            mine.take();
            loop.remove_reader(other.read);
            loop.remove_reader(mine.read);  // a reader may remove itself while it runs
        };
    };
    loop.add_reader(first.read, reader(first, second));
    loop.add_reader(second.read, reader(second, first));
    loop.run();
    CHECK(calls == 1);
}

TEST_CASE("a reader replaced by another callback of the same turn does not run; its replacement does") {
    EventLoop loop;
    Pipe first, second;
    first.put('1');
    second.put('2');
    std::string calls;
    auto replace = [&](Pipe& mine, Pipe& other, char name) {
        return [&, name] {
            calls += name;
            mine.take();
            loop.remove_reader(mine.read);
            loop.add_reader(other.read, [&] {
                calls += 'r';
                other.take();
                loop.remove_reader(other.read);
            });
        };
    };
    loop.add_reader(first.read, replace(first, second, 'a'));
    loop.add_reader(second.read, replace(second, first, 'b'));
    loop.run();
    CHECK(calls.size() == 2);  // one of a or b, then the replacement of the other, in a later turn
    CHECK(calls[1] == 'r');
}

TEST_CASE("stop from a callback makes run return after the turn, and a later run goes on") {
    EventLoop loop;
    std::string order;
    EventLoop::TimerId far = loop.call_later(std::chrono::hours(1), [] {});  // would keep the loop waiting
    loop.call_soon([&] {
        order += 'a';
        loop.stop();
        loop.call_soon([&] {
            order += 'c';
            loop.cancel(far);
        });
    });
    loop.call_soon([&] { order += 'b'; });  // the rest of the turn still runs
    loop.run();
    CHECK(order == "ab");
    loop.run();
    CHECK(order == "abc");
}

TEST_CASE("an exception escaping a callback stops the loop at once and run rethrows it; a later run goes on") {
    EventLoop loop;
    std::string order;
    loop.call_soon([&] { order += 'a'; });
    loop.call_soon([&] { throw std::runtime_error("boom"); });
    loop.call_soon([&] { order += 'b'; });
    CHECK_THROWS_WITH_AS(loop.run(), "boom", std::runtime_error);
    CHECK(order == "a");
    CHECK(EventLoop::running() == nullptr);
    loop.run();
    CHECK(order == "ab");
}

TEST_CASE("an exception from a reader or a timer leaves run too") {
    EventLoop loop;
    Pipe pipe;
    pipe.put('x');
    loop.add_reader(pipe.read, [] { throw std::logic_error("from a reader"); });
    CHECK_THROWS_WITH_AS(loop.run(), "from a reader", std::logic_error);
    loop.remove_reader(pipe.read);
    loop.call_later(1us, [] { throw std::out_of_range("from a timer"); });
    CHECK_THROWS_WITH_AS(loop.run(), "from a timer", std::out_of_range);
    loop.run();  // nothing left
}

TEST_CASE("run returns at once when nothing is left: no callback, no timer, no reader, no writer") {
    EventLoop loop;
    loop.run();
    CHECK(loop.ready() == 0);
    CHECK(loop.timers() == 0);
}

TEST_CASE("running gives the loop whose run is running in this thread, and null outside") {
    EventLoop outer, inner;
    CHECK(EventLoop::running() == nullptr);
    EventLoop* seen_outer = nullptr;
    EventLoop* seen_inner = nullptr;
    EventLoop* seen_after = nullptr;
    outer.call_soon([&] {
        seen_outer = EventLoop::running();
        inner.call_soon([&] { seen_inner = EventLoop::running(); });
        inner.run();
        seen_after = EventLoop::running();
        CHECK_THROWS_AS(outer.run(), std::logic_error);  // the same loop cannot run twice
    });
    outer.run();
    CHECK(seen_outer == &outer);
    CHECK(seen_inner == &inner);
    CHECK(seen_after == &outer);
    CHECK(EventLoop::running() == nullptr);
}

TEST_CASE("watching a descriptor epoll refuses is a system_error, and leaves nothing watched") {
    EventLoop loop;
    int file = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    REQUIRE(file >= 0);
    CHECK_THROWS_AS(loop.add_reader(file, [] {}), std::system_error);
    ::close(file);
    CHECK_THROWS_AS(loop.add_writer(-1, [] {}), std::system_error);
    loop.run();  // returns: nothing was left registered
}
