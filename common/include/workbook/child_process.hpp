/// \file
/// \brief workbook::processes: what chapters 02 and 03 share for child processes.
///
/// A counter in memory shared with children (the talk's `multiprocessing.Value`), reaping a child
/// and saying how it ended, and catching Ctrl-C so that the parent reaps its children before it
/// dies. Chapter 02 starts a child per event with them; chapter 03 starts a few workers.
// The chapter pages show parts of this header between `// [tag]` markers: plain comments, since
// Doxygen would read `//!` markers as documentation.
#pragma once

#include "workbook/chapter.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/// Child processes: shared counters, reaping, and the guard against Ctrl-C (chapters 02 and 03).
namespace workbook::processes {

// A counter lives in memory shared with child processes and is updated by them through
// std::atomic_ref. Only a lock-free atomic works across processes: a lock-based one would take a lock
// in a table private to each process.
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);

// [shared_counters]
/// The talk's three `multiprocessing.Value('i', 0)`: three integers in one anonymous shared mapping,
/// which a forked child shares with its parent instead of getting a copy-on-write copy.
class SharedCounters {
public:
    /// Maps the three counters, at zero; throws ChapterError when the mapping fails.
    SharedCounters() {
        void* memory = ::mmap(nullptr, sizeof(Counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) throw ChapterError(std::string("cannot map shared memory: ") + std::strerror(errno));
        counts_ = new (memory) Counts{};
    }
    /// Unmaps them.
    ~SharedCounters() { ::munmap(counts_, sizeof(Counts)); }
    SharedCounters(const SharedCounters&) = delete;
    SharedCounters& operator=(const SharedCounters&) = delete;

    /// The counter of `letter`'s class.
    std::uint64_t& operator[](Letter letter) noexcept { return counts_->count[static_cast<int>(letter)]; }

private:
    struct Counts {
        alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t count[3];
    };
    Counts* counts_;
};

/// The talk's `MCount`: a named counter whose count is one of the shared integers. Any process that
/// calls it counts into the same integer.
struct MCount {
    std::string_view name;  ///< what it counts, e.g. `vowel`
    std::uint64_t* count;   ///< one of SharedCounters' integers

    /// Counts one event, as `self.count.value += 1` does.
    void operator()(unsigned char /*event*/) const noexcept { add(1); }
    /// Counts `events` events at once.
    void add(std::uint64_t events) const noexcept {
        std::atomic_ref<std::uint64_t>(*count).fetch_add(events, std::memory_order_relaxed);
    }
    /// The count so far, as every process sees it.
    std::uint64_t value() const noexcept { return std::atomic_ref<std::uint64_t>(*count).load(); }
};
// [shared_counters]

/// What failed children said, for their parent's error message: a child's own words ("the counter
/// service closed the connection (during INCR)") cannot pass through its exit status. Slots in a
/// mapping shared with every child forked after the first call of shared(), one message per child,
/// each readable once by the parent after it has reaped that child. A child that finds its slot
/// taken says nothing, and the parent falls back on the exit status.
class FailureNotes {
public:
    /// The process's notes, mapped on first use: call it in the parent before forking (throws
    /// ChapterError when the mapping fails).
    static FailureNotes& shared() {
        static FailureNotes notes;
        return notes;
    }
    /// In a child: notes `what` (cut to fit) as this process's failure. Allocates nothing.
    void say(std::string_view what) noexcept {
        pid_t self = ::getpid();
        Note& note = notes_[static_cast<std::size_t>(self) % slots];
        pid_t free = 0;
        if (!std::atomic_ref<pid_t>(note.writer).compare_exchange_strong(free, -self)) return;
        std::size_t size = std::min(what.size(), sizeof note.text - 1);
        std::memcpy(note.text, what.data(), size);
        note.text[size] = '\0';
        std::atomic_ref<pid_t>(note.writer).store(self, std::memory_order_release);
    }
    /// In the parent, once `child` is reaped: what it said, or "" (and its slot is free again).
    std::string said_by(pid_t child) noexcept {
        Note& note = notes_[static_cast<std::size_t>(child) % slots];
        if (std::atomic_ref<pid_t>(note.writer).load(std::memory_order_acquire) != child) return {};
        std::string what = note.text;
        std::atomic_ref<pid_t>(note.writer).store(0, std::memory_order_release);
        return what;
    }
    /// Frees every slot, before a run.
    void clear() noexcept {
        for (Note& note : std::span(notes_, slots)) std::atomic_ref<pid_t>(note.writer).store(0);
    }

private:
    static constexpr std::size_t slots = 64;
    struct Note {
        alignas(std::atomic_ref<pid_t>::required_alignment) pid_t writer;  // 0 free, -pid being written, pid written
        char text[252];
    };
    FailureNotes() {
        void* memory = ::mmap(nullptr, sizeof(Note) * slots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) throw ChapterError(std::string("cannot map shared memory: ") + std::strerror(errno));
        notes_ = new (memory) Note[slots]{};
    }
    Note* notes_;
};

/// Flushes every stdio stream, as multiprocessing does before it forks. A child gets a copy of the
/// parent's unwritten buffers, and a child that flushed them (under ThreadSanitizer even `_exit`
/// does) would print the parent's pending output a second time.
inline void flush_before_fork() { std::fflush(nullptr); }

/// Waits for the child `pid` to end and returns its wait status. A signal that interrupts the wait
/// does not end it: the child must be reaped, or it stays a zombie. Throws ChapterError when
/// `waitpid` fails otherwise.
inline int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw ChapterError("cannot wait for child process " + std::to_string(pid) + ": " + std::strerror(errno));
    }
    return status;
}

/// How a child ended, for error messages: "exited with status 3", "was killed by signal 9 (Killed)".
inline std::string describe_end(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
    }
    return "ended with wait status " + std::to_string(status);
}

/// True when the wait status says the child exited with status 0.
inline bool ended_well(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// [interrupt_guard]
/// Ctrl-C sends SIGINT to the whole foreground process group: the parent *and* its children. If the
/// parent simply died, a child it had not reaped would be left to init (an orphan, then a zombie until
/// init reaps it, which a container's init may never do). So while children run, SIGINT and SIGTERM
/// only set a flag; the parent notices it, ends and reaps its children, then dies of the same signal
/// with the old disposition restored, so its own parent (a shell) sees "killed by SIGINT" as usual.
class InterruptGuard {
public:
    /// Installs the flag-setting handler for SIGINT and SIGTERM, unless a signal is ignored.
    InterruptGuard() {
        caught_ = 0;
        struct sigaction action {};
        action.sa_handler = [](int signal) { caught_ = signal; };
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART: a blocked waitpid or write returns EINTR and we look
        for (int i = 0; i < 2; ++i) {
            ::sigaction(signals_[i], nullptr, &old_[i]);
            // A signal the user chose to ignore (nohup, a background job) stays ignored.
            installed_[i] = old_[i].sa_handler != SIG_IGN && ::sigaction(signals_[i], &action, nullptr) == 0;
        }
    }
    /// Restores the old dispositions.
    ~InterruptGuard() { restore(); }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    /// The signal caught since construction, or 0.
    static int caught() noexcept { return caught_; }

    /// Call once every child is reaped: restores the old dispositions and raises the caught signal
    /// again, which normally ends the process. If a handler of the caller's returns instead, the
    /// run is over all the same: it throws ChapterError.
    [[noreturn]] void die_of_caught_signal() {
        int signal = caught_;
        restore();
        ::raise(signal);
        throw ChapterError(std::string("interrupted by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) + ")");
    }

private:
    void restore() noexcept {
        for (int i = 0; i < 2; ++i) {
            if (installed_[i]) ::sigaction(signals_[i], &old_[i], nullptr);
            installed_[i] = false;
        }
    }

    static inline volatile std::sig_atomic_t caught_ = 0;
    static constexpr int signals_[2] = {SIGINT, SIGTERM};
    struct sigaction old_[2] {};
    bool installed_[2] = {false, false};
};
// [interrupt_guard]

}  // namespace workbook::processes
