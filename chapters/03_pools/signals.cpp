// Chapter 03's signal handling: Ctrl-C reaps every worker first, and SIGPIPE never kills the parent.
//
// Around either pool: SIGINT or SIGTERM reaps every worker before the parent dies of that signal, and
// a write to a dead worker's pipe fails with EPIPE instead of killing the parent without a word.
#include "pipes.hpp"
#include "pools.hpp"

#include <algorithm>
#include <csignal>
#include <ctime>
#include <pthread.h>

namespace workbook::chapter03 {
namespace {

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

}  // namespace

LetterTypes count_with_pool(Events book, const PoolOptions& options) {
    processes::InterruptGuard interrupt;
    SigpipeBlocked sigpipe;
    // A message never holds more than the whole book, and its size must fit the header's 32 bits.
    PoolOptions clamped = options;
    clamped.batch = std::clamp<std::size_t>(options.batch, 1, std::clamp<std::size_t>(book.size(), 1, std::size_t{1} << 30));
    try {
        LetterTypes counts = options.pool == Pool::per_class ? count_with_worker_processes(book, clamped)
                                                             : count_with_shared_pool(book, clamped);
        if (processes::InterruptGuard::caught() != 0) throw Interrupted{};
        return counts;
    } catch (const Interrupted&) {
        interrupt.die_of_caught_signal();  // every worker is reaped by now
    }
}

LetterTypes count_with_pool(Events book, Pool pool, const Settings& settings) {
    PoolOptions options;
    options.pool = pool;
    options.batch = settings.batch == 0 ? 1 : settings.batch;
    options.progress = settings.progress;
    options.counters = settings.counters;
    return count_with_pool(book, options);
}

}  // namespace workbook::chapter03
