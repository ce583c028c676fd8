// Chapter 03's pipes made safe: a dead worker is reported by name, never waited for, never left behind.
//
// Whole reads and writes, a worker that keeps only its own pipe, a write to a dead worker's pipe that
// fails instead of hanging, a worker's counter calls that end it when they fail, and ProcTuple's
// join, close, died and destructor.
#include "pipes.hpp"

#include "pools.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace workbook::chapter03 {

// A copy of another worker's pipe left open in a worker would keep that pipe alive after its own
// worker died, and writing to it would block forever instead of failing with EPIPE.
void keep_only(int keep) {
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(std::max(keep + 1, 3)), ~0U, 0);
}

bool read_exactly(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<unsigned char*>(data);
    while (size > 0) {
        ssize_t n = ::read(fd, bytes, size);
        if (n > 0) bytes += n, size -= static_cast<std::size_t>(n);
        else if (n == 0 || errno != EINTR) return false;
    }
    return true;
}

// A write to a pipe whose reader is gone fails with EPIPE, not SIGPIPE, while count_with_pool()
// blocks SIGPIPE (signals.cpp); a write blocked on a full pipe returns EINTR when a signal arrives.
bool write_all(int fd, const void* data, std::size_t size) {
    auto* bytes = static_cast<const unsigned char*>(data);
    if (processes::InterruptGuard::caught() != 0) throw Interrupted{};
    while (size > 0) {
        ssize_t n = ::write(fd, bytes, size);
        if (n >= 0) bytes += n, size -= static_cast<std::size_t>(n);
        else if (errno == EPIPE) return false;
        else if (errno != EINTR) throw ChapterError(std::string("cannot write to a worker's pipe: ") + std::strerror(errno));
        if (processes::InterruptGuard::caught() != 0) throw Interrupted{};
    }
    return true;
}

CounterLink worker_link(const CounterBackend* counters) {
    try {
        return counters != nullptr ? counters->link() : CounterLink();
    } catch (const ChapterError& failure) {
        processes::FailureNotes::shared().say(failure.what());  // for the parent's message
        ::_exit(counter_failed);
    }
}

void call_counter(CounterLink& link, std::string_view counter, std::size_t events) {
    try {
        for (std::size_t i = 0; i < events && link.active(); ++i) link.call(counter);
    } catch (const ChapterError& failure) {
        processes::FailureNotes::shared().say(failure.what());
        ::_exit(counter_failed);
    }
}

std::string describe_worker_end(pid_t pid, int status, const CounterBackend* counters) {
    std::string text = processes::describe_end(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == counter_failed && counters != nullptr) {
        text += " (its call to " + counters->endpoint().server_name + " failed)";
        if (std::string said = processes::FailureNotes::shared().said_by(pid); !said.empty()) text += ": " + said;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == queue_closed) text += " (its pipe closed before KILL)";
    if (WIFEXITED(status) && WEXITSTATUS(status) == bad_message) text += " (a message it did not understand)";
    return text;
}

void kill_and_reap(pid_t pid) noexcept {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
}

void ProcTuple::join() {
    close();
    pid_t pid = std::exchange(pid_, -1);
    int status = processes::reap(pid);
    if (!processes::ended_well(status))
        throw ChapterError("worker '" + std::string(counter_.name) + "' (pid " + std::to_string(pid) + ") failed: it " +
                           describe_worker_end(pid, status, counters_));
}

void ProcTuple::close() {
    if (queue_ >= 0) ::close(queue_);
    queue_ = -1;
}

// The pipe has no reader: the worker is dead, or closed it and is about to be.
void ProcTuple::died() {
    pid_t pid = std::exchange(pid_, -1);
    ::kill(pid, SIGKILL);  // does not change how a worker already on its way out ended
    int status = processes::reap(pid);
    throw ChapterError("worker '" + std::string(counter_.name) + "' (pid " + std::to_string(pid) +
                       ") died during the run: it " + describe_worker_end(pid, status, counters_));
}

ProcTuple::~ProcTuple() {
    close();
    if (pid_ > 0) kill_and_reap(pid_);
}

}  // namespace workbook::chapter03
