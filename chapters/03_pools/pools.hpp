// Chapter 03's interface, for its program and its tests.
#pragma once

#include "workbook/chapter.hpp"
#include "workbook/child_process.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace workbook::chapter03 {

using processes::MCount;

//! [message]
// What travels on a worker's pipe. A pipe carries bytes, and an event can be any of the 256 byte
// values, so no byte value is free to mean KILL. Instead the pipe carries messages: a header, then the
// events. The header says what follows, so KILL is a kind of header, never confused with an event.
struct Header {
    enum Kind : std::uint32_t { events = 1, kill = 2 };
    Kind kind;
    std::uint32_t size;  // event bytes that follow the header (kind events)
};
//! [message]

// How a worker process ends, its exit status.
enum WorkerExit : int {
    killed_by_sentinel = 0,  // read KILL: the only good end
    queue_closed = 3,        // its pipe reached end-of-file before KILL (the parent is gone)
    bad_message = 4,         // a header it does not understand
    counter_failed = 5,      // a call to the slow counter failed (its server gone)
};

// The talk's `ProcTuple(queue, proc, counter)`: a worker process running FeedCounter, fed through its
// own pipe. `put` queues events; every `batch` events are one message, one write. The worker keeps
// only its own end of its pipe, so its death closes the pipe and a write to it fails with EPIPE
// instead of blocking forever. With `counters`, the worker makes its own link and calls it once per
// event. The destructor kills and reaps a worker that was not joined.
class ProcTuple {
public:
    // Starts the worker; throws ChapterError.
    ProcTuple(MCount counter, std::size_t batch, const CounterBackend* counters = nullptr);
    ~ProcTuple();
    ProcTuple(const ProcTuple&) = delete;
    ProcTuple& operator=(const ProcTuple&) = delete;

    // `queue.put(c)`: one event, sent when the message is full.
    void put(unsigned char event) {
        message_[sizeof(Header) + pending_] = event;
        if (++pending_ == batch_) flush();
    }
    void flush();     // sends the events put so far, if any
    void put_kill();  // `queue.put(KILL)`, after the events put so far
    void close();     // closes the pipe without KILL (the worker should then end badly)
    void join();      // `proc.join()`: waits; throws ChapterError unless the worker ended by KILL

    pid_t pid() const noexcept { return pid_; }
    const MCount& counter() const noexcept { return counter_; }

private:
    [[noreturn]] void died();

    MCount counter_;
    std::size_t batch_;
    const CounterBackend* counters_;  // null: local counters, no work
    pid_t pid_ = -1;  // -1 once reaped
    int queue_ = -1;  // the write end of the worker's pipe
    std::vector<unsigned char> message_;  // a Header, then up to batch_ events
    std::size_t pending_ = 0;
};

// Which shape of pool.
enum class Pool {
    per_class,  // the talk's proctuple: one worker per class of event, each with its own pipe
    shared,     // the aside's multiprocessing.Pool: generic workers taking items from one shared pipe
};

struct PoolOptions {
    Pool pool = Pool::per_class;
    std::size_t batch = 1;          // events per message (a shared-pool item holds at most 4084)
    Progress* progress = nullptr;   // told how many events were sent, now and then
    const CounterBackend* counters = nullptr;  // `--counter`: each worker calls it once per event
    // Test hook: called once every worker is running, with their pids (per class: vowel, consonant,
    // other), before the first event is sent.
    std::function<void(std::span<const pid_t>)> on_started{};
};

// The talk's `process_test` with a pool of worker processes, of the shape `options.pool` names
// (signals.cpp). Throws ChapterError when a worker cannot be started or dies, naming it. SIGINT or
// SIGTERM during the run: every worker is killed and reaped first, then the process dies of that
// signal.
LetterTypes count_with_pool(Events book, const PoolOptions& options);
// The same for the program: `--batch` and the progress line from `settings`.
LetterTypes count_with_pool(Events book, Pool pool, const Settings& settings);

// The two shapes, which count_with_pool() runs with Ctrl-C and SIGPIPE taken care of: the per-class
// workers (pools.cpp) and the shared pool (shared_pool.cpp).
LetterTypes count_with_worker_processes(Events book, const PoolOptions& options);
LetterTypes count_with_shared_pool(Events book, const PoolOptions& options);

// How many workers the shared pool starts: one per core, at least 2.
std::size_t shared_pool_size();

}  // namespace workbook::chapter03
