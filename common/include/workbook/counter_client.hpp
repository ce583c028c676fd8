// A blocking client for the counter service and for Redis, over a Unix socket (hiredis's
// synchronous API). Every failure is a CounterError whose message names the server and says what
// happened ("the counter service closed the connection"); no call waits longer than its timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct redisContext;

namespace workbook {

/// A counter server could not be reached, stopped answering, or refused a request.
class CounterError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// How long a CounterClient waits, at the most, before it reports the server as unreachable.
struct ClientTimeouts {
    std::chrono::milliseconds connect{2000};  ///< the deadline to connect
    std::chrono::milliseconds reply{5000};    ///< the longest wait for one reply (or to send a request)
};

/// One connection to the counter service or to Redis; not shared between threads or processes.
class CounterClient {
public:
    /// Connects to the server listening on `socket_path`; `server_name` ("the counter service",
    /// "Redis") starts every error message.
    CounterClient(std::string socket_path, std::string server_name, ClientTimeouts timeouts = {});
    ~CounterClient();
    CounterClient(CounterClient&& other) noexcept;             ///< takes over the connection
    CounterClient& operator=(CounterClient&& other) noexcept;  ///< closes its own, takes over the other's
    CounterClient(const CounterClient&) = delete;
    CounterClient& operator=(const CounterClient&) = delete;

    /// Asks the server for PONG: proves it answers.
    void ping();
    /// The count after adding one.
    std::int64_t incr(std::string_view key);
    /// The count, or nothing if the key does not exist.
    std::optional<std::int64_t> get(std::string_view key);
    /// Removes the key; true if it existed.
    bool del(std::string_view key);

    /// Pipelining: queue an INCR without waiting for its reply...
    void send_incr(std::string_view key);
    /// ...then take the replies of the queued requests, in order (sends what is queued first).
    std::int64_t receive_integer();
    /// Requests queued or sent whose replies have not been taken yet. The one-call commands above
    /// need none in flight.
    std::size_t in_flight() const { return in_flight_; }

    const std::string& server_name() const { return name_; }  ///< as given, e.g. "Redis"
    const std::string& socket_path() const { return path_; }  ///< where it connected

private:
    void* call(std::string_view what, std::initializer_list<std::string_view> words);
    void* next_reply(std::string_view what);
    [[noreturn]] void broken(std::string_view what);
    [[noreturn]] void unexpected(std::string_view what, void* reply);

    std::string path_;
    std::string name_;
    ClientTimeouts timeouts_;
    redisContext* context_ = nullptr;
    std::size_t in_flight_ = 0;
    std::string broken_;  // set once the connection failed: every later call throws this
};

}  // namespace workbook
