// Tests of exercise 04. Run them with `./workbook check 04`.
#include "batch_queue.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Queue = exercise04::BatchQueue<int>;

// Runs `body` on a thread of its own and waits up to 10 seconds for it to end; rethrows what it
// threw. A body still blocked after 10 seconds is left behind, detached, so that a queue that never
// wakes its waiters fails the test instead of hanging it: whatever the body uses must be shared
// with it (std::shared_ptr), never borrowed from the test's stack.
bool ends_within_10s(std::function<void()> body) {
    struct State {
        std::mutex mutex;
        std::condition_variable ended;
        bool done = false;
        std::exception_ptr error;
    };
    auto state = std::make_shared<State>();
    std::thread thread([state, body = std::move(body)] {
        std::exception_ptr error;
        try {
            body();
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard lock(state->mutex);
        state->done = true;
        state->error = error;
        state->ended.notify_one();
    });
    std::unique_lock lock(state->mutex);
    bool done = state->ended.wait_for(lock, std::chrono::seconds(10), [&] { return state->done; });
    lock.unlock();
    if (!done) {
        thread.detach();
        return false;
    }
    thread.join();
    if (state->error) std::rethrow_exception(state->error);
    return true;
}

// A thread's own id (gettid), as /proc/self/task knows it; 0 until the thread has told it.
using ThreadId = std::atomic<pid_t>;

// True once thread `tid` of this process sleeps in the queue, as the kernel shows it: 'S', an
// interruptible sleep, in /proc/self/task/TID/stat. A thread that has called put or get_batch sleeps
// only in its wait on a condition variable. False when `returned` is set first (the call did not
// wait at all), or after 10 seconds (it keeps running: it must sleep, not spin).
bool sleeps_in_queue(const ThreadId& tid, const std::atomic<bool>& returned) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!returned && std::chrono::steady_clock::now() < give_up) {
        if (tid != 0) {
            std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
            const std::string text{std::istreambuf_iterator<char>(stat), std::istreambuf_iterator<char>()};
            const auto name_end = text.rfind(") ");  // the state follows the thread's name
            if (name_end != std::string::npos && text.compare(name_end + 2, 1, "S") == 0) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a look now and then, no synchronisation
    }
    return false;
}

// What a call made on a thread of its own shares with the test's thread that acts on the queue.
struct Waiter {
    ThreadId tid{0};
    std::atomic<bool> returned{false};  // the call returned, or threw
    std::atomic<bool> slept{false};     // seen asleep in the queue before the test acted

    // Makes `call` on this thread, telling its id first and that it returned last.
    template <typename Call>
    void make(Call call) {
        tid = ::gettid();
        struct Returned {
            std::atomic<bool>& flag;
            ~Returned() { flag = true; }
        } returned_{returned};
        call();
    }
};

}  // namespace

TEST_CASE("get_batch takes the waiting items, oldest first, at most max of them") {
    Queue queue(10);
    for (int i = 1; i <= 5; ++i) REQUIRE(queue.put(i));
    CHECK(queue.get_batch(3) == std::vector<int>{1, 2, 3});
    CHECK(queue.get_batch(10) == std::vector<int>{4, 5});
    REQUIRE(queue.put(6));
    CHECK(queue.get_batch(10) == std::vector<int>{6});
}

TEST_CASE("a queue holds at most its capacity, and a capacity of 0 is refused") {
    Queue queue(2);
    CHECK(queue.try_put(1));
    CHECK(queue.try_put(2));
    CHECK_MESSAGE(!queue.try_put(3), "the queue is full: try_put must not wait, and must refuse");
    CHECK(queue.get_batch(1) == std::vector<int>{1});
    CHECK(queue.try_put(3));
    CHECK(queue.get_batch(10) == std::vector<int>{2, 3});
    CHECK_THROWS_AS(Queue(0), std::invalid_argument);
}

TEST_CASE("close lets consumers take what is left, then tells them it is over") {
    Queue queue(10);
    REQUIRE(queue.put(1));
    REQUIRE(queue.put(2));
    queue.close();
    CHECK_MESSAGE(!queue.put(3), "a closed queue refuses puts");
    CHECK_MESSAGE(!queue.try_put(3), "a closed queue refuses puts");
    CHECK_MESSAGE((queue.get_batch(10) == std::vector<int>{1, 2}), "items put before close() are still delivered");
    CHECK(queue.get_batch(10).empty());
    CHECK_MESSAGE(queue.get_batch(10).empty(), "and it stays over");
}

TEST_CASE("get_batch waits for a put") {
    auto queue = std::make_shared<Queue>(10);
    auto consumer = std::make_shared<Waiter>();
    std::thread producer([queue, consumer] {
        consumer->slept = sleeps_in_queue(consumer->tid, consumer->returned);  // get_batch waits...
        queue->put(7);                                                         // ...for this put
    });
    auto got = std::make_shared<std::vector<int>>();
    CHECK_MESSAGE(ends_within_10s([queue, got, consumer] { consumer->make([&] { *got = queue->get_batch(10); }); }),
                  "get_batch still waits after a put");
    producer.join();
    CHECK_MESSAGE(consumer->slept, "get_batch did not sleep on the empty queue until the put: wait on a condition variable");
    CHECK(*got == std::vector<int>{7});
}

TEST_CASE("close wakes a consumer waiting on an empty queue") {
    auto queue = std::make_shared<Queue>(10);
    auto got = std::make_shared<std::vector<int>>(1, -1);
    auto consumer = std::make_shared<Waiter>();
    std::thread closer([queue, consumer] {
        consumer->slept = sleeps_in_queue(consumer->tid, consumer->returned);
        queue->close();
    });
    CHECK_MESSAGE(ends_within_10s([queue, got, consumer] { consumer->make([&] { *got = queue->get_batch(10); }); }),
                  "get_batch still waits on a closed queue: close() must wake every waiting consumer");
    closer.join();
    CHECK_MESSAGE(consumer->slept, "get_batch did not sleep on the empty queue until close(): wait on a condition variable");
    CHECK(got->empty());
}

TEST_CASE("put waits while the queue is full, and close wakes it with false") {
    auto queue = std::make_shared<Queue>(1);
    REQUIRE(queue->put(1));
    auto accepted = std::make_shared<bool>(true);
    auto producer = std::make_shared<Waiter>();
    std::thread closer([queue, producer] {
        producer->slept = sleeps_in_queue(producer->tid, producer->returned);
        queue->close();
    });
    CHECK_MESSAGE(ends_within_10s([queue, accepted, producer] { producer->make([&] { *accepted = queue->put(2); }); }),
                  "put still waits on a closed queue: close() must wake every waiting producer");
    closer.join();
    CHECK_MESSAGE(producer->slept, "put did not sleep on the full queue until close(): wait on a condition variable");
    CHECK_MESSAGE(!*accepted, "the queue was closed while put waited: the item is refused");
    CHECK(queue->get_batch(10) == std::vector<int>{1});
}

TEST_CASE("a producer faster than its consumer waits, and nothing is lost or reordered") {
    auto queue = std::make_shared<Queue>(4);
    constexpr int items = 20'000;
    struct Seen {
        std::vector<int> items;
        std::size_t largest_batch = 0;
    };
    auto seen = std::make_shared<Seen>();
    const bool ended = ends_within_10s([queue, seen] {
        std::thread producer([queue] {
            for (int i = 0; i < items; ++i) queue->put(i);
            queue->close();
        });
        for (auto batch = queue->get_batch(64); !batch.empty(); batch = queue->get_batch(64)) {
            seen->largest_batch = std::max(seen->largest_batch, batch.size());
            seen->items.insert(seen->items.end(), batch.begin(), batch.end());
        }
        producer.join();
    });
    REQUIRE_MESSAGE(ended, "one producer, one consumer, then close(): still running after 10 seconds");
    std::vector<int> expected(items);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(seen->items == expected);
    CHECK_MESSAGE(seen->largest_batch <= 4, "a batch larger than the capacity: the queue held more than it may");
}

TEST_CASE("three producers and two consumers: every item arrives exactly once") {
    auto queue = std::make_shared<Queue>(16);
    constexpr int per_producer = 10'000;
    struct Seen {
        std::mutex mutex;
        std::vector<int> times = std::vector<int>(3 * per_producer, 0);
    };
    auto seen = std::make_shared<Seen>();
    const bool ended = ends_within_10s([queue, seen] {
        std::vector<std::thread> producers, consumers;
        for (int p = 0; p < 3; ++p)
            producers.emplace_back([queue, p] {
                for (int i = 0; i < per_producer; ++i) queue->put(p * per_producer + i);
            });
        for (int c = 0; c < 2; ++c)
            consumers.emplace_back([queue, seen] {
                for (auto batch = queue->get_batch(32); !batch.empty(); batch = queue->get_batch(32)) {
                    std::lock_guard lock(seen->mutex);
                    for (int item : batch) ++seen->times[static_cast<std::size_t>(item)];
                }
            });
        for (auto& producer : producers) producer.join();
        queue->close();
        for (auto& consumer : consumers) consumer.join();
    });
    REQUIRE_MESSAGE(ended, "three producers, two consumers, then close(): still running after 10 seconds");
    std::lock_guard lock(seen->mutex);
    CHECK(std::count(seen->times.begin(), seen->times.end(), 1) == 3 * per_producer);
}
