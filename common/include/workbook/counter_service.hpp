// The counter service: a slow counter behind a Unix socket, speaking the part of Redis's protocol
// (RESP) the workbook uses, so the same client talks to it and to a real Redis.
//
// It is the talk's "let us pretend that Counter is computationally expensive or uses slow resources
// like network, DB": every INCR (and INCRBY) is answered `wait` after it arrived, by a timer, while the service
// keeps serving every other request and connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace workbook {

/// A RESP reply of one of the kinds the counter service sends.
struct Reply {
    /// RESP's reply types: `+status`, `-error`, `:integer`, `$bulk`, `$-1` (nil).
    enum class Kind { status, error, integer, bulk, nil };
    Kind kind = Kind::nil;  ///< which of them this reply is
    std::string text;          ///< status, error and bulk replies
    std::int64_t integer = 0;  ///< integer replies
};

/// Appends `reply` to `out` in RESP (`+PONG\r\n`, `-ERR ...\r\n`, `:N\r\n`, `$N\r\n...\r\n`, `$-1\r\n`).
void append_resp(std::string& out, const Reply& reply);

/// The counters and the commands on them, without any I/O: PING [message], INCR key, INCRBY key
/// N, GET key, DEL key [key ...]. Anything else gets an error reply, as Redis answers it.
class CounterStore {
public:
    /// Runs one request (the command's name, then its arguments; the name in any case).
    Reply execute(std::span<const std::string_view> request);

private:
    std::unordered_map<std::string, std::int64_t> counts_;
};

/// The counter service failed to start or to run (a system call failed: the message says which).
class ServiceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The service: listens on a Unix socket and serves any number of connections from one thread
/// with epoll. Requests may be pipelined; each connection's replies come back in the order of its
/// requests. An INCR is counted when it arrives and answered `wait` later (one timerfd, armed for
/// the earliest due reply); the other commands are answered at once, unless a connection's earlier
/// INCR is still due, since replies keep their order.
class CounterService {
public:
    /// Binds and listens on `socket_path`. Throws ServiceError if the path exists (the service
    /// never removes a file it did not create), is too long for a Unix socket, or cannot be bound.
    CounterService(std::string socket_path, std::chrono::microseconds wait);
    /// Closes every connection and removes the socket file, if it is still the one it created.
    ~CounterService();
    CounterService(const CounterService&) = delete;
    CounterService& operator=(const CounterService&) = delete;

    /// Serves until `stop_fd` becomes readable (an eventfd, a signalfd, a pipe); throws
    /// ServiceError if a system call fails. Sets the calling thread's timer slack to 1 ns, so the
    /// timer fires when asked, not up to 50 us later.
    void run(int stop_fd);

    /// Where it listens.
    const std::string& socket_path() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace workbook
