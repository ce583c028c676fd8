// Chapter 03: fed worker processes, the talk's `proctuple` and `FeedCounter`.
//
// "Process pooling is the obvious solution to excessive process creation": three long-lived worker
// processes, one per class of event, each fed through its own pipe (as multiprocessing.Queue is),
// count into shared memory until they read the KILL sentinel; the parent then joins them. Cost: a
// write by the parent and a read by a worker per message, two system calls and at times a wake-up
// of the sleeping worker; `--batch N` shares them among N events. Beside this step: the aside's
// multiprocessing.Pool (`--variant pool`, shared_pool.cpp), the pipes both use (pipes.cpp) and what
// Ctrl-C does (signals.cpp).
#include "pools.hpp"

#include "pipes.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <unistd.h>

namespace workbook::chapter03 {

//! [feed_counter]
// The talk's FeedCounter.__call__, the whole life of a worker process: count each message's events
// into the shared counter until KILL, each event first a call of its own to the slow counter
// (`--counter`) through the worker's own link. (The talk's version reads `s = self.queue.get()` but
// tests `if c == KILL`, a name it never set.)
[[noreturn]] static void feed_counter(int queue, const MCount& counter, const CounterBackend* counters) {
    static unsigned char events[64 * 1024];
    CounterLink link = worker_link(counters);
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
        call_counter(link, counter.name, header.size);
        counter.add(header.size);  // self.count.value += 1, for every event of the message
    }
}
//! [feed_counter]

//! [proctuple]
ProcTuple::ProcTuple(MCount counter, std::size_t batch, const CounterBackend* counters)
    : counter_(counter), batch_(std::max<std::size_t>(batch, 1)), counters_(counters), message_(sizeof(Header) + batch_) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0)
        throw ChapterError("cannot make the pipe of worker '" + std::string(counter_.name) + "': " + std::strerror(errno));
    processes::flush_before_fork();
    (void)processes::FailureNotes::shared();  // mapped before the fork, so that the worker shares it
    pid_ = ::fork();
    if (pid_ == 0) {
        keep_only(pipe_fds[0]);
        feed_counter(pipe_fds[0], counter_, counters_);
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

//! [count_with_worker_processes]
// The talk's `process_test` with `proctuple`s.
LetterTypes count_with_worker_processes(Events book, const PoolOptions& options) {
    processes::SharedCounters shared;
    ProcTuple vowel({"vowel", &shared[Letter::vowel]}, options.batch, options.counters);
    ProcTuple consonant({"consonant", &shared[Letter::consonant]}, options.batch, options.counters);
    ProcTuple other({"other", &shared[Letter::other]}, options.batch, options.counters);
    if (options.on_started) options.on_started(std::array{vowel.pid(), consonant.pid(), other.pid()});

    std::uint64_t sent = 0;
    for (unsigned char c : book) {
        switch (classify(c)) {
            case Letter::vowel: vowel.put(c); break;
            case Letter::consonant: consonant.put(c); break;
            case Letter::other: other.put(c); break;
        }
        if ((++sent & 0xFF) == 0 && options.progress != nullptr) options.progress->update(sent);
    }

    // What is left of each batch goes to all three workers before the first join, so that they
    // drain it at once rather than one after another.
    for (ProcTuple* worker : {&vowel, &consonant, &other}) worker->flush();
    // Kill off the processes with a sentinel value
    for (ProcTuple* worker : {&vowel, &consonant, &other}) {
        worker->put_kill();
        worker->join();
    }
    return {vowel.counter().value(), consonant.counter().value(), other.counter().value()};
}
//! [count_with_worker_processes]

extern const Chapter chapter{
    .number = 3,
    .slug = "03_pools",
    .title = "Count letters with a pool of fed worker processes",
    .mechanism = "pipe write + read per message",
    .default_runs = 3,
    .default_limit = 200'000,
    .takes_batch = true,
    .variants = {
        {"proctuple", [](Events book, const Settings& settings) { return count_with_pool(book, Pool::per_class, settings); },
         "the talk's proctuple: a worker process per class of event, each fed through its own pipe"},
        {"pool", [](Events book, const Settings& settings) { return count_with_pool(book, Pool::shared, settings); },
         "multiprocessing.Pool's way: generic workers taking messages from one shared pipe"},
    },
};

}  // namespace workbook::chapter03
