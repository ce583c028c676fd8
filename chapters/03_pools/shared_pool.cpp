// Chapter 03's `--variant pool`, the aside "could use multiprocessing.Pool": generic workers, one pipe.
//
// Generic workers all take work items from one shared pipe. An item names the counter to call and
// carries its events, so any worker can run any item, like `pool.apply_async(counter, (c,))`. Cost:
// still a write and a read per item, and the workers take turns at one pipe's lock and wake-ups.
#include "pipes.hpp"
#include "pools.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace workbook::chapter03 {
namespace {

//! [shared_pool]
// Several readers share the pipe, so each item must be read whole by one of them: the pipe is in
// packet mode (O_DIRECT), where each write of at most PIPE_BUF bytes is one packet and each read
// takes exactly one packet.
struct ItemHeader {
    Header header;
    std::uint32_t counter;  // which of the three counters the events go to
};
constexpr std::size_t max_item_events = PIPE_BUF - sizeof(ItemHeader);

[[noreturn]] void pool_worker(int queue, const MCount (&counters)[3], const CounterBackend* backend) {
    unsigned char item[PIPE_BUF];
    CounterLink link = worker_link(backend);  // the worker's own, one call per event
    for (;;) {
        ssize_t n = ::read(queue, item, sizeof item);  // one packet, one item
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ::_exit(queue_closed);
        ItemHeader header;
        if (static_cast<std::size_t>(n) < sizeof header) ::_exit(bad_message);
        std::memcpy(&header, item, sizeof header);
        if (header.header.kind == Header::kill) ::_exit(killed_by_sentinel);
        if (header.header.kind != Header::events || header.counter >= 3 ||
            static_cast<std::size_t>(n) != sizeof header + header.header.size) {
            ::_exit(bad_message);
        }
        call_counter(link, counters[header.counter].name, header.header.size);
        counters[header.counter].add(header.header.size);
    }
}
//! [shared_pool]

class SharedPool {
public:
    SharedPool(std::size_t size, const MCount (&counters)[3], const CounterBackend* backend) : backend_(backend) {
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_DIRECT) != 0) throw ChapterError(std::string("cannot make the pool's pipe: ") + std::strerror(errno));
        processes::flush_before_fork();
        (void)processes::FailureNotes::shared();  // mapped before the forks, so that the workers share it
        for (std::size_t i = 0; i < size; ++i) {
            pid_t pid = ::fork();
            if (pid == 0) {
                keep_only(pipe_fds[0]);
                pool_worker(pipe_fds[0], counters, backend);
            }
            if (pid < 0) {
                int error = errno;
                ::close(pipe_fds[0]);
                ::close(pipe_fds[1]);
                for (pid_t started : pids_) kill_and_reap(started);
                throw ChapterError("cannot start pool worker " + std::to_string(i + 1) + ": fork failed: " + std::strerror(error));
            }
            pids_.push_back(pid);
        }
        ::close(pipe_fds[0]);
        queue_ = pipe_fds[1];
    }
    ~SharedPool() {
        if (queue_ >= 0) ::close(queue_);
        for (pid_t pid : pids_) {
            if (pid > 0) kill_and_reap(pid);
        }
    }
    SharedPool(const SharedPool&) = delete;
    SharedPool& operator=(const SharedPool&) = delete;

    std::span<const pid_t> pids() const noexcept { return pids_; }

    // Sends `events` for counter `counter` as one item.
    void submit(std::uint32_t counter, const unsigned char* events, std::size_t size) {
        unsigned char item[PIPE_BUF];
        const ItemHeader header{{Header::events, static_cast<std::uint32_t>(size)}, counter};
        std::memcpy(item, &header, sizeof header);
        std::memcpy(item + sizeof header, events, size);
        if (!write_all(queue_, item, sizeof header + size)) all_died();
    }

    // One KILL per worker (each worker takes exactly one and ends), then joins every worker.
    void kill_and_join() {
        const ItemHeader kill{{Header::kill, 0}, 0};
        for (std::size_t i = 0; i < pids_.size(); ++i) {
            if (!write_all(queue_, &kill, sizeof kill)) all_died();
        }
        ::close(queue_);
        queue_ = -1;
        std::string failures = reap_all();
        if (!failures.empty()) throw ChapterError(failures);
    }

private:
    // Reaps every worker; returns a message naming the first one that did not end by KILL, or "".
    std::string reap_all() {
        std::string failure;
        for (std::size_t i = 0; i < pids_.size(); ++i) {
            int status = processes::reap(pids_[i]);
            if (failure.empty() && !processes::ended_well(status)) {
                failure = "pool worker " + std::to_string(i + 1) + " (pid " + std::to_string(pids_[i]) +
                          ") failed: it " + describe_worker_end(pids_[i], status, backend_);
            }
            pids_[i] = -1;
        }
        return failure;
    }

    // The shared pipe has no reader left: every worker is gone.
    [[noreturn]] void all_died() {
        for (pid_t pid : pids_) ::kill(pid, SIGKILL);
        std::string failure = reap_all();
        throw ChapterError(failure.empty() ? "every pool worker closed the pool's pipe" : failure);
    }

    const CounterBackend* backend_;
    int queue_ = -1;
    std::vector<pid_t> pids_;
};

}  // namespace

std::size_t shared_pool_size() {
    long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    return static_cast<std::size_t>(std::clamp(cores, 2L, 16L));
}

LetterTypes count_with_shared_pool(Events book, const PoolOptions& options) {
    processes::SharedCounters shared;
    const MCount counters[3] = {{"vowel", &shared[Letter::vowel]},
                                {"consonant", &shared[Letter::consonant]},
                                {"other", &shared[Letter::other]}};
    SharedPool pool(shared_pool_size(), counters, options.counters);
    if (options.on_started) options.on_started(pool.pids());

    // The parent still dispatches: it collects each class's events and submits them as items.
    const std::size_t batch = std::clamp<std::size_t>(options.batch, 1, max_item_events);
    unsigned char pending[3][max_item_events];
    std::size_t sizes[3] = {0, 0, 0};
    std::uint64_t sent = 0;
    for (unsigned char c : book) {
        auto letter = static_cast<std::uint32_t>(classify(c));
        pending[letter][sizes[letter]++] = c;
        if (sizes[letter] == batch) pool.submit(letter, pending[letter], std::exchange(sizes[letter], 0));
        if ((++sent & 0xFF) == 0 && options.progress != nullptr) options.progress->update(sent);
    }
    for (std::uint32_t letter = 0; letter < 3; ++letter) {
        if (sizes[letter] > 0) pool.submit(letter, pending[letter], sizes[letter]);
    }
    pool.kill_and_join();
    return {counters[0].value(), counters[1].value(), counters[2].value()};
}

}  // namespace workbook::chapter03
