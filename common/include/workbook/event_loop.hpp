/// \file
/// \brief EventLoop, the reactor the last chapters share: file descriptors watched with epoll,
///        timers on a heap woken by a timerfd, and a queue of callbacks ready to run.
///
/// It is the C++ shape of asyncio's `BaseEventLoop._run_once` and of gevent's hub loop (libev's
/// `ev_run`). One *turn* of the loop:
///
/// 1. run the callbacks that were ready when the turn began, in order (asyncio's `ntodo`: those
///    they add wait for the next turn, so a callback that re-queues itself cannot starve the rest);
/// 2. wait for file descriptors and timers: not at all if a callback is ready or stop() was asked,
///    else until the earliest timer's deadline (a timerfd armed at that absolute time, to the
///    microsecond: epoll_wait's own timeout counts milliseconds) or a descriptor is ready;
/// 3. move the timers that are due, in deadline order, and the callbacks of the ready
///    descriptors, to the ready queue (libev's "pending" list; gevent runs its callbacks there).
///
/// Removing a reader or writer, cancelling a timer or stopping the loop is safe from any callback:
/// a queued callback whose reader was removed (or replaced), or whose timer was cancelled, is
/// skipped when its turn comes. One loop belongs to one thread: nothing here is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace workbook {

/// The reactor: epoll for file descriptors, a timer heap (microsecond precision through a
/// timerfd), a ready queue; run() turns it until nothing is left or stop() is called.
///
/// \code
/// workbook::EventLoop loop;
/// int fds[2];
/// if (::pipe(fds) != 0) return;
/// loop.call_later(std::chrono::microseconds(100), [&] { (void)::write(fds[1], "x", 1); });
/// loop.add_reader(fds[0], [&] {
///     char c;
///     (void)::read(fds[0], &c, 1);
///     loop.remove_reader(fds[0]);  // nothing is left: run() returns
/// });
/// loop.call_soon([] { std::puts("first turn"); });
/// loop.run();
/// ::close(fds[0]);
/// ::close(fds[1]);
/// \endcode
class EventLoop {
public:
    using Clock = std::chrono::steady_clock;  ///< the loop's clock: CLOCK_MONOTONIC, as the timerfd's
    using Callback = std::function<void()>;   ///< what the loop calls
    /// Identifies a timer from call_later; 0 is never a valid id.
    using TimerId = std::uint64_t;

    /// Makes the epoll instance and the timerfd; throws std::system_error if either fails.
    EventLoop();
    /// Closes its own descriptors, never the ones it watched; drops what has not run.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    /// Queues `callback` to run in the next turn; callbacks queued together run in FIFO order.
    void call_soon(Callback callback);
    /// Runs `callback` once, in the first turn that starts `delay` or more after now(); timers due
    /// together run in deadline order (and in the order of their call_later for equal deadlines).
    TimerId call_later(std::chrono::microseconds delay, Callback callback);
    /// Cancels a timer; true if it had not run yet (even if it was already due and queued).
    bool cancel(TimerId id) noexcept;

    /// Calls `on_readable` in each turn that finds `fd` readable (level-triggered: as long as it
    /// is), or hung up or in error; replaces any reader of `fd`. Throws std::system_error if epoll
    /// refuses `fd` (a regular file, a closed descriptor).
    void add_reader(int fd, Callback on_readable);
    /// Stops watching `fd` for reading; a no-op if it had no reader. Its callback, if already
    /// queued in this turn, does not run.
    void remove_reader(int fd) noexcept;
    /// As add_reader, for writability (and hang-up or error).
    void add_writer(int fd, Callback on_writable);
    /// As remove_reader, for the writer.
    void remove_writer(int fd) noexcept;

    /// Runs turns until stop() is called or nothing is left: no ready callback, no timer, no
    /// reader or writer. An exception escaping a callback stops the loop at once and run()
    /// rethrows it; the loop stays usable: a later run() continues with what is still queued and
    /// registered. Throws std::logic_error if this loop is already running.
    void run();
    /// run() returns after the current turn (called while it is not running: after the first
    /// turn of the next run()). Callbacks ready but not yet run stay queued for the next run().
    void stop() noexcept;

    /// The loop's clock: the time timers are measured against.
    Clock::time_point now() const noexcept { return Clock::now(); }
    /// The loop of the calling thread's running run(), or null: lets a greenlet or a coroutine
    /// find its hub's loop as gevent's get_hub() does.
    static EventLoop* running() noexcept;

    /// Timers not yet run nor cancelled.
    std::size_t timers() const noexcept { return timers_.size(); }
    /// Callbacks queued for the next turn (including skipped ones not yet dropped).
    std::size_t ready() const noexcept { return ready_.size(); }

private:
    // A descriptor's watchers. Each callback lives in a shared_ptr: a queued readiness holds it,
    // so a reader that removes itself mid-call is not destroyed under its own feet, and the queue
    // can tell a removed or replaced watcher (another pointer) from the one it queued.
    struct Watch {
        std::shared_ptr<Callback> reader, writer;
        std::uint32_t events = 0;  // what epoll was told to watch
    };
    // One entry of the ready queue: a plain callback, a due timer (looked up when it runs, so a
    // cancel after it became due still counts), or a descriptor's watcher.
    struct Ready {
        Callback plain;
        TimerId timer = 0;
        std::shared_ptr<Callback> watch;
        int fd = -1;
        bool writer = false;
    };
    struct Deadline {
        Clock::time_point when;
        TimerId id;
        bool operator>(const Deadline& other) const noexcept {
            return when != other.when ? when > other.when : id > other.id;
        }
    };

    void turn();
    void run_ready(std::size_t count);
    void wait_for_events(bool block);
    void arm_timerfd();
    void update(int fd, Watch& watch);
    void drop_cancelled_deadlines();
    bool nothing_left() const noexcept { return ready_.empty() && timers_.empty() && watches_.empty(); }

    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    Clock::time_point armed_{};  // the deadline the timerfd is set to; {} when disarmed
    std::deque<Ready> ready_;
    std::vector<Deadline> deadlines_;  // a min-heap on (when, id); cancelled entries are skipped
    std::unordered_map<TimerId, Callback> timers_;
    std::unordered_map<int, Watch> watches_;
    TimerId next_timer_ = 1;
    bool stopping_ = false;
    bool running_ = false;
    std::exception_ptr failure_;
};

}  // namespace workbook
