#include "workbook/event_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <utility>

namespace workbook {
namespace {

thread_local EventLoop* current_loop = nullptr;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// While run() runs: running() answers this loop, and a loop run from inside another loop's
// callback hands the thread back to the outer one when it returns.
class Running {
public:
    explicit Running(EventLoop* loop) : previous_(std::exchange(current_loop, loop)) {}
    ~Running() { current_loop = previous_; }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;

private:
    EventLoop* previous_;
};

}  // namespace

EventLoop::EventLoop() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) fail("epoll_create1");
    // CLOCK_MONOTONIC is steady_clock's clock, so a deadline converts to the timerfd's time as is.
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) {
        int error = errno;
        ::close(epoll_fd_);
        errno = error;
        fail("timerfd_create");
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = timer_fd_;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &event) != 0) {
        int error = errno;
        ::close(timer_fd_);
        ::close(epoll_fd_);
        errno = error;
        fail("epoll_ctl(timerfd)");
    }
}

EventLoop::~EventLoop() {
    ::close(timer_fd_);
    ::close(epoll_fd_);
}

EventLoop* EventLoop::running() noexcept { return current_loop; }

void EventLoop::call_soon(Callback callback) { ready_.push_back(Ready{std::move(callback), 0, nullptr, -1, false}); }

EventLoop::TimerId EventLoop::call_later(std::chrono::microseconds delay, Callback callback) {
    TimerId id = next_timer_++;
    auto when = now() + std::max(delay, std::chrono::microseconds::zero());
    timers_.emplace(id, std::move(callback));
    deadlines_.push_back({when, id});
    std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    return id;
}

bool EventLoop::cancel(TimerId id) noexcept {
    if (timers_.erase(id) == 0) return false;
    // As asyncio does, the heap keeps cancelled entries until they reach the top, unless they are
    // most of it: a client that arms and cancels a timer per request must not grow it forever.
    if (deadlines_.size() > 64 && deadlines_.size() > 2 * timers_.size()) {
        std::erase_if(deadlines_, [this](const Deadline& d) { return !timers_.contains(d.id); });
        std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
    }
    return true;
}

void EventLoop::update(int fd, Watch& watch) {
    std::uint32_t wanted = (watch.reader ? EPOLLIN : 0u) | (watch.writer ? EPOLLOUT : 0u);
    if (wanted == watch.events) return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    int op = watch.events == 0 ? EPOLL_CTL_ADD : wanted == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    int status = ::epoll_ctl(epoll_fd_, op, fd, &event);
    // A descriptor closed while watched leaves epoll by itself; one with its number is new to it.
    if (status != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) status = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    if (status != 0 && op != EPOLL_CTL_DEL) fail("epoll_ctl");
    watch.events = wanted;
}

void EventLoop::add_reader(int fd, Callback on_readable) {
    Watch& watch = watches_[fd];
    auto previous = std::exchange(watch.reader, std::make_shared<Callback>(std::move(on_readable)));
    try {
        update(fd, watch);
    } catch (...) {
        watch.reader = std::move(previous);
        if (!watch.reader && !watch.writer) watches_.erase(fd);
        throw;
    }
}

void EventLoop::add_writer(int fd, Callback on_writable) {
    Watch& watch = watches_[fd];
    auto previous = std::exchange(watch.writer, std::make_shared<Callback>(std::move(on_writable)));
    try {
        update(fd, watch);
    } catch (...) {
        watch.writer = std::move(previous);
        if (!watch.reader && !watch.writer) watches_.erase(fd);
        throw;
    }
}

void EventLoop::remove_reader(int fd) noexcept {
    auto it = watches_.find(fd);
    if (it == watches_.end() || !it->second.reader) return;
    it->second.reader.reset();
    try {
        update(fd, it->second);
    } catch (...) {}  // only an EPOLL_CTL_MOD can fail here: the descriptor is gone anyway
    if (!it->second.writer) watches_.erase(it);
}

void EventLoop::remove_writer(int fd) noexcept {
    auto it = watches_.find(fd);
    if (it == watches_.end() || !it->second.writer) return;
    it->second.writer.reset();
    try {
        update(fd, it->second);
    } catch (...) {}
    if (!it->second.reader) watches_.erase(it);
}

void EventLoop::stop() noexcept { stopping_ = true; }

void EventLoop::run() {
    if (running_) throw std::logic_error("EventLoop::run: this loop is already running");
    running_ = true;
    Running guard(this);
    struct Reset {
        EventLoop& loop;
        ~Reset() { loop.running_ = loop.stopping_ = false; }
    } reset{*this};
    while (!nothing_left()) {
        turn();
        if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
        if (stopping_) break;
    }
}

void EventLoop::turn() {
    run_ready(ready_.size());
    if (failure_ || nothing_left()) return;
    wait_for_events(ready_.empty() && !stopping_);
}

void EventLoop::run_ready(std::size_t count) {
    try {
        for (; count > 0 && !ready_.empty(); --count) {
            Ready entry = std::move(ready_.front());
            ready_.pop_front();
            if (entry.timer != 0) {
                auto it = timers_.find(entry.timer);
                if (it == timers_.end()) continue;  // cancelled after it became due
                Callback callback = std::move(it->second);
                timers_.erase(it);
                callback();
            } else if (entry.watch) {
                auto it = watches_.find(entry.fd);
                if (it == watches_.end() || (entry.writer ? it->second.writer : it->second.reader) != entry.watch) continue;
                (*entry.watch)();  // entry holds it: the callback may remove itself
            } else {
                entry.plain();
            }
        }
    } catch (...) {
        failure_ = std::current_exception();
        stopping_ = true;
    }
}

void EventLoop::drop_cancelled_deadlines() {
    while (!deadlines_.empty() && !timers_.contains(deadlines_.front().id)) {
        std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
        deadlines_.pop_back();
    }
}

void EventLoop::arm_timerfd() {
    Clock::time_point when = deadlines_.empty() ? Clock::time_point{} : deadlines_.front().when;
    if (when == armed_) return;
    itimerspec spec{};
    if (!deadlines_.empty()) {
        auto ns = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count());
        spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    }
    if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) fail("timerfd_settime");
    armed_ = when;
}

void EventLoop::wait_for_events(bool block) {
    drop_cancelled_deadlines();
    if (block) arm_timerfd();  // the timerfd wakes epoll at the earliest deadline, to the microsecond
    epoll_event events[64];
    int count = ::epoll_wait(epoll_fd_, events, 64, block ? -1 : 0);
    if (count < 0) {
        if (errno != EINTR) fail("epoll_wait");
        count = 0;
    }
    for (int i = 0; i < count; ++i) {
        int fd = events[i].data.fd;
        if (fd == timer_fd_) {
            std::uint64_t expirations = 0;
            if (::read(timer_fd_, &expirations, sizeof expirations) > 0) armed_ = {};
            continue;
        }
        auto it = watches_.find(fd);
        if (it == watches_.end()) continue;
        // As asyncio's selectors do: a hang-up or an error wakes the reader and the writer alike.
        std::uint32_t got = events[i].events;
        if ((got & ~std::uint32_t{EPOLLOUT}) && it->second.reader) ready_.push_back(Ready{{}, 0, it->second.reader, fd, false});
        if ((got & ~std::uint32_t{EPOLLIN}) && it->second.writer) ready_.push_back(Ready{{}, 0, it->second.writer, fd, true});
    }
    auto time = now();
    while (!deadlines_.empty() && deadlines_.front().when <= time) {
        TimerId id = deadlines_.front().id;
        std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>{});
        deadlines_.pop_back();
        if (timers_.contains(id)) ready_.push_back(Ready{{}, id, nullptr, -1, false});
    }
}

}  // namespace workbook
