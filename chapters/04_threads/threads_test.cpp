// Chapter 04's own tests: batching changes nothing but the cost, KILL is what ends a worker, and an
// exception in a worker or a thread that cannot start reaches the caller with no thread left behind.
#include "threads.hpp"

#include "books.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"
#include "observe.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

using workbook::chapter04::Message;
using workbook::chapter04::count_with_worker_threads;
using workbook::chapter04::ThreadHooks;
using workbook::chapter04::ThreadOptions;
using workbook::chapter04::ThreadTuple;
using workbook::testing::error_of;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::service_counter;
using workbook::testing::eventually;
using workbook::testing::every_byte_value;
using workbook::testing::task_state;

namespace {

// The workers whose thread function has returned, as their on_end hooks tell, each thread's last
// act: "consonant other vowel" once all three have.
class EndedWorkers {
public:
    explicit EndedWorkers(ThreadHooks& hooks) {
        hooks.on_end = [this](std::string_view worker) {
            std::lock_guard lock(mutex_);
            names_.emplace(worker);
        };
    }
    std::string names() {
        std::lock_guard lock(mutex_);
        std::string text;
        for (const auto& name : names_) text += (text.empty() ? "" : " ") + name;
        return text;
    }

private:
    std::mutex mutex_;
    std::multiset<std::string> names_;
};

// True once the worker that ran on thread `tid` (0: not known yet) is asleep, waiting: the kernel
// shows it in an interruptible sleep ('S'), which for a worker that has counted every event it was
// sent can only be its wait for the next message.
bool asleep(pid_t tid) { return tid != 0 && task_state(::getpid(), tid) == 'S'; }

ThreadOptions with_batch(std::size_t batch) {
    ThreadOptions options;
    options.batch = batch;
    return options;
}
// Runs count_with_worker_threads on a book large enough that the main thread is still sending (and
// waiting on a full queue) when a hook strikes; returns the error it reported, "" if none.
std::string failure_of(const ThreadHooks& hooks) {
    static const auto book = workbook::Book::default_book(2'000'000);
    ThreadOptions options;
    options.hooks = hooks;
    return error_of([&] { count_with_worker_threads(book.events(), options); });
}

}  // namespace

TEST_CASE("--batch gives the same counts as unbatched") {
    auto bytes = every_byte_value(64);
    auto sample = workbook::Book::default_book(100'000);
    for (std::size_t batch : {1, 2, 7, 4096, 1 << 20}) {
        INFO("batch ", batch);
        CHECK(count_with_worker_threads(bytes, with_batch(batch)) == workbook::reference_count(bytes));
        CHECK(count_with_worker_threads(sample.events(), with_batch(batch)) == workbook::reference_count(sample.events()));
    }
    CHECK(count_with_worker_threads({}, with_batch(1)) == workbook::LetterTypes{});
}

TEST_CASE("the KILL sentinel is what stops a worker: without it the worker keeps waiting") {
    ThreadHooks hooks;
    EndedWorkers ended(hooks);
    std::atomic<pid_t> tid{0};  // the worker's thread, as it tells when it takes a message
    hooks.on_message = [&](std::string_view, const Message&) { tid = ::gettid(); };
    {
        ThreadTuple worker("vowel", 3, hooks);
        for (unsigned char c : std::string("aeiouAEIOU")) worker.put(c);
        worker.flush();
        // Its queue is empty, and it waits: asleep, its function not returned.
        CHECK(eventually([&] { return worker.count() == 10 && asleep(tid); }));
        CHECK(ended.names() == "");
        worker.put_kill();
        ::alarm(30);  // a worker that ignored KILL would hang join(): fail instead
        worker.join();
        ::alarm(0);
        CHECK(ended.names() == "vowel");  // KILL ended its function, and join() waited for that
        CHECK(worker.count() == 10);
    }
    tid = 0;
    {
        ThreadTuple worker("other", 1, hooks);
        worker.put('!');
        CHECK(eventually([&] { return worker.count() == 1 && asleep(tid); }));
        CHECK(ended.names() == "vowel");
    }  // without KILL, only the destructor (which closes the queue) ends it
    CHECK(ended.names() == "other vowel");
}

TEST_CASE("an exception inside a worker reaches the caller as an error naming it, and no thread is left running") {
    {
        ThreadHooks hooks;
        EndedWorkers ended(hooks);
        std::atomic<int> messages{0};
        hooks.on_message = [&](std::string_view worker, const Message&) {
            if (worker == "consonant" && ++messages == 3) throw std::runtime_error("the counter's database is down");
        };
        CHECK(failure_of(hooks) == "worker thread 'consonant' failed: the counter's database is down");
        CHECK(ended.names() == "consonant other vowel");  // every thread's function returned before the error did
    }
    {
        ThreadHooks hooks;
        EndedWorkers ended(hooks);
        hooks.on_message = [](std::string_view worker, const Message&) {
            if (worker == "other") throw 42;
        };
        CHECK(failure_of(hooks) == "worker thread 'other' failed with an exception that is not a std::exception");
        CHECK(ended.names() == "consonant other vowel");
    }
}

TEST_CASE("a thread that cannot start is a clear error, and the threads already started are joined") {
    ThreadHooks hooks;
    EndedWorkers ended(hooks);
    hooks.before_start = [](std::string_view worker) {
        // What std::jthread's constructor throws when the system cannot make another thread.
        if (worker == "other") throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    };
    CHECK(failure_of(hooks) == "cannot start worker thread 'other': " +
                                   std::make_error_code(std::errc::resource_unavailable_try_again).message());
    CHECK(ended.names() == "consonant vowel");  // the two started ended; 'other' never ran
}

TEST_CASE("with the counter service each worker thread calls it once per event, whatever the batch, and the service counts the book exactly") {
    workbook::CounterBackend backend(service_counter());
    auto book = workbook::Book::default_book(400);
    for (std::size_t batch : {1, 64}) {
        INFO("batch ", batch);
        ThreadOptions options = with_batch(batch);
        options.counters = &backend;
        backend.reset();
        CHECK(count_with_worker_threads(book.events(), options) == workbook::reference_count(book.events()));
        CHECK(backend.totals() == workbook::reference_count(book.events()));
    }
}

TEST_CASE("with --work on local counters the worker threads count the same") {
    const workbook::CounterBackend work(local_work(1000));
    auto book = workbook::Book::default_book(400);
    ThreadOptions options = with_batch(16);
    options.counters = &work;
    CHECK(count_with_worker_threads(book.events(), options) == workbook::reference_count(book.events()));
}

TEST_CASE("the counter service killed mid-run is reported as a worker thread's failure naming it, and every thread has ended") {
    static const auto book = workbook::Book::default_book(1'000'000);  // a call per event: it cannot end first
    workbook::CounterBackend backend(service_counter());
    ThreadOptions options = with_batch(64);
    options.counters = &backend;
    EndedWorkers ended(options.hooks);
    KillServerOnceCounting killer(backend);
    const std::string error = error_of([&] { count_with_worker_threads(book.events(), options); });
    CHECK(killer.killed());
    CHECK(error.rfind("worker thread '", 0) == 0);
    CHECK_MESSAGE(error.find("the counter service") != std::string::npos, error);
    CHECK(ended.names() == "consonant other vowel");
}

TEST_CASE("with --batch larger than the book, all three workers have their events before the first is joined") {
    // Each worker, on its one message, waits until all three have theirs. Were the last batches
    // sent one worker at a time, each after the previous one's join, the first would wait alone:
    // the deadline turns that into a failure instead of a hang.
    std::mutex mutex;
    std::condition_variable all_here;
    int arrived = 0;
    std::atomic<int> saw_all{0};
    ThreadOptions options = with_batch(1'000'000);
    options.hooks.on_message = [&](std::string_view, const Message&) {
        std::unique_lock lock(mutex);
        ++arrived;
        all_here.notify_all();
        if (all_here.wait_for(lock, std::chrono::seconds(60), [&] { return arrived == 3; })) ++saw_all;
    };
    const auto book = workbook::Book::default_book(10'000);
    CHECK(count_with_worker_threads(book.events(), options) == workbook::reference_count(book.events()));
    CHECK(saw_all == 3);
}
