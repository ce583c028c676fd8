// Microbenchmarks: the primitive each chapter rests on, measured alone with Google Benchmark.
//
// Every benchmark reports real time (wall clock: a fork or a thread hand-off costs time the
// calling thread's CPU clock does not see) per *item*, and an item is one event's worth of work:
// a call, a fork and wait, a message, a send, a switch there and back, or one byte of the floor.
// The label names the chapters that rest on the primitive. `./workbook bench` runs this program
// and prints these figures beside the chapters'; run it alone for Google Benchmark's own table:
//
//     ./build/default/bin/workbook-microbench
//     ./build/default/bin/workbook-microbench --benchmark_filter=fork
#include "workbook/book.hpp"
#include "workbook/counter.hpp"
#include "workbook/detail/greenlet_exception_state.hpp"
#include "workbook/generator.hpp"
#include "workbook/greenlet.hpp"
#include "workbook/letter_types.hpp"

#include <benchmark/benchmark.h>
#include <boost/context/fiber.hpp>

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <deque>
#include <functional>
#include <iterator>
#include <mutex>
#include <sys/wait.h>
#include <thread>
#include <ucontext.h>
#include <utility>
#include <unistd.h>
#include <vector>

namespace {

// ---- chapter 01: an indirect call

void indirect_call(benchmark::State& state) {
    workbook::Counter counter{"vowel"};
    std::function<void(unsigned char)> callout = std::ref(counter);
    // Hidden from the optimiser, so the call stays an indirect call, as in chapter 01's loop.
    auto* hidden = &callout;
    benchmark::DoNotOptimize(hidden);
    for (auto _ : state) (*hidden)('a');
    benchmark::DoNotOptimize(counter.count);
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("01");
}
BENCHMARK(indirect_call)->UseRealTime();

// ---- chapter 02: a process per event

void fork_waitpid(benchmark::State& state) {
    for (auto _ : state) {
        pid_t pid = ::fork();
        if (pid == 0) ::_exit(0);
        if (pid < 0) {
            state.SkipWithError("fork failed");
            break;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("02");
}
BENCHMARK(fork_waitpid)->UseRealTime();

// vfork lends the parent's memory to the child until it exits: no page tables to copy. Kept in its
// own function, so that no local of the caller is live across the shared stack.
[[gnu::noinline]] pid_t start_with_vfork() {
    pid_t pid = ::vfork();
    if (pid == 0) ::_exit(0);
    return pid;
}

void vfork_waitpid(benchmark::State& state) {
    for (auto _ : state) {
        pid_t pid = start_with_vfork();
        if (pid < 0) {
            state.SkipWithError("vfork failed");
            break;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("02");
}
BENCHMARK(vfork_waitpid)->UseRealTime();

// ---- chapter 03: messages through a pipe to another process

bool write_all(int fd, const unsigned char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// One byte to a child process and back: the latency of one message each way, two context switches.
void pipe_round_trip(benchmark::State& state) {
    int down[2], up[2];
    if (::pipe(down) != 0 || ::pipe(up) != 0) {
        state.SkipWithError("pipe failed");
        return;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(down[1]), ::close(up[0]);
        unsigned char byte;
        while (::read(down[0], &byte, 1) == 1) {
            if (::write(up[1], &byte, 1) != 1) ::_exit(1);
        }
        ::_exit(0);
    }
    ::close(down[0]), ::close(up[1]);
    unsigned char byte = 'a';
    for (auto _ : state) {
        if (pid < 0 || ::write(down[1], &byte, 1) != 1 || ::read(up[0], &byte, 1) != 1) {
            state.SkipWithError("the round trip failed");
            break;
        }
    }
    ::close(down[1]), ::close(up[0]);
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("03");
}
BENCHMARK(pipe_round_trip)->UseRealTime();

// Events streamed one way to a child that reads them, `range(0)` bytes per write: one write per
// event (the unbatched pool) or one per 4096 events (--batch 4096). An item is one event.
void pipe_one_way(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    int fds[2];
    if (::pipe(fds) != 0) {
        state.SkipWithError("pipe failed");
        return;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[1]);
        std::vector<unsigned char> buffer(65536);
        while (::read(fds[0], buffer.data(), buffer.size()) > 0) {
        }
        ::_exit(0);
    }
    ::close(fds[0]);
    std::vector<unsigned char> message(batch, 'a');
    std::size_t pending = 0;
    for (auto _ : state) {
        if (++pending == batch) {
            pending = 0;
            if (pid < 0 || !write_all(fds[1], message.data(), message.size())) {
                state.SkipWithError("the write failed");
                break;
            }
        }
    }
    ::close(fds[1]);
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("03");
}
BENCHMARK(pipe_one_way)->Arg(1)->Arg(4096)->UseRealTime();

// ---- chapter 04: a queue hand-off between threads

// A bounded blocking queue, the simplest one: a mutex, two condition variables. Bounded, so the
// producer cannot run ahead and the benchmark measures the hand-off, not the filling of a deque.
template <typename T>
class HandOff {
public:
    explicit HandOff(std::size_t capacity) : capacity_(capacity) {}
    void put(T item) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return items_.size() < capacity_; });
        items_.push_back(std::move(item));
        lock.unlock();
        not_empty_.notify_one();
    }
    T get() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return !items_.empty(); });
        T item = std::move(items_.front());
        items_.pop_front();
        lock.unlock();
        not_full_.notify_one();
        return item;
    }

private:
    std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> items_;
    std::size_t capacity_;
};

// Each event is put on the queue alone; a counter thread takes them until the sentinel (-1).
void queue_one_by_one(benchmark::State& state) {
    HandOff<int> queue(1024);
    std::uint64_t count = 0;
    std::thread counter([&] {
        while (queue.get() >= 0) ++count;
    });
    for (auto _ : state) queue.put('a');
    queue.put(-1);
    counter.join();
    if (count != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("events were lost");
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("04");
}
BENCHMARK(queue_one_by_one)->UseRealTime();

// Events put `range(0)` at a time, as a vector; an empty vector is the sentinel.
void queue_batched(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    HandOff<std::vector<unsigned char>> queue(4);
    std::uint64_t count = 0;
    std::thread counter([&] {
        for (auto events = queue.get(); !events.empty(); events = queue.get()) count += events.size();
    });
    std::vector<unsigned char> events;
    events.reserve(batch);
    for (auto _ : state) {
        events.push_back('a');
        if (events.size() == batch) {
            queue.put(std::move(events));
            events = {};
            events.reserve(batch);
        }
    }
    if (!events.empty()) queue.put(std::move(events));
    queue.put({});
    counter.join();
    if (count != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("events were lost");
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("04");
}
BENCHMARK(queue_batched)->Arg(4096)->UseRealTime();

// ---- chapters 05-10: the floor of a resume, a bare C++20 coroutine with no library

// The least a coroutine that receives a value and yields one can be: the caller writes the event
// into the promise, resumes the frame, and reads the count the frame left there. No states, no
// checks, no delegation: what `generator_send` costs above this is the library's.
struct RawCounter {
    struct promise_type {
        unsigned char sent = 0;
        std::uint64_t count = 0;
        RawCounter get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
        struct Received {
            promise_type& self;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            unsigned char await_resume() const noexcept { return self.sent; }
        };
        Received yield_value(std::uint64_t value) noexcept {
            count = value;
            return {*this};
        }
    };
    std::coroutine_handle<promise_type> handle;
    RawCounter(std::coroutine_handle<promise_type> frame) : handle(frame) {}
    RawCounter(RawCounter&& other) noexcept : handle(std::exchange(other.handle, {})) {}
    RawCounter& operator=(RawCounter&&) = delete;
    ~RawCounter() {
        if (handle) handle.destroy();
    }
    std::uint64_t send(unsigned char event) {
        handle.promise().sent = event;
        handle.resume();
        return handle.promise().count;
    }
};

RawCounter raw_counter() {
    std::uint64_t count = 0;
    for (;;) {
        unsigned char event = co_yield count;
        count += event != 0;
    }
}

// One resume of a primed bare coroutine, the event in and the count out through its promise.
void raw_resume(benchmark::State& state) {
    RawCounter counter = raw_counter();
    counter.handle.resume();  // primed: suspended at its first co_yield
    for (auto _ : state) benchmark::DoNotOptimize(counter.send('a'));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("05-10");
}
BENCHMARK(raw_resume)->UseRealTime();

// Chapter 09's loop on bare coroutines: the book dispatched to three primed RawCounters. One item
// is one event; chapter 09 is judged against this in the same run.
void raw_coroutine_dispatch(benchmark::State& state) {
    static const workbook::Book book = workbook::Book::default_book();
    for (auto _ : state) {
        RawCounter vowel_t = raw_counter(), consonant_t = raw_counter(), other_t = raw_counter();
        vowel_t.handle.resume(), consonant_t.handle.resume(), other_t.handle.resume();
        std::uint64_t vowel = 0, consonant = 0, other = 0;
        for (unsigned char c : book.events()) {
            switch (workbook::classify(c)) {
                case workbook::Letter::vowel: vowel = vowel_t.send(c); break;
                case workbook::Letter::consonant: consonant = consonant_t.send(c); break;
                case workbook::Letter::other: other = other_t.send(c); break;
            }
        }
        benchmark::DoNotOptimize(vowel), benchmark::DoNotOptimize(consonant), benchmark::DoNotOptimize(other);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
    state.SetLabel("09");
}
BENCHMARK(raw_coroutine_dispatch)->UseRealTime();

// Chapter 07's co-trampoline on bare coroutines: a reader transfers each event to the counter of its
// class, which counts it and transfers back, through the trampoline's table. Two resumes per event,
// and no library: what chapters 06-08 cost above this is the library's and their own bookkeeping.
struct RawTransfer {
    std::size_t target;
    unsigned char data;
};
inline constexpr std::size_t raw_done = static_cast<std::size_t>(-1);

struct RawRoutine {
    struct promise_type {
        unsigned char sent = 0;
        RawTransfer out{raw_done, 0};
        RawRoutine get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
        struct Received {
            promise_type& self;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            unsigned char await_resume() const noexcept { return self.sent; }
        };
        Received yield_value(RawTransfer value) noexcept {
            out = value;
            return {*this};
        }
    };
    std::coroutine_handle<promise_type> handle;
    RawRoutine(std::coroutine_handle<promise_type> frame) : handle(frame) {}
    RawRoutine(RawRoutine&& other) noexcept : handle(std::exchange(other.handle, {})) {}
    RawRoutine& operator=(RawRoutine&&) = delete;
    ~RawRoutine() {
        if (handle) handle.destroy();
    }
    RawTransfer send(unsigned char data) {
        handle.promise().sent = data;
        handle.resume();
        return handle.promise().out;
    }
};

RawRoutine raw_reader(workbook::Events book) {
    for (unsigned char c : book) {
        switch (workbook::classify(c)) {
            case workbook::Letter::vowel: co_yield {1, c}; break;
            case workbook::Letter::consonant: co_yield {2, c}; break;
            case workbook::Letter::other: co_yield {3, c}; break;
        }
    }
    co_yield {raw_done, 0};
}

RawRoutine raw_transfer_counter(std::uint64_t& count) {
    for (;;) {
        unsigned char c = co_yield {0, 0};
        count += c != 0;
    }
}

void raw_co_trampoline(benchmark::State& state) {
    static const workbook::Book book = workbook::Book::default_book();
    for (auto _ : state) {
        std::uint64_t vowel = 0, consonant = 0, other = 0;
        RawRoutine routines[] = {raw_reader(book.events()), raw_transfer_counter(vowel),
                                 raw_transfer_counter(consonant), raw_transfer_counter(other)};
        for (RawRoutine& routine : routines) routine.handle.resume();  // each to its first transfer
        RawTransfer current = routines[0].handle.promise().out;
        while (current.target != raw_done) {
            if (current.target >= std::size(routines)) {
                state.SkipWithError("no such routine");
                break;
            }
            current = routines[current.target].send(current.data);
        }
        benchmark::DoNotOptimize(vowel), benchmark::DoNotOptimize(consonant), benchmark::DoNotOptimize(other);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
    state.SetLabel("06-08");
}
BENCHMARK(raw_co_trampoline)->UseRealTime();

// ---- chapters 05-10: a generator, resumed with send()

// The talk's generator_counter: `c = yield count; count += 1`.
workbook::Generator<std::uint64_t, unsigned char> generator_counter() {
    std::uint64_t count = 0;
    for (;;) {
        unsigned char event = co_yield count;
        count += event != 0;  // uses the event, so the send cannot be optimised away
    }
}

// One send() into a primed counter: resume the frame, run to the next co_yield, come back. The count
// is taken out of its optional, as the chapters take it (`*vowel_t.send(c)`); handing the whole
// optional to DoNotOptimize would make it go through memory, which no chapter does.
void generator_send(benchmark::State& state) {
    auto counter = workbook::prime(generator_counter());
    for (auto _ : state) {
        std::uint64_t count = *counter.send('a');
        benchmark::DoNotOptimize(count);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("05-10");
}
BENCHMARK(generator_send)->UseRealTime();

// `levels` generators, each delegating to the next with yield_from, the last one the counter.
workbook::Generator<std::uint64_t, unsigned char> delegating(int levels) {
    if (levels == 0) co_yield workbook::yield_from(generator_counter());
    else co_yield workbook::yield_from(delegating(levels - 1));
}

// A send() through `range(0)` levels of delegation; it resumes the innermost frame directly, so the
// cost should not grow with the depth.
void delegated_send(benchmark::State& state) {
    auto counter = workbook::prime(delegating(static_cast<int>(state.range(0))));
    for (auto _ : state) {
        std::uint64_t count = *counter.send('a');
        benchmark::DoNotOptimize(count);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("10");
}
BENCHMARK(delegated_send)->Arg(1)->Arg(10)->UseRealTime();

// ---- chapter 11: stackful switches, there and back

// A Greenlet that takes each event and switches back to the main greenlet, as chapter 11's
// counters do: one item is the switch to it, delivering the event, and the switch back.
template <typename G>
void greenlet_switch(benchmark::State& state) {
    std::uint64_t count = 0;
    G& main = G::current();
    G counter{[&](unsigned char event) {
        for (;;) {
            count += event != 0;
            event = main.template switch_to<unsigned char>();
        }
    }};
    for (auto _ : state) counter.switch_to(static_cast<unsigned char>('a'));
    benchmark::DoNotOptimize(count);
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("11");
}

void greenlet_round_trip(benchmark::State& state) { greenlet_switch<workbook::Greenlet>(state); }
BENCHMARK(greenlet_round_trip)->UseRealTime();

void ucontext_greenlet_round_trip(benchmark::State& state) { greenlet_switch<workbook::UcontextGreenlet>(state); }
BENCHMARK(ucontext_greenlet_round_trip)->UseRealTime();

// A raw boost::context::fiber that resumes its caller at once, forever: one item is one resume of
// the fiber and one resume back, the two switches a greenlet makes per event.
void fiber_round_trip(benchmark::State& state) {
    namespace ctx = boost::context;
    ctx::fiber fiber{[](ctx::fiber&& caller) {
        for (;;) caller = std::move(caller).resume();
        return std::move(caller);
    }};
    for (auto _ : state) fiber = std::move(fiber).resume();
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("11");
}
BENCHMARK(fiber_round_trip)->UseRealTime();

// The same fiber, with what a Greenlet switch must also carry: each side's share of the C++
// runtime's exception state (the caught-exception stack and the uncaught count, which live per
// thread, not on the stack) saved on the way out and restored on the way in. This is the floor a
// Greenlet switch is judged against; what it costs above this is the library's bookkeeping.
void fiber_exception_state_round_trip(benchmark::State& state) {
    namespace ctx = boost::context;
    using workbook::detail::greenlets::ExceptionState;
    void* const globals = abi::__cxa_get_globals();
    ExceptionState caller_state, fiber_state;
    auto swap_out = [globals](ExceptionState& save, const ExceptionState& restore) {
        std::memcpy(&save, globals, sizeof save);
        std::memcpy(globals, &restore, sizeof restore);
    };
    ctx::fiber fiber{[&](ctx::fiber&& caller) {
        for (;;) {
            swap_out(fiber_state, caller_state);
            caller = std::move(caller).resume();
        }
        return std::move(caller);
    }};
    for (auto _ : state) {
        swap_out(caller_state, fiber_state);
        fiber = std::move(fiber).resume();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("11");
}
BENCHMARK(fiber_exception_state_round_trip)->UseRealTime();

// The same with POSIX swapcontext, which also saves and restores the signal mask: a system call
// (rt_sigprocmask) on every switch.
ucontext_t caller_context, bouncer_context;

void bounce() {
    for (;;) ::swapcontext(&bouncer_context, &caller_context);
}

void swapcontext_round_trip(benchmark::State& state) {
    std::vector<char> stack(64 * 1024);
    ::getcontext(&bouncer_context);
    bouncer_context.uc_stack.ss_sp = stack.data();
    bouncer_context.uc_stack.ss_size = stack.size();
    bouncer_context.uc_link = nullptr;
    ::makecontext(&bouncer_context, bounce, 0);
    // The bouncer is abandoned suspended when the benchmark ends: it owns nothing to clean up.
    for (auto _ : state) ::swapcontext(&caller_context, &bouncer_context);
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("11");
}
BENCHMARK(swapcontext_round_trip)->UseRealTime();

// ---- the floor: counting the book with no dispatch at all

void reference_count_per_byte(benchmark::State& state) {
    static const workbook::Book book = workbook::Book::default_book();
    for (auto _ : state) {
        auto counts = workbook::reference_count(book.events());
        benchmark::DoNotOptimize(counts);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(book.size()));
    state.SetLabel("floor");
}
BENCHMARK(reference_count_per_byte)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
