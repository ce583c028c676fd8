/// \file
/// \brief The counter kinds (`--counter local|service|redis`, `--wait`, `--work`,
/// `--redis`): the talk's "pretend that Counter is computationally expensive or uses slow
/// resources like network, DB", made real for every chapter.
///
/// Three pieces. workbook::CounterSettings is what the command line asked for, checked by
/// CounterSettings::validate(). A workbook::CounterBackend, one per chapter process, made by the
/// runner before the runs, starts the private server the kind needs (or knows the user's Redis),
/// and reads the server's totals back after each run. A workbook::CounterLink, one per thread or
/// process of a chapter, is what the chapter calls once per event: CounterLink::call() burns the
/// `--work` and sends one `INCR` to the counter of the event's class, waiting for the reply.
/// With the default kind, `local`, and no work, call() does nothing, and the chapter's own
/// `++count` is all there is.
#pragma once

#include "workbook/counter_client.hpp"
#include "workbook/letter_types.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace workbook {

class PrivateServer;
class KeyNamespace;

/// Where a chapter's counter calls go (`--counter KIND`).
enum class CounterKind : std::uint8_t {
    local,    ///< in the chapter's own memory: `count += 1`, as in the talk (the default)
    service,  ///< an `INCR` to the workbook's counter service, a private one answering after `--wait`
    redis,    ///< an `INCR` on a real Redis: a private redis-server, or the user's (`--redis`)
};

/// The kind's name as `--counter` takes it: `local`, `service`, `redis`.
///
/// \code
/// assert(workbook::counter_kind_name(workbook::CounterKind::service) == "service");
/// \endcode
std::string_view counter_kind_name(CounterKind kind) noexcept;

/// The kind `--counter name` means, or nothing for a name that is none of them.
///
/// \code
/// assert(workbook::counter_kind_named("redis") == workbook::CounterKind::redis);
/// assert(!workbook::counter_kind_named("Redis"));
/// \endcode
std::optional<CounterKind> counter_kind_named(std::string_view name) noexcept;

/// The name of the counter of `letter`'s class, as the talk names its counters: `vowel`,
/// `consonant`, `other`.
///
/// \code
/// assert(workbook::counter_name(workbook::Letter::consonant) == "consonant");
/// \endcode
std::string_view counter_name(Letter letter) noexcept;

/// The class whose counter is named `name` (`vowel`, `consonant`, `other`), or nothing.
///
/// \code
/// assert(workbook::letter_of_counter("other") == workbook::Letter::other);
/// \endcode
std::optional<Letter> letter_of_counter(std::string_view name) noexcept;

/// The longest a counter call waits for its reply, given the service's wait: one second, or ten
/// times the wait when that is longer. A server that has died or stopped answering is reported
/// within it.
///
/// \code
/// using namespace std::chrono_literals;
/// assert(workbook::reply_timeout_for(100us) == 1000ms);
/// assert(workbook::reply_timeout_for(500ms) == 5000ms);
/// \endcode
std::chrono::milliseconds reply_timeout_for(std::chrono::microseconds wait) noexcept;

/// What the command line asked of the counters (declare_options() binds `--counter`, `--wait`,
/// `--work` and `--redis` to it). Fill it, then validate().
///
/// \code
/// workbook::CounterSettings settings;
/// settings.kind = workbook::CounterKind::service;
/// settings.wait_us = 100;
/// settings.validate();  // fine: --wait goes with --counter service
/// std::cout << settings.describe() << '\n';  // the counter service (wait 100 us)
/// \endcode
struct CounterSettings {
    /// The most `--wait` takes, in microseconds: an hour, as the counter service takes it.
    static constexpr std::int64_t max_wait_us = 3'600'000'000;
    /// The most `--work` takes, in nanoseconds: a second per call.
    static constexpr std::int64_t max_work_ns = 1'000'000'000;

    CounterKind kind = CounterKind::local;     ///< `--counter KIND`
    std::optional<std::int64_t> wait_us;       ///< `--wait US`: only with `service`; none = 0
    std::int64_t work_ns = 0;                  ///< `--work NS`: CPU burnt per call, with any kind
    std::optional<std::string> redis_socket;   ///< `--redis SOCKET`: only with `redis`; none = a private redis-server

    /// Checks the settings as a whole; throws UsageError with one line saying what is wrong: a
    /// value out of range, `--wait` without `--counter service`, `--redis` without
    /// `--counter redis`, a socket path empty or too long for a Unix socket.
    ///
    /// \code
    /// workbook::CounterSettings settings;
    /// settings.wait_us = 100;  // but the kind is local
    /// try {
    ///     settings.validate();
    /// } catch (const workbook::UsageError& error) {
    ///     std::cerr << error.what() << '\n';  // --wait is for --counter service, not for --counter local
    /// }
    /// \endcode
    void validate() const;

    /// Whether a counter call does anything beyond the chapter's own `++count`: a server to call,
    /// or work to burn.
    bool calls_out() const noexcept { return kind != CounterKind::local || work_ns > 0; }

    /// The wait, zero when not given.
    std::chrono::microseconds wait() const noexcept { return std::chrono::microseconds(wait_us.value_or(0)); }
    /// The work per call.
    std::chrono::nanoseconds work() const noexcept { return std::chrono::nanoseconds(work_ns); }

    /// A few words for a report: `local`, `the counter service (wait 100 us)`, `a private
    /// redis-server`, `Redis at /run/redis/redis.sock`, each followed by `, work N ns per call`
    /// when there is work.
    std::string describe() const;
};

/// What a CounterLink needs, as plain data, so that a forked child can make its own link from its
/// copy of the backend (CounterBackend::link()), with a connection of its own.
struct CounterEndpoint {
    CounterKind kind = CounterKind::local;      ///< where the calls go
    std::chrono::nanoseconds work{0};           ///< burnt before each call
    std::string socket_path;                    ///< the server's Unix socket; empty for `local`
    std::string server_name;                    ///< "the counter service" or "Redis", for messages
    std::string key_prefix;                     ///< the run's keys are this + `vowel`, `consonant`, `other`
    ClientTimeouts timeouts;                    ///< connect deadline, reply timeout (reply_timeout_for())
};

/// One thread's or one process's way to the counters: call() once per event. Made by
/// CounterBackend::link() (or Settings::link()), in the thread or process that uses it. A link
/// connects to the server when it is made and keeps that connection; it never shares it. A link
/// is not for several threads at once, and a process that has forked makes a new link in the
/// child (a link used in another process than the one that made it throws ChapterError).
///
/// \code
/// workbook::CounterLink link;  // what Settings::link() gives with no backend: local, no work
/// assert(!link.active());
/// link.call(workbook::Letter::vowel);  // does nothing: the chapter counts on its own
/// \endcode
class CounterLink {
public:
    /// A link that does nothing: local counters, no work.
    CounterLink() noexcept;
    /// A link to `endpoint`: connects to its server, if it has one. Throws ChapterError when the
    /// server cannot be reached.
    explicit CounterLink(const CounterEndpoint& endpoint);
    /// Closes the connection.
    ~CounterLink();
    /// Moves the connection; the moved-from link does nothing.
    CounterLink(CounterLink&& other) noexcept;
    /// Moves the connection; the moved-from link does nothing.
    CounterLink& operator=(CounterLink&& other) noexcept;
    CounterLink(const CounterLink&) = delete;
    CounterLink& operator=(const CounterLink&) = delete;

    /// One counter call for an event of class `letter`: burns the work, then sends `INCR` to that
    /// class's counter and waits for the reply. Does nothing for local counters without work.
    /// Throws ChapterError, one line naming the server and what happened, when the server has
    /// gone or did not answer within the reply timeout.
    void call(Letter letter) {
        if (active_) call_out(letter);
    }
    /// The same, by counter name (`vowel`, `consonant`, `other`, as workbook::Counter names them).
    /// Throws std::invalid_argument for any other name.
    void call(std::string_view counter);

    /// Whether call() does anything (a server to call, or work to burn).
    bool active() const noexcept { return active_; }
    /// The connection, for pipelined calls (CounterClient::send_incr() and
    /// CounterClient::receive_integer()); null for local counters.
    CounterClient* client() noexcept { return client_.get(); }
    /// The server's key for the counter of `letter`'s class; empty for local counters.
    const std::string& key(Letter letter) const noexcept { return keys_[static_cast<std::size_t>(letter)]; }
    /// The burner's iterations run by this link's calls so far: each call runs the iterations of
    /// its work (CpuBurner::iterations_for()).
    std::uint64_t iterations_burnt() const noexcept { return iterations_burnt_; }

private:
    void call_out(Letter letter);

    bool active_ = false;
    std::chrono::nanoseconds work_{0};
    std::uint64_t iterations_burnt_ = 0;
    std::uint64_t burnt_ = 0;  // the burner's results, kept so that its loop is used
    pid_t owner_ = -1;
    std::unique_ptr<CounterClient> client_;
    std::array<std::string, 3> keys_;
};

/// Programs a CounterBackend starts, for tests and unusual installs.
struct CounterPrograms {
    /// `workbook-counter-service`; empty: the one next to the running program.
    std::string counter_service;
    /// `redis-server`: a path, or a name looked up in PATH.
    std::string redis_server = "redis-server";
};

/// The counters of one chapter process: made by the runner before the runs, stopped at exit.
/// It starts the private server its kind needs (the counter service, or a redis-server) or
/// reaches the user's Redis at `--redis`, gives the run's keys a prefix of their own
/// (KeyNamespace), hands out links, and reads the totals back so that the runner can check that
/// the server counted exactly what the chapter counted. Destroying it deletes the run's keys from
/// the user's Redis and stops a private server: no process, socket or directory is left. Only
/// the process that made it stops anything: a forked child's copy leaves the server alone.
///
/// \code
/// workbook::CounterSettings asked;
/// asked.kind = workbook::CounterKind::service;
/// workbook::CounterBackend counters(asked);  // starts a private counter service
/// workbook::CounterLink link = counters.link();
/// link.call(workbook::Letter::vowel);
/// link.call("other");
/// assert(counters.totals() == (workbook::LetterTypes{1, 0, 1}));
/// counters.reset();  // before the next run
/// \endcode
class CounterBackend {
public:
    /// Validates `settings` (throws UsageError), calibrates the burner when there is work, then
    /// starts what the kind needs. Throws ChapterError when a server cannot be started or reached
    /// (a missing redis-server: one line naming its Debian package).
    explicit CounterBackend(const CounterSettings& settings, const CounterPrograms& programs = {});
    /// stop().
    ~CounterBackend();
    CounterBackend(const CounterBackend&) = delete;
    CounterBackend& operator=(const CounterBackend&) = delete;

    /// Deletes the run's keys from the user's Redis, closes the connection, stops the private
    /// server and waits until it has gone with its directory. Idempotent; in a forked child, it
    /// only forgets the parent's server.
    void stop() noexcept;

    /// A new link for the calling thread or process (a forked child makes its own here).
    /// Throws ChapterError when the server cannot be reached.
    CounterLink link() const { return settings_.calls_out() ? CounterLink(endpoint_) : CounterLink(); }

    /// The three counts the server holds for this run (missing keys count zero), or nothing for
    /// local counters. Throws ChapterError when the server has gone.
    std::optional<LetterTypes> totals() const;
    /// Checks that the server counted `counted` (a run's result); throws ChapterError, one line
    /// with both counts, when it did not. Does nothing for local counters.
    void check_totals(const LetterTypes& counted) const;
    /// Sets the run's counters back to zero (deletes their keys), between runs.
    void reset() const;

    /// What the command line asked, validated.
    const CounterSettings& settings() const noexcept { return settings_; }
    /// What a link needs, as plain data.
    const CounterEndpoint& endpoint() const noexcept { return endpoint_; }
    /// The private server, or null (local counters, or the user's Redis).
    const PrivateServer* server() const noexcept { return server_.get(); }

private:
    CounterSettings settings_;
    CounterEndpoint endpoint_;
    pid_t owner_ = -1;
    // Destroyed in reverse: the keys are deleted, then the connection closed, then the server stopped.
    std::unique_ptr<PrivateServer> server_;
    std::unique_ptr<CounterClient> control_;  // totals() and reset(); the links have their own
    std::unique_ptr<KeyNamespace> keys_;
};

}  // namespace workbook
