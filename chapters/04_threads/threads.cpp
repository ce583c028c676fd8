// Chapter 04: fed threads, the talk's `threadtuple` and `thread_test`.
//
// "Since multiprocessing has an API based on threading, the threaded version is nearly identical":
// chapter 03's three fed workers, as threads of one process. A queue is a mutex, two condition
// variables and a deque instead of a pipe; a counter is a std::atomic instead of shared memory; KILL
// is still a message of its own. Cost: a lock, an unlock and often a futex wake-up of the sleeping
// worker per message: about 0.7 us per event unbatched (60-80 times chapter 01's call), hence a default
// run of 1,000,000 events; `--batch 4096` shares it among 4096 events, about chapter 01's cost.
#include "threads.hpp"

#include <algorithm>
#include <string>
#include <system_error>

namespace workbook::chapter04 {
namespace {

// Messages a queue holds before its producer waits. Enough for the producer to run ahead of a
// worker that was descheduled, few enough that a queue never holds a large part of the book.
constexpr std::size_t queue_capacity = 1024;

//! [feed_counter]
// The talk's FeedCounter.__call__: count each message's events until KILL. (The talk's process version
// reads `s = self.queue.get()` and tests `c`; its later copy, which this follows, reads `c`.)
void feed_counter(std::string_view name, BlockingQueue<Message>& queue, std::atomic<std::uint64_t>& count,
                  const ThreadHooks& hooks) {
    for (;;) {
        std::optional<Message> message = queue.get();  // blocks here
        if (!message || message->kill) break;          // sentinel value (or the run was abandoned)
        if (hooks.on_message) hooks.on_message(name, *message);
        count.fetch_add(message->events.size(), std::memory_order_relaxed);  // count.value += 1 per event
    }
}
//! [feed_counter]

}  // namespace

//! [threadtuple]
ThreadTuple::ThreadTuple(std::string_view name, std::size_t batch, const ThreadHooks& hooks)
    : name_(name), batch_(std::max<std::size_t>(batch, 1)), hooks_(hooks), queue_(queue_capacity) {
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
void ThreadTuple::run() noexcept {
    try {
        feed_counter(name_, queue_, count_, hooks_);
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
    if (!failure_) return;
    try {
        std::rethrow_exception(failure_);
    } catch (const std::exception& error) {
        throw ChapterError("worker thread '" + std::string(name_) + "' failed: " + error.what());
    } catch (...) {
        throw ChapterError("worker thread '" + std::string(name_) + "' failed with an exception that is not a std::exception");
    }
}

// The queue refused a message: only a worker that failed closes its queue.
void ThreadTuple::failed() {
    join();
    throw ChapterError("worker thread '" + std::string(name_) + "' closed its queue");
}

ThreadTuple::~ThreadTuple() {
    queue_.close();  // a worker still waiting for messages ends; thread_ then joins it
}

//! [thread_test]
LetterTypes thread_test(Events book, const ThreadOptions& options) {
    const std::size_t batch = std::clamp<std::size_t>(options.batch, 1, std::max<std::size_t>(book.size(), 1));
    ThreadTuple vowel("vowel", batch, options.hooks);
    ThreadTuple consonant("consonant", batch, options.hooks);
    ThreadTuple other("other", batch, options.hooks);

    std::uint64_t sent = 0;
    for (unsigned char c : book) {
        switch (classify(c)) {
            case Letter::vowel: vowel.put(c); break;
            case Letter::consonant: consonant.put(c); break;
            case Letter::other: other.put(c); break;
        }
        if ((++sent & 0xFF) == 0 && options.progress != nullptr) options.progress->update(sent);
    }

    // Kill off the threads with a sentinel value
    for (ThreadTuple* t : {&vowel, &consonant, &other}) {
        t->put_kill();
        t->join();
    }
    return {vowel.count(), consonant.count(), other.count()};
}
//! [thread_test]

extern const Chapter chapter{
    .number = 4,
    .slug = "04_threads",
    .title = "Count letters with fed worker threads",
    .mechanism = "mutex + condition variable queue",
    .count = [](Events book, const Settings& settings) {
        ThreadOptions options;
        options.batch = settings.batch == 0 ? 1 : settings.batch;
        options.progress = settings.progress;
        return thread_test(book, options);
    },
    .default_runs = 3,
    .default_limit = 1'000'000,
    .takes_batch = true,
};

}  // namespace workbook::chapter04
