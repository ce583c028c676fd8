// Tests of workbook::Greenlet: the behaviours greenlet.hpp documents, one case each (1-12 first),
// then the errors, the ucontext variant, and the promises kept on both switchers alike. As in greenlet's own tests, each records
// what happens in `seen` and compares the whole trace; scope guards prove that frames were unwound.
#include "workbook/generator.hpp"
#include "workbook/greenlet.hpp"

#include "trace.hpp"

#include <doctest/doctest.h>

#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
#include <latch>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using workbook::Greenlet;
using workbook::GreenletError;
using workbook::GreenletExit;
using workbook::UcontextGreenlet;

// Counts live instances: proof that what a greenlet's function captured is destroyed exactly once.
struct Counted {
    static inline int alive = 0;
    Counted() { ++alive; }
    Counted(const Counted&) { ++alive; }
    Counted& operator=(const Counted&) = default;
    ~Counted() { --alive; }
};

}  // namespace

// 1
TEST_CASE("the first switch starts run with its value, and what run returns goes to the parent") {
    Trace seen;
    Greenlet g{[&](int x) {
        seen.push_back("run got " + std::to_string(x));
        return x * 10;
    }};
    CHECK_FALSE(g.started());
    CHECK(seen.empty());  // creating it ran nothing

    int result = g.switch_to<int>(4);
    seen.push_back("main got " + std::to_string(result));

    CHECK(seen == Trace{"run got 4", "main got 40"});
    CHECK(g.dead());
}

// 2
TEST_CASE("x = g.switch_to(y) delivers y into g, and x is what the next switch back delivers") {
    Trace seen;
    auto& main = Greenlet::main_greenlet();
    Greenlet g{[&](std::string first) {
        seen.push_back("g got " + first);
        auto second = main.switch_to<std::string>(std::string("one"));
        seen.push_back("g got " + second);
        return std::string("two");
    }};

    auto x = g.switch_to<std::string>(std::string("hello"));
    seen.push_back("main got " + x);
    auto y = g.switch_to<std::string>(std::string("again"));
    seen.push_back("main got " + y);

    CHECK(seen == Trace{"g got hello", "main got one", "g got again", "main got two"});
}

// 3
TEST_CASE("the classic ping-pong: main to test1, test1 to test2, back to test1; test2 stays suspended") {
    Trace seen;
    {
        Greenlet* gr2 = nullptr;
        Greenlet gr1{[&] {
            seen.push_back("12");
            gr2->switch_to();
            seen.push_back("34");
        }};
        Greenlet test2{[&] {
            seen.push_back("56");
            gr1.switch_to();
            seen.push_back("78");  // never: nobody switches back to test2
        }};
        gr2 = &test2;

        gr1.switch_to();

        CHECK(seen == Trace{"12", "56", "34"});
        CHECK(gr1.dead());
        CHECK_FALSE(test2.dead());
        CHECK(test2.active());
    }
    CHECK(seen == Trace{"12", "56", "34"});  // destroying test2 unwound it; "78" never ran
}

// 4
TEST_CASE("a greenlet is not started, then active, then dead; the main greenlet is never dead") {
    Trace seen;
    auto& main = Greenlet::main_greenlet();
    auto state = [](const Greenlet& g) {
        return std::string(g.dead() ? "dead" : g.active() ? "active" : g.started() ? "?" : "not started");
    };
    Greenlet* self = nullptr;
    Greenlet g{[&] {
        seen.push_back("inside: " + state(*self) + (&Greenlet::current() == self ? ", current" : ", not current"));
        main.switch_to();
    }};
    self = &g;

    seen.push_back("created: " + state(g));
    g.switch_to();
    seen.push_back("suspended: " + state(g));
    g.switch_to();
    seen.push_back("returned: " + state(g));

    CHECK(seen == Trace{"created: not started", "inside: active, current", "suspended: active", "returned: dead"});
    CHECK(main.is_main());
    CHECK(main.active());
    CHECK_FALSE(main.dead());
    CHECK(main.parent() == nullptr);
    CHECK(&Greenlet::current() == &main);
    CHECK_FALSE(g.is_main());
}

// 5
TEST_CASE("the default parent is the greenlet that created it, and children return to it") {
    Trace seen;
    auto& main = Greenlet::main_greenlet();
    Greenlet outer{[&] {
        Greenlet inner{[&] {
            seen.push_back("inner runs");
            return 7;
        }};
        CHECK(inner.parent() == &Greenlet::current());
        int from_inner = inner.switch_to<int>();
        seen.push_back("outer got " + std::to_string(from_inner));
    }};
    CHECK(outer.parent() == &main);

    outer.switch_to();
    seen.push_back("main continues");

    CHECK(seen == Trace{"inner runs", "outer got 7", "main continues"});
}

// 6
TEST_CASE("an uncaught exception in run is raised in the parent's pending switch, and on up the chain") {
    Trace seen;
    Greenlet outer{[&] {
        Guard guard{seen, "outer"};
        Greenlet inner{[&] {
            Guard inner_guard{seen, "inner"};
            throw std::runtime_error("from inner");
        }};
        inner.switch_to();
        seen.push_back("outer continues");  // never: the exception goes on through outer
    }};

    try {
        outer.switch_to();
    } catch (const std::runtime_error& error) {
        seen.push_back(std::string("main caught ") + error.what());
    }

    CHECK(seen == Trace{"inner destroyed", "outer destroyed", "main caught from inner"});
    CHECK(outer.dead());
}

// 7
TEST_CASE("throwing into a suspended greenlet: caught, it continues; uncaught, it goes to the parent") {
    Trace seen;
    auto& main = Greenlet::main_greenlet();
    Greenlet g{[&] {
        try {
            main.switch_to();
        } catch (const std::runtime_error& error) {
            seen.push_back(std::string("g caught ") + error.what());
        }
        Guard guard{seen, "g"};
        main.switch_to(std::string("after the catch"));  // what the first throw_into returns
        seen.push_back("g continues");                   // never: the second throw is not caught
    }};
    g.switch_to();

    auto answer = g.throw_into<std::string>(std::runtime_error("first"));
    seen.push_back("throw_into returned " + answer);
    CHECK(g.active());

    try {
        g.throw_into(std::logic_error("second"));
    } catch (const std::logic_error& error) {
        seen.push_back(std::string("main caught ") + error.what());
    }

    CHECK(seen == Trace{"g caught first", "throw_into returned after the catch", "g destroyed", "main caught second"});
    CHECK(g.dead());
}

// 8
TEST_CASE("a switch to a dead greenlet goes to its nearest live ancestor with the same value") {
    Trace seen;
    auto& main = Greenlet::main_greenlet();
    Greenlet grandparent{[&] {
        seen.push_back("grandparent waits");
        int x = main.switch_to<int>();
        seen.push_back("grandparent got " + std::to_string(x));
        return x + 1;
    }};
    grandparent.switch_to();
    Greenlet parent{[&] { seen.push_back("parent ran"); }};
    Greenlet child{[&] { seen.push_back("child ran"); }, parent};
    parent.switch_to();
    child.switch_to();  // its parent is dead: its end goes on to main
    REQUIRE(parent.dead());
    REQUIRE(child.dead());
    parent.set_parent(grandparent);

    int result = child.switch_to<int>(41);  // child dead, parent dead: grandparent gets 41

    CHECK(result == 42);
    CHECK(seen == Trace{"grandparent waits", "parent ran", "child ran", "grandparent got 41"});
    // Now every ancestor up to the running greenlet is dead: the switch returns the value at once.
    CHECK(child.switch_to<int>(7) == 7);
}

// 9
TEST_CASE("setting a parent that would close a cycle is refused") {
    Greenlet a{[] {}};
    Greenlet b{[] {}, a};
    Greenlet c{[] {}, b};
    auto& main = Greenlet::main_greenlet();

    CHECK_THROWS_AS(a.set_parent(c), GreenletError);
    CHECK_THROWS_WITH(a.set_parent(a), "cannot set a greenlet's parent: it would close a cycle");
    CHECK_THROWS_AS(main.set_parent(a), GreenletError);

    CHECK(a.parent() == &main);  // the refusals changed nothing
    CHECK(b.parent() == &a);
    CHECK(c.parent() == &b);
    c.set_parent(a);  // no cycle: accepted
    CHECK(c.parent() == &a);
}

namespace {
// Suspends the running greenlet `depth` ordinary calls deep: a greenlet's stack is a real stack.
void suspend_deep(Trace& seen, int depth) {
    Guard guard{seen, "frame " + std::to_string(depth)};
    if (depth == 3) {
        Greenlet::main_greenlet().switch_to();
    } else {
        suspend_deep(seen, depth + 1);
    }
}
}  // namespace

// 10
TEST_CASE("destroying a suspended greenlet unwinds it; an unstarted or dead one runs nothing; no stack leaks") {
    Trace seen;
    const auto stacks_before = Greenlet::stacks_in_use();
    const int counted_before = Counted::alive;
    {
        Greenlet suspended{[&, counted = Counted{}] {
            try {
                suspend_deep(seen, 1);
            } catch (const GreenletExit& exit) {
                seen.push_back(std::string("caught ") + exit.what());
                throw;
            }
            seen.push_back("not reached");
        }};
        Greenlet unstarted{[&, counted = Counted{}] { seen.push_back("unstarted ran"); }};
        Greenlet finished{[&, counted = Counted{}] { seen.push_back("finished ran"); }};
        finished.switch_to();
        suspended.switch_to();
        CHECK(Greenlet::stacks_in_use() == stacks_before + 1);  // only the suspended one holds a stack
        CHECK(Counted::alive == counted_before + 3);
        seen.push_back("leaving the scope");
    }
    CHECK(seen == Trace{"finished ran", "leaving the scope", "frame 3 destroyed", "frame 2 destroyed",
                        "frame 1 destroyed", "caught greenlet exit"});
    CHECK(Greenlet::stacks_in_use() == stacks_before);
    CHECK(Counted::alive == counted_before);

    // Many at once, to make a leak visible in the count rather than in one stack.
    {
        std::vector<std::unique_ptr<Greenlet>> many;
        for (int i = 0; i < 100; ++i) {
            many.push_back(std::make_unique<Greenlet>([] { Greenlet::main_greenlet().switch_to(); }));
            many.back()->switch_to();
        }
        CHECK(Greenlet::stacks_in_use() == stacks_before + 100);
    }
    CHECK(Greenlet::stacks_in_use() == stacks_before);
}

namespace {

constexpr int kill = -1;  // the talk's KILL sentinel

// Chapter 05's feed counter as a C++20 generator: drains the queue, yields the running count when
// the queue is empty, ends on KILL.
workbook::Generator<std::uint64_t> feed_counter(std::deque<int>& queue) {
    std::uint64_t count = 0;
    while (true) {
        if (queue.empty()) {
            co_yield count;
            continue;
        }
        int c = queue.front();
        queue.pop_front();
        if (c == kill) co_return;
        ++count;
        co_yield count;
    }
}

// greenlet's "genlet" recipe: a generator is a greenlet whose parent is whoever asks for the next
// value; Yield() switches to that parent. Its end is an empty optional.
class GreenletGenerator {
public:
    explicit GreenletGenerator(std::function<void()> body)
        : greenlet_{[body = std::move(body)] {
              body();
              return std::optional<std::uint64_t>{};
          }} {}

    std::optional<std::uint64_t> next() {
        if (greenlet_.dead()) return std::nullopt;
        greenlet_.set_parent(Greenlet::current());
        return greenlet_.switch_to<std::optional<std::uint64_t>>();
    }

private:
    Greenlet greenlet_;
};

void Yield(std::uint64_t value) { Greenlet::current().parent()->switch_to(std::optional<std::uint64_t>(value)); }

// The same feed counter as an ordinary function: Yield() can be called at any depth of calls.
void greenlet_feed_counter(std::deque<int>& queue) {
    std::uint64_t count = 0;
    while (true) {
        if (queue.empty()) {
            Yield(count);
            continue;
        }
        int c = queue.front();
        queue.pop_front();
        if (c == kill) return;
        ++count;
        Yield(count);
    }
}

// Chapter 05's main loop in miniature: events arrive in bursts, and after each burst at most
// four values are pulled (the talk's islice(fc, 0, FLUSH_SIZE)); then KILL, and the rest.
template <typename Next>
std::vector<std::uint64_t> drive(std::deque<int>& queue, Next next) {
    std::vector<std::uint64_t> pulled;
    for (std::string burst : {"ab", "", "cde", "f"}) {
        for (char c : burst) queue.push_back(c);
        for (int i = 0; i < 4; ++i) {
            if (auto count = next()) pulled.push_back(*count);
        }
    }
    queue.push_back(kill);
    while (auto count = next()) pulled.push_back(*count);
    return pulled;
}

}  // namespace

// 11
TEST_CASE("a generator built on greenlets yields the same sequence as the C++20 generator") {
    std::deque<int> coroutine_queue;
    auto coroutine = feed_counter(coroutine_queue);
    auto from_coroutine = drive(coroutine_queue, [&] { return coroutine.next(); });

    std::deque<int> greenlet_queue;
    GreenletGenerator greenlet{[&] { greenlet_feed_counter(greenlet_queue); }};
    auto from_greenlet = drive(greenlet_queue, [&] { return greenlet.next(); });

    const std::vector<std::uint64_t> expected{1, 2, 2, 2, 2, 2, 2, 2, 3, 4, 5, 5, 6, 6, 6, 6};
    CHECK(from_coroutine == expected);
    CHECK(from_greenlet == from_coroutine);
}

namespace {

// What a traced child did between its two markers (two getppid calls): every system call by number.
struct SyscallCount {
    std::map<long, long> by_number;
    std::string error;  // empty when the count is complete
    long total() const {
        long sum = 0;
        for (auto [number, count] : by_number) sum += count;
        return sum;
    }
    long of(long number) const {
        auto found = by_number.find(number);
        return found == by_number.end() ? 0 : found->second;
    }
};

void marker() { ::syscall(SYS_getppid); }

// Runs `work` in a child process traced with ptrace, as strace does, and counts the system calls it
// makes between its two calls of marker(). No tool needed beyond the kernel's ptrace.
SyscallCount count_system_calls(const std::function<void()>& work) {
    SyscallCount result;
    std::cout.flush();  // or the child may print the parent's pending output a second time
    std::fflush(nullptr);
    const pid_t child = ::fork();
    if (child < 0) {
        result.error = std::string("fork: ") + std::strerror(errno);
        return result;
    }
    if (child == 0) {
        if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ::_exit(3);
        ::raise(SIGSTOP);  // wait for the parent to set its options
        try {
            work();
        } catch (...) {
            ::_exit(2);
        }
        ::_exit(0);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
        result.error = "the child did not stop for tracing (is ptrace allowed here?)";
        if (!WIFEXITED(status)) ::waitpid(child, &status, 0);
        return result;
    }
    // ptrace() takes its last two arguments as pointers, whatever they mean.
    auto as_argument = [](long value) { return reinterpret_cast<void*>(value); };
    ::ptrace(PTRACE_SETOPTIONS, child, nullptr, as_argument(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
    int markers = 0;
    int signal = 0;
    while (true) {
        ::ptrace(PTRACE_SYSCALL, child, nullptr, as_argument(signal));
        signal = 0;
        if (::waitpid(child, &status, 0) != child) {
            result.error = std::string("waitpid: ") + std::strerror(errno);
            break;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) result.error = "the traced child failed";
            break;
        }
        if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
            signal = WSTOPSIG(status);  // a real signal: deliver it
            continue;
        }
        __ptrace_syscall_info info{};
        ::ptrace(PTRACE_GET_SYSCALL_INFO, child, as_argument(sizeof info), &info);
        if (info.op != PTRACE_SYSCALL_INFO_ENTRY) continue;
        const auto number = static_cast<long>(info.entry.nr);
        if (number == SYS_getppid) {
            ++markers;
        } else if (markers == 1) {
            ++result.by_number[number];
        }
    }
    if (result.error.empty() && markers != 2) result.error = "the child did not reach both markers";
    return result;
}

// Starts a counter greenlet (its stack is allocated outside the counted window), then switches to
// it and back `round_trips` times between the markers.
template <typename G>
void switch_between_markers(int round_trips) {
    auto& main = G::main_greenlet();
    long sum = 0;
    G counter{[&](unsigned char c) {
        for (;;) {
            sum += c;
            c = main.template switch_to<unsigned char>();
        }
    }};
    counter.switch_to(static_cast<unsigned char>(0));
    marker();
    for (int i = 0; i < round_trips; ++i) counter.switch_to(static_cast<unsigned char>(1));
    marker();
    if (sum != round_trips) ::_exit(4);
}

}  // namespace

// 12
TEST_CASE("a switch on the fiber greenlet makes no system call; a swapcontext switch makes one") {
    constexpr int round_trips = 1000;  // 2000 switches

    auto fiber = count_system_calls([] { switch_between_markers<Greenlet>(round_trips); });
    REQUIRE_MESSAGE(fiber.error.empty(), fiber.error);
    CHECK(fiber.total() == 0);

    auto ucontext = count_system_calls([] { switch_between_markers<UcontextGreenlet>(round_trips); });
    REQUIRE_MESSAGE(ucontext.error.empty(), ucontext.error);
    CHECK(ucontext.of(SYS_rt_sigprocmask) >= 2 * round_trips);  // swapcontext saves the signal mask
}

TEST_CASE("a value of another type than the receiver expects raises GreenletError in the receiver") {
    Trace seen;
    auto& main = Greenlet::main_greenlet();
    Greenlet g{[&](int x) {
        seen.push_back("g got " + std::to_string(x));
        try {
            main.switch_to<int>();
        } catch (const GreenletError& error) {
            seen.push_back(error.what());
        }
    }};

    g.switch_to(1);
    g.switch_to(std::string("not an int"));
    CHECK_THROWS_WITH_AS(Greenlet{[](int) {}}.switch_to(2.5), "greenlet received double, expected int", GreenletError);

    CHECK(seen ==
          Trace{"g got 1", "greenlet received std::__cxx11::basic_string<char, std::char_traits<char>, "
                           "std::allocator<char> >, expected int"});
    CHECK(g.dead());
}

TEST_CASE("a greenlet of another thread cannot be switched to, nor made a parent") {
    std::unique_ptr<Greenlet> foreign;
    std::thread([&] { foreign = std::make_unique<Greenlet>([] {}); }).join();  // never started

    CHECK_THROWS_WITH_AS(foreign->switch_to(), "cannot switch to a greenlet of another thread", GreenletError);
    Greenlet local{[] {}};
    CHECK_THROWS_AS(local.set_parent(*foreign), GreenletError);
    CHECK_FALSE(foreign->started());
}

TEST_CASE("throwing into a greenlet that never started kills it without running it") {
    Trace seen;
    Greenlet g{[&] { seen.push_back("ran"); }};
    CHECK_THROWS_WITH_AS(g.throw_into(std::runtime_error("early")), "early", std::runtime_error);
    CHECK(g.dead());

    Greenlet quiet{[&] { seen.push_back("ran"); }};
    quiet.throw_into();  // GreenletExit only kills it: nothing reaches the parent
    CHECK(quiet.dead());
    CHECK(seen.empty());
}

namespace {

// A run through behaviours 1, 2, 6, 7 and 10 on either kind of greenlet, as a trace.
template <typename G>
Trace tour_of_behaviours() {
    Trace seen;
    auto& main = G::main_greenlet();
    {
        G echo{[&](int x) {
            Guard guard{seen, "echo"};
            for (;;) {
                try {
                    x = main.template switch_to<int>(x * 2);
                } catch (const std::runtime_error& error) {
                    seen.push_back(std::string("echo caught ") + error.what());
                }
            }
        }};
        seen.push_back("echo(1) = " + std::to_string(echo.template switch_to<int>(1)));
        seen.push_back("echo(5) = " + std::to_string(echo.template switch_to<int>(5)));
        echo.template throw_into<void>(std::runtime_error("oops"));
        seen.push_back(echo.active() ? "echo active" : "echo not active");
    }
    G failing{[&] { throw std::logic_error("failed"); }};
    try {
        failing.switch_to();
    } catch (const std::logic_error& error) {
        seen.push_back(std::string("main caught ") + error.what());
    }
    G returning{[](std::string s) { return s + "!"; }};
    seen.push_back(returning.template switch_to<std::string>(std::string("done")));
    return seen;
}

}  // namespace

TEST_CASE("the ucontext greenlet behaves as the fiber greenlet") {
    const Trace expected{"echo(1) = 2", "echo(5) = 10", "echo caught oops", "echo active", "echo destroyed",
                         "main caught failed", "done!"};
    CHECK(tour_of_behaviours<Greenlet>() == expected);
    CHECK(tour_of_behaviours<UcontextGreenlet>() == expected);
    CHECK(Greenlet::stacks_in_use() == 0);
    CHECK(UcontextGreenlet::stacks_in_use() == 0);
}

namespace {

// What the running greenlet's handlers see: the exception being handled (its message, or "none")
// and how many are in flight. The same words whatever the greenlet, so traces compare.
std::string handling(const std::string& who) {
    std::string what = "none";
    if (std::exception_ptr caught = std::current_exception()) {
        try {
            std::rethrow_exception(caught);
        } catch (const std::exception& error) {
            what = error.what();
        }
    }
    return who + " handles " + what + ", " + std::to_string(std::uncaught_exceptions()) + " in flight";
}

// Switches to `to` from a destructor run by unwinding: a switch with an exception in flight.
template <typename G>
struct SwitchWhileUnwinding {
    Trace& seen;
    G& to;
    ~SwitchWhileUnwinding() {
        seen.push_back(handling("c unwinding"));
        to.switch_to();
        seen.push_back(handling("c unwinding"));
    }
};

}  // namespace

TEST_CASE_TEMPLATE("each greenlet has its own exception-handling state, kept across every switch", G, Greenlet,
                   UcontextGreenlet) {
    Trace seen;
    auto& main = G::main_greenlet();
    G* b = nullptr;
    G a{[&] {
        try {
            throw std::runtime_error("a's error");
        } catch (const std::runtime_error&) {
            seen.push_back(handling("a"));
            b->switch_to();
            seen.push_back(handling("a"));
            b->switch_to();
            seen.push_back(handling("a"));
        }
        seen.push_back(handling("a after its handler"));
    }};
    G b_greenlet{[&] {
        try {
            throw std::runtime_error("b's error");
        } catch (const std::runtime_error&) {
            seen.push_back(handling("b"));
            a.switch_to();
            seen.push_back(handling("b"));
            a.switch_to();
            seen.push_back("b resumed: not reached");  // destroyed while suspended here instead
        }
    }};
    b = &b_greenlet;
    G c{[&] {
        SwitchWhileUnwinding<G> guard{seen, main};
        throw std::runtime_error("c's error");
    }};
    seen.push_back(handling("main"));

    try {
        try {
            throw std::runtime_error("main's error");
        } catch (const std::runtime_error&) {
            a.switch_to();
            seen.push_back(handling("main"));
            c.switch_to();  // c switches back here from its destructor, in mid-unwinding
            seen.push_back(handling("main"));
            try {
                c.switch_to();  // c's unwinding goes on, and its exception comes here
            } catch (const std::runtime_error& error) {
                seen.push_back(std::string("main caught ") + error.what());
                seen.push_back(handling("main"));
            }
            seen.push_back(handling("main"));
            throw;  // still main's error
        }
    } catch (const std::runtime_error& error) {
        seen.push_back(std::string("main rethrew ") + error.what());
    }
    seen.push_back(handling("main"));

    CHECK(seen == Trace{"main handles none, 0 in flight",
                        "a handles a's error, 0 in flight",
                        "b handles b's error, 0 in flight",
                        "a handles a's error, 0 in flight",
                        "b handles b's error, 0 in flight",
                        "a handles a's error, 0 in flight",
                        "a after its handler handles none, 0 in flight",
                        "main handles main's error, 0 in flight",
                        "c unwinding handles none, 1 in flight",
                        "main handles main's error, 0 in flight",
                        "c unwinding handles none, 1 in flight",
                        "main caught c's error",
                        "main handles c's error, 0 in flight",
                        "main handles main's error, 0 in flight",
                        "main rethrew main's error",
                        "main handles none, 0 in flight"});
    CHECK(a.dead());
    CHECK(c.dead());
    CHECK(b_greenlet.active());  // destroyed at the end of the scope, from inside its handler
}

TEST_CASE_TEMPLATE("throwing GreenletExit into a dead greenlet is eaten: a switch with nothing to its nearest live "
                   "ancestor",
                   G, Greenlet, UcontextGreenlet) {
    Trace seen;
    auto& main = G::main_greenlet();

    // greenlet's test_kill: the second kill returns at once, as the first did.
    G g{[&] { main.switch_to(); }};
    g.switch_to();
    g.throw_into();
    CHECK(g.dead());
    g.throw_into();  // dead: eaten, nothing reaches main
    CHECK(g.dead());

    // The nearest live ancestor of a dead greenlet receives a switch with nothing; any other
    // exception thrown into the dead greenlet still goes there as an exception.
    G parent{[&] {
        for (int round = 0; round < 2; ++round) {
            try {
                main.switch_to();
                seen.push_back("parent resumed with nothing");
            } catch (const std::runtime_error& error) {
                seen.push_back(std::string("parent caught ") + error.what());
            }
        }
    }};
    parent.switch_to();
    G child{[] {}, parent};
    child.set_parent(main);
    child.switch_to();
    child.set_parent(parent);
    REQUIRE(child.dead());

    child.throw_into();
    child.throw_into(std::runtime_error("into the dead"));

    CHECK(seen == Trace{"parent resumed with nothing", "parent caught into the dead"});
    CHECK(parent.dead());
}

TEST_CASE_TEMPLATE("a result for a parent that has not started and takes no argument kills the parent, and "
                   "GreenletError goes to its nearest live ancestor",
                   G, Greenlet, UcontextGreenlet) {
    Trace seen;
    auto& main = G::main_greenlet();
    G grandparent{[&] {
        try {
            main.switch_to();
        } catch (const GreenletError& error) {
            seen.push_back(std::string("grandparent caught: ") + error.what());
        }
        return std::string("grandparent done");
    }};
    grandparent.switch_to();
    G parent{[&] { seen.push_back("parent ran"); }, grandparent};
    G child{[&] {
        seen.push_back("child ran");
        return 42;
    },
            parent};

    CHECK(child.template switch_to<std::string>() == "grandparent done");

    CHECK(seen == Trace{"child ran", "grandparent caught: greenlet's function takes no argument, but its first switch "
                                     "sent int"});
    CHECK(parent.dead());
    CHECK(child.dead());
    CHECK(G::stacks_in_use() == 0);

    // greenlet's test_falling_off_end_switches_to_unstarted_parent_works: one that takes it starts.
    G taker{[](int x) { return x + 1; }};
    G giver{[] { return 41; }, taker};
    CHECK(giver.template switch_to<int>() == 42);
}

TEST_CASE_TEMPLATE("starting a greenlet whose function takes no argument with a value raises GreenletError and runs "
                   "nothing",
                   G, Greenlet, UcontextGreenlet) {
    bool ran = false;
    const auto stacks_before = G::stacks_in_use();
    G g{[&] { ran = true; }};

    CHECK_THROWS_WITH_AS(g.switch_to(7), "greenlet's function takes no argument, but its first switch sent int",
                         GreenletError);

    CHECK_FALSE(ran);
    CHECK(g.dead());  // as in greenlet, where run(7) raised TypeError in the new greenlet
    CHECK(G::stacks_in_use() == stacks_before);
    G h{[&] { ran = true; }};
    h.switch_to();  // with nothing, it starts
    CHECK(ran);
}

namespace {

// Collects what is written to stderr (the file descriptor) while it lives.
class CaptureStderr {
public:
    CaptureStderr() : file_(std::tmpfile()), saved_(::dup(2)) {
        std::fflush(stderr);
        REQUIRE(file_ != nullptr);
        REQUIRE(saved_ >= 0);
        ::dup2(::fileno(file_), 2);
    }
    CaptureStderr(const CaptureStderr&) = delete;
    CaptureStderr& operator=(const CaptureStderr&) = delete;
    ~CaptureStderr() { stop(); }

    std::string stop() {
        if (saved_ >= 0) {
            std::fflush(stderr);
            ::dup2(saved_, 2);
            ::close(saved_);
            saved_ = -1;
            std::rewind(file_);
            char buffer[512];
            for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;) text_.append(buffer, n);
            std::fclose(file_);
        }
        return text_;
    }

private:
    std::FILE* file_;
    int saved_;
    std::string text_;
};

// What a forked child wrote on stderr before it ended, and how it ended.
struct ChildEnd {
    std::string stderr_text;
    int signal = 0;       // the signal that killed it, or 0
    int exit_status = -1;  // its exit status, if it exited
};

// Runs `work` in a forked child, its stderr into a pipe read to the end; then reaps the child.
ChildEnd run_in_child(const std::function<void()>& work) {
    ChildEnd end;
    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    std::cout.flush();
    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(pipe_ends[0]);
        ::dup2(pipe_ends[1], 2);
        std::signal(SIGABRT, SIG_DFL);  // not doctest's handler: the parent judges how the child ended
        work();
        ::_exit(0);
    }
    ::close(pipe_ends[1]);
    char buffer[512];
    for (ssize_t n; (n = ::read(pipe_ends[0], buffer, sizeof buffer)) != 0;) {
        if (n > 0) end.stderr_text.append(buffer, static_cast<std::size_t>(n));
        else if (errno != EINTR) break;
    }
    ::close(pipe_ends[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) end.signal = WTERMSIG(status);
    if (WIFEXITED(status)) end.exit_status = WEXITSTATUS(status);
    return end;
}

template <typename G>
std::string kind_of() {
    return G::switcher == workbook::Switcher::fiber ? "workbook::Greenlet" : "workbook::UcontextGreenlet";
}

}  // namespace

TEST_CASE_TEMPLATE("a greenlet raising another exception while being destroyed is reported on stderr in one line, and "
                   "the program goes on",
                   G, Greenlet, UcontextGreenlet) {
    Trace seen;
    const auto stacks_before = G::stacks_in_use();
    auto g = std::make_unique<G>([&] {
        Guard guard{seen, "g"};
        try {
            G::main_greenlet().switch_to();
        } catch (const GreenletExit&) {
            throw std::runtime_error("refusing to exit");
        }
    });
    g->switch_to();
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(g.get()));

    CaptureStderr capture;
    g.reset();
    const std::string reported = capture.stop();

    CHECK(reported == kind_of<G>() + ": exception ignored in the greenlet at " + address +
                          ", raised while it was being destroyed: std::runtime_error: refusing to exit\n");
    CHECK(seen == Trace{"g destroyed"});
    CHECK(G::stacks_in_use() == stacks_before);
}

TEST_CASE_TEMPLATE("a greenlet that switches away while being destroyed terminates the program, saying it cannot "
                   "outlive its object",
                   G, Greenlet, UcontextGreenlet) {
    ChildEnd end = run_in_child([] {
        G g{[] {
            auto& main = G::main_greenlet();
            try {
                main.switch_to();
            } catch (const GreenletExit&) {
                main.switch_to();  // back to the destructor, unfinished
            }
        }};
        g.switch_to();
    });

    CHECK(end.signal == SIGABRT);
    CHECK(end.stderr_text.find("workbook::Greenlet: a greenlet being destroyed switched away instead of finishing: "
                               "it cannot outlive its object\n") == 0);
}

TEST_CASE_TEMPLATE("a suspended greenlet destroyed on another thread is unwound by its own thread at its next switch",
                   G, Greenlet, UcontextGreenlet) {
    Trace seen;  // written by thread a only, read by the main thread when ordered by the latches
    std::unique_ptr<G> handed;
    std::latch handed_over{1}, destroyed{1};
    std::size_t stacks_at_the_end = 99;
    std::thread a([&] {
        const auto id = std::this_thread::get_id();
        auto& main = G::main_greenlet();
        auto g = std::make_unique<G>([&, id] {
            Guard guard{seen, "g"};
            try {
                main.switch_to();
            } catch (const GreenletExit&) {
                seen.push_back(std::this_thread::get_id() == id ? "g exits on its own thread" : "g exits elsewhere");
                throw;
            }
        });
        g->switch_to();
        G h{[&] {
            main.switch_to();
            seen.push_back("h resumed");
        }};
        h.switch_to();
        handed = std::move(g);
        handed_over.count_down();
        destroyed.wait();
        seen.push_back("thread a switches");
        h.switch_to();  // its own suspended greenlet: the inline switch, which must look first
        stacks_at_the_end = G::stacks_in_use();
    });
    handed_over.wait();
    handed.reset();  // on the main thread: nothing of g runs here
    const Trace seen_when_destroyed = seen;
    destroyed.count_down();
    a.join();

    CHECK(seen_when_destroyed.empty());
    CHECK(seen == Trace{"thread a switches", "g exits on its own thread", "g destroyed", "h resumed"});
    CHECK(stacks_at_the_end == 0);
}

TEST_CASE_TEMPLATE("a suspended greenlet destroyed on another thread is unwound when its own thread ends", G, Greenlet,
                   UcontextGreenlet) {
    Trace seen;
    std::unique_ptr<G> handed;
    std::latch handed_over{1}, destroyed{1};
    std::thread a([&] {
        const auto id = std::this_thread::get_id();
        handed = std::make_unique<G>([&, id] {  // unwound after this lambda has returned
            Guard guard{seen, "g"};
            try {
                G::main_greenlet().switch_to();
            } catch (const GreenletExit&) {
                seen.push_back(std::this_thread::get_id() == id ? "g exits on its own thread" : "g exits elsewhere");
                throw;
            }
        });
        handed->switch_to();
        handed_over.count_down();
        destroyed.wait();
        seen.push_back("thread a ends");  // with no switch
    });
    handed_over.wait();
    handed.reset();
    destroyed.count_down();
    a.join();

    CHECK(seen == Trace{"thread a ends", "g exits on its own thread", "g destroyed"});
}

namespace {

// Whether the page holding `address` is mapped: msync fails with ENOMEM on an unmapped range.
bool mapped(const void* address) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto start = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(address) & ~(page - 1));
    return ::msync(start, page, MS_ASYNC) == 0;
}

}  // namespace

TEST_CASE_TEMPLATE("a suspended greenlet destroyed after its thread has ended is freed without running anything", G,
                   Greenlet, UcontextGreenlet) {
    bool unwound = false;
    const void* frame = nullptr;
    std::unique_ptr<G> orphan;
    std::thread([&] {
        orphan = std::make_unique<G>([&] {
            struct Flag {
                bool& set;
                ~Flag() { set = true; }
            } flag{unwound};
            frame = __builtin_frame_address(0);
            G::main_greenlet().switch_to();
        });
        orphan->switch_to();
    }).join();
    REQUIRE(frame != nullptr);
    CHECK(mapped(frame));
    CHECK(orphan->active());

    orphan.reset();

    CHECK_FALSE(unwound);  // its frames never ran again
    CHECK_FALSE(mapped(frame));  // its stack is unmapped
}

TEST_CASE_TEMPLATE("a greenlet whose thread has ended can be neither switched to nor thrown into, from any thread", G,
                   Greenlet, UcontextGreenlet) {
    std::unique_ptr<G> suspended, unstarted;
    std::thread([&] {
        suspended = std::make_unique<G>([] { G::main_greenlet().switch_to(); });
        suspended->switch_to();
        unstarted = std::make_unique<G>([] {});
    }).join();

    // Every later thread gets a runtime of its own, wherever the allocator puts it; none may pass
    // for the ended thread's, which the greenlets keep alive.
    auto attempts = [&] {
        Trace refused;
        for (G* g : {suspended.get(), unstarted.get()}) {
            try {
                g->switch_to();
            } catch (const GreenletError& error) {
                refused.push_back(error.what());
            }
            try {
                g->throw_into();
            } catch (const GreenletError& error) {
                refused.push_back(error.what());
            }
            try {
                g->throw_into(std::runtime_error("into a dead thread"));
            } catch (const GreenletError& error) {
                refused.push_back(error.what());
            }
        }
        return refused;
    };
    const Trace expected(6, "cannot switch to a greenlet of another thread");
    CHECK(attempts() == expected);
    for (int i = 0; i < 4; ++i) {
        Trace refused;
        std::thread([&] {
            G::current();  // this thread's runtime first
            refused = attempts();
        }).join();
        CHECK(refused == expected);
    }
    CHECK(suspended->active());
    CHECK_FALSE(unstarted->started());
}
