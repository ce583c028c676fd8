// Exercise 03: a worker that answers back (reference solution).
//
// Chapter 03's workers only listen: they count into shared memory, and the parent reads it after
// KILL. Here the worker answers on a second pipe: a QUERY gets its count so far, KILL its final count.
// No shared memory at all, and the parent can ask how far the worker has got at any time, which is
// what chapter 05's generator does by simply being called.
#pragma once

#include "workbook/letter_types.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace exercise03 {

// --- Given: the messages and two helpers (as in chapter 03).

// What travels on the request pipe: a header, then `size` event bytes for kind `events`.
struct Header {
    enum Kind : std::uint32_t { events = 1, query = 2, kill = 3 };
    Kind kind;
    std::uint32_t size;
};

// Reads exactly `size` bytes; false at end-of-file before them. Throws on a read error.
inline bool read_exactly(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<unsigned char*>(data);
    while (size > 0) {
        ssize_t n = ::read(fd, bytes, size);
        if (n > 0) bytes += n, size -= static_cast<std::size_t>(n);
        else if (n == 0) return false;
        else if (errno != EINTR) throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
    }
    return true;
}

// Writes all of `data`. Throws on a write error (EPIPE: nobody reads the pipe any more).
inline void write_all(int fd, const void* data, std::size_t size) {
    auto* bytes = static_cast<const unsigned char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, bytes, size);
        if (n >= 0) bytes += n, size -= static_cast<std::size_t>(n);
        else if (errno != EINTR) throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
    }
}

// --- The exercise.

// The worker's loop: reads messages from `requests` and counts the events; answers each QUERY with
// the count so far and KILL with the final count (a std::uint64_t written to `replies`), then
// returns. Reads nothing after KILL. Throws std::runtime_error when the requests end before KILL or
// a header has an unknown kind.
inline void serve_counter(int requests, int replies) {
    std::uint64_t count = 0;
    unsigned char events[64 * 1024];
    for (;;) {
        Header header;
        if (!read_exactly(requests, &header, sizeof header)) throw std::runtime_error("requests ended before KILL");
        switch (header.kind) {
            case Header::events:
                // Reading the events is what a real counter would do with them; here only their number counts.
                for (std::size_t left = header.size; left > 0;) {
                    std::size_t chunk = std::min(left, sizeof events);
                    if (!read_exactly(requests, events, chunk)) throw std::runtime_error("requests ended inside a message");
                    left -= chunk;
                }
                count += header.size;
                break;
            case Header::query: write_all(replies, &count, sizeof count); break;
            case Header::kill: write_all(replies, &count, sizeof count); return;
            default: throw std::runtime_error("unknown message kind " + std::to_string(header.kind));
        }
    }
}

// The parent's side: a child process running serve_counter, and the two pipes to talk to it.
class Worker {
public:
    // Starts the worker process. Throws std::runtime_error if a pipe or the fork fails.
    Worker() {
        int requests[2], replies[2];
        if (::pipe(requests) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
        if (::pipe(replies) != 0) {
            int error = errno;
            ::close(requests[0]), ::close(requests[1]);
            throw std::runtime_error(std::string("pipe failed: ") + std::strerror(error));
        }
        std::fflush(nullptr);  // buffered output would be copied into the child, and could be written twice
        pid_ = ::fork();
        if (pid_ == 0) {
            // The child keeps only its own ends: if it kept the write end of its requests, it would
            // never see them end when the parent goes away.
            ::close(requests[1]), ::close(replies[0]);
            int status = 0;
            try {
                serve_counter(requests[0], replies[1]);
            } catch (...) {
                status = 1;
            }
            ::_exit(status);
        }
        int error = errno;
        ::close(requests[0]), ::close(replies[1]);  // and the parent keeps only its own
        requests_ = requests[1], replies_ = replies[0];
        if (pid_ < 0) {
            close_pipes();
            throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
        }
    }

    // Kills the worker if it is still running, and reaps it.
    ~Worker() {
        close_pipes();
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
        }
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Sends `batch` as one message (nothing for an empty batch).
    void put(workbook::Events batch) {
        if (batch.empty()) return;
        const Header header{Header::events, static_cast<std::uint32_t>(batch.size())};
        write_all(requests_, &header, sizeof header);
        write_all(requests_, batch.data(), batch.size());
    }

    // Asks the worker for its count so far and waits for the answer (a round trip).
    std::uint64_t count() {
        write_all(requests_, &query_, sizeof query_);
        return answer();
    }

    // Sends KILL, reads the final count and reaps the worker. Throws std::runtime_error if the worker
    // did not answer or did not exit with status 0.
    std::uint64_t kill() {
        write_all(requests_, &kill_, sizeof kill_);
        std::uint64_t count = answer();
        close_pipes();
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
        pid_ = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("the worker did not end well");
        return count;
    }

    pid_t pid() const noexcept { return pid_; }

private:
    std::uint64_t answer() {
        std::uint64_t count = 0;
        if (!read_exactly(replies_, &count, sizeof count)) throw std::runtime_error("the worker did not answer");
        return count;
    }
    void close_pipes() noexcept {
        if (requests_ >= 0) ::close(std::exchange(requests_, -1));
        if (replies_ >= 0) ::close(std::exchange(replies_, -1));
    }

    static constexpr Header query_{Header::query, 0};
    static constexpr Header kill_{Header::kill, 0};
    pid_t pid_ = -1;
    int requests_ = -1;  // write end of the worker's requests
    int replies_ = -1;   // read end of its replies
};

}  // namespace exercise03
