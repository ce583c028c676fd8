// Chapter 04: fed worker threads, the talk's `threadtuple` and `thread_test`.
//
// "Since multiprocessing has an API based on threading, the threaded version is nearly identical":
// chapter 03's three fed workers (its pools.cpp, which this file follows line by line) as threads of
// one process. A queue is a mutex, two condition variables and a deque instead of a pipe; a counter
// is a std::atomic instead of shared memory; KILL is still a message of its own. Cost: a lock, an
// unlock and often a futex wake-up of the sleeping worker per message; `--batch N` shares them among
// N events. Beside this step: what a worker's exception and an early end do (failures.cpp).
#include "threads.hpp"

#include <algorithm>
#include <string>
#include <system_error>

namespace workbook::chapter04 {

//! [feed_counter]
// The talk's FeedCounter.__call__, the whole life of a worker thread: count each message's events
// until KILL, each event first a call of its own to the slow counter (`--counter`) through the
// thread's own link. (The talk's process version reads `s = self.queue.get()` and tests `c`; its
// later copy, which this follows, reads `c`.)
static void feed_counter(BlockingQueue<Message>& queue, std::atomic<std::uint64_t>& count, std::string_view name,
                         const ThreadHooks& hooks, CounterLink& link) {
    for (;;) {
        std::optional<Message> message = queue.get();  // blocks here
        if (!message || message->kill) break;          // sentinel value (or the run was abandoned)
        if (hooks.on_message) hooks.on_message(name, *message);
        for (unsigned char c : message->events) link.call(classify(c));
        count.fetch_add(message->events.size(), std::memory_order_relaxed);  // self.count.value += 1, for every event
    }
}
//! [feed_counter]

//! [threadtuple]
ThreadTuple::ThreadTuple(std::string_view name, std::size_t batch, const ThreadHooks& hooks, const CounterBackend* counters)
    : name_(name), batch_(std::max<std::size_t>(batch, 1)), hooks_(hooks), counters_(counters), queue_(queue_capacity) {
    pending_.reserve(batch_);
    try {
        if (hooks_.before_start) hooks_.before_start(name_);
        thread_ = std::jthread([this] { run(); });
    } catch (const std::system_error& error) {
        throw ChapterError("cannot start worker thread '" + std::string(name_) + "': " + error.what());
    }
}

// The whole life of the worker thread. An exception must not leave it (that would terminate the
// program): it is kept for join(), and the queue is closed so that the producer stops waiting on it.
// The link is made here, in the worker thread that alone uses it.
void ThreadTuple::run() noexcept {
    try {
        CounterLink link = counters_ != nullptr ? counters_->link() : CounterLink();
        feed_counter(queue_, count_, name_, hooks_, link);
    } catch (...) {
        failure_ = std::current_exception();
        queue_.close();
    }
    if (hooks_.on_end) hooks_.on_end(name_);
}

void ThreadTuple::flush() {
    if (pending_.empty()) return;
    std::vector<unsigned char> events;
    events.reserve(batch_);
    events.swap(pending_);
    if (!queue_.put(Message{std::move(events)})) failed();
}

void ThreadTuple::put_kill() {
    flush();
    if (!queue_.put(Message{{}, /*kill=*/true})) failed();
}
//! [threadtuple]

void ThreadTuple::join() {
    if (thread_.joinable()) thread_.join();
    if (failure_) rethrow_failure();
}

//! [count_with_worker_threads]
// The talk's `thread_test`, with `threadtuple`s.
LetterTypes count_with_worker_threads(Events book, const ThreadOptions& options) {
    const std::size_t batch = std::clamp<std::size_t>(options.batch, 1, std::max<std::size_t>(book.size(), 1));
    ThreadTuple vowel("vowel", batch, options.hooks, options.counters);
    ThreadTuple consonant("consonant", batch, options.hooks, options.counters);
    ThreadTuple other("other", batch, options.hooks, options.counters);

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
    for (ThreadTuple* worker : {&vowel, &consonant, &other}) worker->flush();
    // Kill off the threads with a sentinel value
    for (ThreadTuple* worker : {&vowel, &consonant, &other}) {
        worker->put_kill();
        worker->join();
    }
    return {vowel.count(), consonant.count(), other.count()};
}
//! [count_with_worker_threads]

extern const Chapter chapter{
    .number = 4,
    .slug = "04_threads",
    .title = "Count letters with fed worker threads",
    .mechanism = "mutex + condition variable queue",
    .count = [](Events book, const Settings& settings) {
        ThreadOptions options;
        options.batch = settings.batch == 0 ? 1 : settings.batch;
        options.progress = settings.progress;
        options.counters = settings.counters;
        return count_with_worker_threads(book, options);
    },
    .default_runs = 3,
    .default_limit = 1'000'000,
    .takes_batch = true,
};

}  // namespace workbook::chapter04
