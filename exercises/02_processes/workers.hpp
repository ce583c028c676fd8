// Exercise 02: worker processes that run at the same time.
//
// Chapter 02 starts a process per event and waits for each before the next, so no two children ever
// touch the shared counters at once. Here a few workers run together, each on its slice of the book,
// and update the same shared counters concurrently.
#pragma once

#include "todo.hpp"
#include "workbook/letter_types.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace exercise02 {

// Three counters in memory shared with every child forked after their construction.
class SharedCounters {
public:
    SharedCounters() {
        // TODO: map memory for three std::uint64_t counters with
        //       mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
        //       so that children forked later share it (their additions are seen here); throw
        //       std::runtime_error if mmap fails.
        exercises::todo("exercise 02: SharedCounters() must map three counters in shared memory", counts_);
    }
    ~SharedCounters() {
        // TODO: unmap the memory.
    }
    SharedCounters(const SharedCounters&) = delete;
    SharedCounters& operator=(const SharedCounters&) = delete;

    // Adds `events` to the counter of `letter`; safe from several processes at once.
    void add(workbook::Letter letter, std::uint64_t events) {
        // TODO: add without losing counts when several processes add at the same moment. A plain
        //       `+=` is a read, an add and a write: two processes may read the same old value.
        exercises::todo("exercise 02: SharedCounters::add()", letter, events);
    }

    // The three totals (read once every worker has been waited for).
    workbook::LetterTypes totals() const {
        // TODO: read the three counters.
        exercises::todo("exercise 02: SharedCounters::totals()");
    }

private:
    std::uint64_t* counts_ = nullptr;  // TODO: three counters in shared memory
};

// Starts `workers` child processes at once, child i calling work(i) and exiting with status 0 (1 if
// work threw), then waits for all of them. Throws std::runtime_error naming the first worker that
// could not start or did not exit with status 0 ("worker 2 exited with status 1", "worker 1 was
// killed by signal 9"); every child started is waited for first, so none is left a zombie.
inline void run_workers(int workers, const std::function<void(int worker)>& work) {
    // TODO: fork `workers` children before waiting for any (they must run at the same time); in a
    //       child, call work(i) and leave with _exit (never return into the parent's code); then
    //       waitpid every child and report the first that did not end well.
    exercises::todo("exercise 02: run_workers() must start every worker, then wait for them all", workers, work);
}

// Counts `book` with `workers` processes at once (std::invalid_argument if workers < 1), worker i
// counting the i-th of `workers` slices of nearly equal size, into one SharedCounters.
inline workbook::LetterTypes count_with_workers(workbook::Events book, int workers) {
    // TODO: one SharedCounters, run_workers() with a work function that counts its slice, then the
    //       totals.
    exercises::todo("exercise 02: count_with_workers() must count the book with run_workers()", book, workers);
}

}  // namespace exercise02
