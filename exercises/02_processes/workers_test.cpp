// Tests of exercise 02. Run them with `./workbook check 02`.
#include "workers.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Integers in shared memory, so that the tests of run_workers() can see what each child did
// without relying on the learner's SharedCounters.
class SharedInts {
public:
    explicit SharedInts(std::size_t n) : n_(n) {
        void* memory = ::mmap(nullptr, n * sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        REQUIRE(memory != MAP_FAILED);
        ints_ = static_cast<int*>(memory);
    }
    ~SharedInts() { ::munmap(ints_, n_ * sizeof(int)); }
    SharedInts(const SharedInts&) = delete;
    SharedInts& operator=(const SharedInts&) = delete;
    int& operator[](int i) { return ints_[i]; }

private:
    std::size_t n_;
    int* ints_;
};

// A signal from one process to others, through a pipe that the workers inherit: open(n) lets n
// waiters through, and a waiter passes as soon as it is let through, or gives up after `deadline`
// (workers that do not run at the same time would otherwise wait for each other forever).
class Gate {
public:
    Gate() { REQUIRE(::pipe2(fds_, O_NONBLOCK) == 0); }
    ~Gate() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;

    void open(int waiters = 1) {
        for (int i = 0; i < waiters; ++i) {
            while (::write(fds_[1], "x", 1) < 0 && errno == EINTR) {}
        }
    }
    // True once let through; false after `deadline`.
    bool pass(std::chrono::milliseconds deadline) {
        const auto give_up = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            char byte;
            if (::read(fds_[0], &byte, 1) == 1) return true;  // another waiter may have taken it: poll again
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd readable{fds_[0], POLLIN, 0};
            ::poll(&readable, 1, static_cast<int>(left.count()) + 1);
        }
    }

private:
    int fds_[2] = {-1, -1};
};

// True when this process has no child left, running or zombie.
bool no_child_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

}  // namespace

TEST_CASE("a child's additions to the shared counters are seen by the parent") {
    exercise02::SharedCounters counters;
    std::fflush(nullptr);  // or the child may write the test's buffered output a second time
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            counters.add(workbook::Letter::vowel, 3);
            counters.add(workbook::Letter::other, 1);
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK_MESSAGE(status == 0, "add() failed in the child");
    CHECK_MESSAGE((counters.totals() == workbook::LetterTypes{3, 0, 1}),
                  "the child's additions must land in memory it shares with the parent (MAP_SHARED)");
}

TEST_CASE("run_workers runs every worker once, at the same time, each with its own index") {
    SharedInts ran(6);
    Gate worker_4_ran;
    exercise02::run_workers(5, [&](int worker) {
        __atomic_add_fetch(&ran[worker], 1, __ATOMIC_RELEASE);
        // Worker 0 waits (up to 10 seconds) until worker 4 has run, which happens only if they run at
        // the same time; if it gives up, it says so in ran[5].
        if (worker == 4) worker_4_ran.open();
        if (worker == 0 && !worker_4_ran.pass(std::chrono::seconds(10))) ran[5] = 1;
    });
    for (int worker = 0; worker < 5; ++worker) CHECK_MESSAGE(ran[worker] == 1, "worker ", worker);
    CHECK_MESSAGE(ran[5] == 0, "worker 0 waited 10 s for worker 4: start every worker before waiting for any");
    CHECK_MESSAGE(no_child_left(), "every child must be waited for");
}

TEST_CASE("workers adding one event at a time, at the same moment, lose no count") {
    exercise02::SharedCounters counters;
    SharedInts started(1);
    Gate all_started;
    exercise02::run_workers(4, [&](int) {
        // Start together (or after a second at most), so that the additions overlap: the last worker
        // to start lets all four through.
        if (__atomic_add_fetch(&started[0], 1, __ATOMIC_ACQ_REL) == 4) all_started.open(4);
        all_started.pass(std::chrono::seconds(1));
        for (int i = 0; i < 5'000'000; ++i) {
            counters.add(workbook::Letter::consonant, 1);
            asm volatile("" ::: "memory");  // one real addition per event: the compiler may not sum them up first
        }
    });
    CHECK_MESSAGE((counters.totals() == workbook::LetterTypes{0, 20'000'000, 0}),
                  "counts were lost: two processes read the same old value and both wrote old + 1 (a race"
                  " shows up often, not always: a pass here does not prove add() safe)");
}

TEST_CASE("run_workers names a worker that threw, after waiting for every worker") {
    SharedInts ran(4);
    CHECK_THROWS_WITH_AS(exercise02::run_workers(4,
                                                 [&](int worker) {
                                                     ran[worker] = 1;
                                                     if (worker == 2) throw std::runtime_error("bad slice");
                                                 }),
                         doctest::Contains("worker 2 exited with status 1"), std::runtime_error);
    for (int worker = 0; worker < 4; ++worker) CHECK_MESSAGE(ran[worker] == 1, "worker ", worker, " did not run");
    CHECK_MESSAGE(no_child_left(), "a failure must not leave the other children as zombies");
}

TEST_CASE("run_workers names a worker killed by a signal") {
    CHECK_THROWS_WITH_AS(exercise02::run_workers(3,
                                                 [](int worker) {
                                                     if (worker == 1) ::raise(SIGKILL);
                                                 }),
                         doctest::Contains("worker 1 was killed by signal 9"), std::runtime_error);
    CHECK(no_child_left());
}

TEST_CASE("count_with_workers agrees with the reference count, whatever the number of workers") {
    auto book = workbook::Book::default_book(200'003);
    const auto expected = workbook::reference_count(book.events());
    for (int workers : {1, 2, 3, 8}) CHECK_MESSAGE(exercise02::count_with_workers(book.events(), workers) == expected,
                                                   workers, " workers");
    const unsigned char tiny[] = {'a', 'b', '!'};
    CHECK_MESSAGE((exercise02::count_with_workers(tiny, 8) == workbook::LetterTypes{1, 1, 1}),
                  "more workers than events: some slices are empty");
    CHECK(no_child_left());
}

TEST_CASE("count_with_workers refuses fewer than one worker") {
    const unsigned char book[] = {'a'};
    CHECK_THROWS_AS(exercise02::count_with_workers(book, 0), std::invalid_argument);
}
