// Exercise 02: worker processes that run at the same time (reference solution).
//
// Chapter 02 starts a process per event and waits for each before the next, so no two children ever
// touch the shared counters at once. Here a few workers run together, each on its slice of the book,
// and update the same shared counters concurrently: a plain `+=` would lose counts, so the counters
// are lock-free atomics (a std::mutex would not do: its state is private to each process).
#pragma once

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
        void* memory = ::mmap(nullptr, sizeof(Counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) throw std::runtime_error(std::string("cannot map shared memory: ") + std::strerror(errno));
        counts_ = new (memory) Counts{};
    }
    ~SharedCounters() { ::munmap(counts_, sizeof(Counts)); }
    SharedCounters(const SharedCounters&) = delete;
    SharedCounters& operator=(const SharedCounters&) = delete;

    // Adds `events` to the counter of `letter`; safe from several processes at once.
    void add(workbook::Letter letter, std::uint64_t events) {
        // A read-modify-write in one instruction (lock xadd): two processes cannot both read the
        // old value. Only a lock-free atomic works across processes, hence the static_assert.
        std::atomic_ref<std::uint64_t>(counts_->count[static_cast<int>(letter)]).fetch_add(events, std::memory_order_relaxed);
    }

    // The three totals (read once every worker has been waited for).
    workbook::LetterTypes totals() const {
        auto load = [&](workbook::Letter letter) {
            return std::atomic_ref<std::uint64_t>(counts_->count[static_cast<int>(letter)]).load();
        };
        return {load(workbook::Letter::vowel), load(workbook::Letter::consonant), load(workbook::Letter::other)};
    }

private:
    static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
    struct Counts {
        alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t count[3];
    };
    Counts* counts_;
};

namespace detail {
inline std::string describe_end(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "ended with wait status " + std::to_string(status);
}
}  // namespace detail

// Starts `workers` child processes at once, child i calling work(i) and exiting with status 0 (1 if
// work threw), then waits for all of them. Throws std::runtime_error naming the first worker that
// could not start or did not exit with status 0; every child started is waited for first.
inline void run_workers(int workers, const std::function<void(int worker)>& work) {
    std::vector<pid_t> children;
    std::string failure;
    // Buffered output would be copied into every child; flushed now, it cannot be written twice.
    std::fflush(nullptr);
    for (int i = 0; i < workers; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            int status = 0;
            try {
                work(i);
            } catch (...) {
                status = 1;
            }
            ::_exit(status);  // not exit(): the child must not run the parent's atexit handlers
        }
        if (pid < 0) {
            failure = "cannot start worker " + std::to_string(i) + ": " + std::strerror(errno);
            break;  // the workers already started are still waited for below
        }
        children.push_back(pid);
    }
    for (std::size_t i = 0; i < children.size(); ++i) {
        int status = 0;
        while (::waitpid(children[i], &status, 0) < 0) {
            if (errno != EINTR) {
                status = -1;
                break;
            }
        }
        if (failure.empty() && status == -1) failure = "cannot wait for worker " + std::to_string(i);
        else if (failure.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            failure = "worker " + std::to_string(i) + " " + detail::describe_end(status);
    }
    if (!failure.empty()) throw std::runtime_error(failure);
}

// Counts `book` with `workers` processes at once, worker i counting the i-th of `workers` slices of
// nearly equal size, into one SharedCounters.
inline workbook::LetterTypes count_with_workers(workbook::Events book, int workers) {
    if (workers < 1) throw std::invalid_argument("count_with_workers needs at least one worker");
    SharedCounters shared;
    run_workers(workers, [&](int worker) {
        const std::size_t n = static_cast<std::size_t>(workers);
        const std::size_t i = static_cast<std::size_t>(worker);
        const std::size_t begin = book.size() * i / n, end = book.size() * (i + 1) / n;
        // Count the slice privately, then add once per class: three atomic adds per worker instead
        // of one per event, so the workers do not fight over the counters' cache line.
        workbook::LetterTypes mine = workbook::reference_count(book.subspan(begin, end - begin));
        shared.add(workbook::Letter::vowel, mine.vowels);
        shared.add(workbook::Letter::consonant, mine.consonants);
        shared.add(workbook::Letter::other, mine.others);
    });
    return shared.totals();
}

}  // namespace exercise02
