// Exercise 03: a worker that answers back.
//
// Chapter 03's workers only listen: they count into shared memory, and the parent reads it after
// KILL. Here the worker answers on a second pipe: a QUERY gets its count so far, KILL its final count.
// No shared memory at all, and the parent can ask how far the worker has got at any time, which is
// what chapter 05's generator does by simply being called.
#pragma once

#include "todo.hpp"
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
    // TODO: loop: read a Header; for `events`, read (and count) its `size` bytes; for `query`,
    //       write the count; for `kill`, write the count and return.
    exercises::todo("exercise 03: serve_counter() must count events and answer QUERY and KILL", requests, replies);
}

// The parent's side: a child process running serve_counter, and the two pipes to talk to it.
class Worker {
public:
    // Starts the worker process. Throws std::runtime_error if a pipe or the fork fails.
    Worker() {
        // TODO: two pipes (requests, replies), then fork. The child keeps only its own ends, runs
        //       serve_counter and leaves with _exit (status 1 if it threw); the parent keeps only
        //       the other two ends.
        exercises::todo("exercise 03: Worker() must start a worker process with two pipes", pid_, requests_, replies_);
    }

    // Kills the worker if it is still running, and reaps it.
    ~Worker() {
        // TODO: close the pipes; if the worker was not reaped by kill(), kill and reap it.
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Sends `batch` as one message (nothing for an empty batch).
    void put(workbook::Events batch) {
        // TODO: a Header{Header::events, size}, then the events.
        exercises::todo("exercise 03: Worker::put()", batch);
    }

    // Asks the worker for its count so far and waits for the answer (a round trip).
    std::uint64_t count() {
        // TODO: a QUERY header, then read the answer.
        exercises::todo("exercise 03: Worker::count()");
    }

    // Sends KILL, reads the final count and reaps the worker. Throws std::runtime_error if the worker
    // did not answer or did not exit with status 0.
    std::uint64_t kill() {
        // TODO: a KILL header, read the answer, close the pipes, waitpid.
        exercises::todo("exercise 03: Worker::kill()");
    }

    pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_ = -1;
    int requests_ = -1;  // TODO: the write end of the worker's requests
    int replies_ = -1;   // TODO: the read end of its replies
};

}  // namespace exercise03
