// Private counter servers: the counter service or a redis-server, started for one run and gone
// with it, and key namespaces for a Redis shared with others.
//
// A server runs in its own process group under a keeper process. The keeper holds the read end of
// a pipe whose write end only the PrivateServer holds: when the PrivateServer is destroyed, or its
// process dies in any way (even by SIGKILL), the pipe closes and the keeper stops the server
// (SIGTERM, then SIGKILL after a deadline), reaps it, removes the server's private directory
// (mkdtemp) with its socket, and exits. The server itself has PR_SET_PDEATHSIG, so it dies if the
// keeper does. The PrivateServer's destructor waits for the keeper: nothing is left behind.
#pragma once

#include "workbook/counter_client.hpp"

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace workbook {

/// A private server could not be started (the message says why, and what to install).
class ServerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// How long a PrivateServer waits for its server to start and to stop.
struct ServerDeadlines {
    std::chrono::milliseconds start{10000};  ///< until the server accepts connections
    std::chrono::milliseconds stop{3000};    ///< from SIGTERM to SIGKILL
};

/// A counter service or redis-server of the caller's own, stopped (with nothing left behind) when
/// the object is destroyed or its process dies.
class PrivateServer {
public:
    /// Starts `workbook-counter-service --wait US` (the program at `program`; empty: the one next
    /// to the running program, as the build puts them all in bin/) and waits for its `ready`.
    static PrivateServer counter_service(std::chrono::microseconds wait, std::string program = {}, ServerDeadlines deadlines = {});
    /// Starts Debian's redis-server on a Unix socket only (no TCP port, no persistence) and waits
    /// until it answers PING. Throws ServerError naming the package if redis-server is missing.
    /// `program`: a path, or a name looked up in PATH (and /usr/bin, /usr/sbin).
    static PrivateServer redis(ServerDeadlines deadlines = {}, std::string program = "redis-server");

    /// Stops the server and waits until it is gone with its directory (stop()).
    ~PrivateServer();
    PrivateServer(PrivateServer&& other) noexcept;  ///< takes over the server; `other` owns none
    PrivateServer& operator=(PrivateServer&&) = delete;
    PrivateServer(const PrivateServer&) = delete;
    PrivateServer& operator=(const PrivateServer&) = delete;

    /// Stops the server, reaps it and its keeper, removes its directory. Idempotent.
    void stop() noexcept;

    /// A new client of this server, its errors naming it.
    CounterClient connect(ClientTimeouts timeouts = {}) const;

    const std::string& name() const { return name_; }           ///< "the counter service" or "Redis"
    const std::string& socket_path() const { return socket_; }  ///< in directory()
    const std::string& directory() const { return directory_; }  ///< the private directory (mkdtemp)
    pid_t server_pid() const { return server_pid_; }             ///< the server's process
    pid_t keeper_pid() const { return keeper_pid_; }             ///< the process that stops it

private:
    PrivateServer() = default;
    void start(const std::string& program, const std::vector<std::string>& args, bool says_ready, ServerDeadlines deadlines);

    std::string name_, directory_, socket_, log_;
    pid_t keeper_pid_ = -1, server_pid_ = -1;
    int lifeline_ = -1;      // write end: closing it tells the keeper to stop the server
    int keeper_alive_ = -1;  // read end: hangs up when the keeper has exited
    ServerDeadlines deadlines_;
};

/// The program `workbook-counter-service` next to the running program.
std::string counter_service_program();

/// Keys of one run in a Redis shared with others: each key is prefixed with a prefix unique to the
/// run, and every key handed out is deleted when the namespace is destroyed.
class KeyNamespace {
public:
    /// The client must outlive the namespace.
    explicit KeyNamespace(CounterClient& client, std::string prefix = unique_prefix());
    /// Deletes the keys handed out; a server that is gone is not an error here.
    ~KeyNamespace();
    KeyNamespace(const KeyNamespace&) = delete;
    KeyNamespace& operator=(const KeyNamespace&) = delete;

    /// The key for `name` in this namespace (prefix + name).
    std::string key(std::string_view name);
    const std::string& prefix() const { return prefix_; }  ///< what every key starts with

    /// "workbook:HOST:PID:RANDOM:", different for every call.
    static std::string unique_prefix();

private:
    CounterClient& client_;
    std::string prefix_;
    std::vector<std::string> keys_;
};

}  // namespace workbook
