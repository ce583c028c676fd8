// Chapter 03: fed worker processes, the talk's `proctuple` and `FeedCounter`.
//
// "Process pooling is the obvious solution to excessive process creation": three long-lived worker
// processes, one per class of event, each fed through its own pipe (as multiprocessing.Queue is),
// count into shared memory until they read the KILL sentinel; the parent then joins them. The aside
// "could use multiprocessing.Pool" is the `pool` variant: generic workers taking items from one shared
// pipe. Cost: a write by the parent and a read by a worker per message, two system calls and at times
// a wake-up: about 2 us per event unbatched, some 200 times chapter 01's call, hence a default run of
// 200,000 events. `--batch 4096` shares that cost among 4096 events: 7-14 ns each, near chapter 01.
#include "pools.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <utility>
#include <unistd.h>

namespace workbook::chapter03 {
namespace {

using processes::InterruptGuard;

// A signal arrived while the parent was feeding workers. Unwinding to pool_test() ends and reaps
// every worker on the way.
struct Interrupted {};

// Writing to a pipe whose reader is gone raises SIGPIPE, which kills the writer by default: the parent
// would die without a word when a worker dies. While the parent feeds workers, SIGPIPE is blocked in
// its thread, so such a write fails with EPIPE instead and the parent can say which worker died. The
// SIGPIPE left pending by that write is discarded before the old mask comes back.
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &sigpipe_, &old_);
        was_pending_ = is_pending();
    }
    ~SigpipeBlocked() {
        const timespec no_wait{};
        if (!was_pending_ && is_pending()) ::sigtimedwait(&sigpipe_, nullptr, &no_wait);
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    static bool is_pending() {
        sigset_t pending;
        ::sigpending(&pending);
        return sigismember(&pending, SIGPIPE) == 1;
    }
    sigset_t sigpipe_{}, old_{};
    bool was_pending_ = false;
};

// In a new worker: closes every descriptor but standard input, output, error and `keep`. A copy of
// another worker's pipe left open here would keep that pipe alive after its own worker died, and
// writing to it would block forever instead of failing with EPIPE.
void keep_only(int keep) {
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(std::max(keep + 1, 3)), ~0U, 0);
}

// Reads exactly `size` bytes; false at end-of-file (or an error, which a worker treats alike).
bool read_exactly(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<unsigned char*>(data);
    while (size > 0) {
        ssize_t n = ::read(fd, bytes, size);
        if (n > 0) bytes += n, size -= static_cast<std::size_t>(n);
        else if (n == 0 || errno != EINTR) return false;
    }
    return true;
}

// Writes all of `data` to a worker's pipe. Returns false when no worker reads the pipe any more.
bool write_all(int fd, const void* data, std::size_t size) {
    auto* bytes = static_cast<const unsigned char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, bytes, size);
        if (n >= 0) bytes += n, size -= static_cast<std::size_t>(n);
        else if (errno == EPIPE) return false;
        else if (errno != EINTR) throw ChapterError(std::string("cannot write to a worker's pipe: ") + std::strerror(errno));
        if (InterruptGuard::caught() != 0) throw Interrupted{};
    }
    return true;
}

std::string describe_worker_end(int status) {
    std::string text = processes::describe_end(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == queue_closed) text += " (its pipe closed before KILL)";
    if (WIFEXITED(status) && WEXITSTATUS(status) == bad_message) text += " (a message it did not understand)";
    return text;
}

// Kills a worker that is still running and reaps it; for destructors, so it never throws.
void kill_and_reap(pid_t pid) noexcept {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
}

//! [feed_counter]
// The talk's FeedCounter.__call__, the whole life of a worker process: count each message's events
// into the shared counter until KILL. (The talk's version reads `s = self.queue.get()` but tests
// `if c == KILL`, a name it never set.)
[[noreturn]] void feed_counter(int queue, const MCount& counter) {
    static unsigned char events[64 * 1024];
    for (;;) {
        Header header;
        if (!read_exactly(queue, &header, sizeof header)) ::_exit(queue_closed);  // blocks here
        if (header.kind == Header::kill) ::_exit(killed_by_sentinel);             // sentinel value
        if (header.kind != Header::events) ::_exit(bad_message);
        for (std::size_t left = header.size; left > 0;) {
            std::size_t chunk = std::min(left, sizeof events);
            if (!read_exactly(queue, events, chunk)) ::_exit(queue_closed);
            left -= chunk;
        }
        counter.add(header.size);  // self.count.value += 1, for every event of the message
    }
}
//! [feed_counter]

}  // namespace

//! [proctuple]
ProcTuple::ProcTuple(MCount counter, std::size_t batch)
    : counter_(counter), batch_(std::max<std::size_t>(batch, 1)), message_(sizeof(Header) + batch_) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) {
        throw ChapterError("cannot make the pipe of worker '" + std::string(counter_.name) + "': " + std::strerror(errno));
    }
    processes::flush_before_fork();
    pid_ = ::fork();
    if (pid_ == 0) {
        keep_only(pipe_fds[0]);
        feed_counter(pipe_fds[0], counter_);
    }
    int error = errno;
    ::close(pipe_fds[0]);  // the worker must hold the only read end, so that its death closes it
    if (pid_ < 0) {
        ::close(pipe_fds[1]);
        throw ChapterError("cannot start worker '" + std::string(counter_.name) + "': fork failed: " + std::strerror(error));
    }
    queue_ = pipe_fds[1];
}

void ProcTuple::flush() {
    if (InterruptGuard::caught() != 0) throw Interrupted{};
    if (pending_ == 0) return;
    const Header header{Header::events, static_cast<std::uint32_t>(pending_)};
    std::memcpy(message_.data(), &header, sizeof header);
    if (!write_all(queue_, message_.data(), sizeof header + pending_)) died();
    pending_ = 0;
}

void ProcTuple::put_kill() {
    flush();
    const Header kill{Header::kill, 0};
    if (!write_all(queue_, &kill, sizeof kill)) died();
}
//! [proctuple]

void ProcTuple::close() {
    if (queue_ >= 0) ::close(queue_);
    queue_ = -1;
}

void ProcTuple::join() {
    close();
    pid_t pid = std::exchange(pid_, -1);
    int status = processes::reap(pid);
    if (!processes::ended_well(status)) {
        throw ChapterError("worker '" + std::string(counter_.name) + "' (pid " + std::to_string(pid) + ") failed: it " +
                           describe_worker_end(status));
    }
}

// The pipe has no reader: the worker is dead, or closed it and is about to be.
void ProcTuple::died() {
    pid_t pid = std::exchange(pid_, -1);
    ::kill(pid, SIGKILL);  // does not change how a worker already on its way out ended
    int status = processes::reap(pid);
    throw ChapterError("worker '" + std::string(counter_.name) + "' (pid " + std::to_string(pid) +
                       ") died during the run: it " + describe_worker_end(status));
}

ProcTuple::~ProcTuple() {
    close();
    if (pid_ > 0) kill_and_reap(pid_);
}

namespace {

//! [process_test]
LetterTypes per_class_test(Events book, const PoolOptions& options, std::size_t batch) {
    processes::SharedCounters shared;
    ProcTuple vowel({"vowel", &shared[Letter::vowel]}, batch);
    ProcTuple cons({"consonant", &shared[Letter::consonant]}, batch);
    ProcTuple other({"other", &shared[Letter::other]}, batch);
    if (options.on_started) {
        const pid_t pids[] = {vowel.pid(), cons.pid(), other.pid()};
        options.on_started(pids);
    }

    std::uint64_t sent = 0;
    for (unsigned char c : book) {
        switch (classify(c)) {
            case Letter::vowel: vowel.put(c); break;
            case Letter::consonant: cons.put(c); break;
            case Letter::other: other.put(c); break;
        }
        if ((++sent & 0xFF) == 0 && options.progress != nullptr) options.progress->update(sent);
    }

    // Kill off the processes with a sentinel value
    for (ProcTuple* p : {&vowel, &cons, &other}) {
        p->put_kill();
        p->join();
    }
    return {vowel.counter().value(), cons.counter().value(), other.counter().value()};
}
//! [process_test]

//! [shared_pool]
// The aside's "could use multiprocessing.Pool": generic workers that all take work items from one
// shared pipe. An item names the counter to call and carries its events, so any worker can run any
// item, like `pool.apply_async(counter, (c,))`. Several readers share the pipe, so each item must be
// read whole by one of them: the pipe is in packet mode (O_DIRECT), where each write of at most
// PIPE_BUF bytes is one packet and each read takes exactly one packet.
struct ItemHeader {
    Header header;
    std::uint32_t counter;  // which of the three counters the events go to
};
constexpr std::size_t max_item_events = PIPE_BUF - sizeof(ItemHeader);

[[noreturn]] void pool_worker(int queue, const MCount (&counters)[3]) {
    unsigned char item[PIPE_BUF];
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
        counters[header.counter].add(header.header.size);
    }
}
//! [shared_pool]

class SharedPool {
public:
    SharedPool(std::size_t size, const MCount (&counters)[3]) {
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_DIRECT) != 0) throw ChapterError(std::string("cannot make the pool's pipe: ") + std::strerror(errno));
        processes::flush_before_fork();
        for (std::size_t i = 0; i < size; ++i) {
            pid_t pid = ::fork();
            if (pid == 0) {
                keep_only(pipe_fds[0]);
                pool_worker(pipe_fds[0], counters);
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
        if (InterruptGuard::caught() != 0) throw Interrupted{};
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
                          ") failed: it " + describe_worker_end(status);
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

    int queue_ = -1;
    std::vector<pid_t> pids_;
};

LetterTypes shared_pool_test(Events book, const PoolOptions& options, std::size_t batch) {
    processes::SharedCounters shared;
    const MCount counters[3] = {{"vowel", &shared[Letter::vowel]},
                                {"consonant", &shared[Letter::consonant]},
                                {"other", &shared[Letter::other]}};
    SharedPool pool(shared_pool_size(), counters);
    if (options.on_started) options.on_started(pool.pids());

    // The parent still dispatches: it collects each class's events and submits them as items.
    batch = std::min(batch, max_item_events);
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

}  // namespace

std::size_t shared_pool_size() {
    long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    return static_cast<std::size_t>(std::clamp(cores, 2L, 16L));
}

LetterTypes pool_test(Events book, const PoolOptions& options) {
    InterruptGuard interrupt;
    SigpipeBlocked sigpipe;
    // A message never holds more than the whole book, and its size must fit the header's 32 bits.
    const std::size_t largest = std::clamp<std::size_t>(book.size(), 1, std::size_t{1} << 30);
    const std::size_t batch = std::clamp<std::size_t>(options.batch, 1, largest);
    try {
        LetterTypes counts = options.pool == Pool::per_class ? per_class_test(book, options, batch)
                                                             : shared_pool_test(book, options, batch);
        if (InterruptGuard::caught() != 0) throw Interrupted{};
        return counts;
    } catch (const Interrupted&) {
        interrupt.die_of_caught_signal();  // every worker is reaped by now
    }
}

namespace {

LetterTypes pool_count(Events book, Pool pool, const Settings& settings) {
    PoolOptions options;
    options.pool = pool;
    options.batch = settings.batch == 0 ? 1 : settings.batch;
    options.progress = settings.progress;
    return pool_test(book, options);
}

}  // namespace

extern const Chapter chapter{
    .number = 3,
    .slug = "03_pools",
    .title = "Count letters with a pool of fed worker processes",
    .mechanism = "pipe write + read per message",
    .default_runs = 3,
    .default_limit = 200'000,
    .takes_batch = true,
    .variants = {
        {"proctuple", [](Events book, const Settings& settings) { return pool_count(book, Pool::per_class, settings); },
         "the talk's proctuple: a worker process per class of event, each fed through its own pipe"},
        {"pool", [](Events book, const Settings& settings) { return pool_count(book, Pool::shared, settings); },
         "multiprocessing.Pool's way: generic workers taking messages from one shared pipe"},
    },
};

}  // namespace workbook::chapter03
