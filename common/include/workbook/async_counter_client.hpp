/// \file
/// \brief AsyncCounterClient, a non-blocking client of the counter service and of Redis on an
///        EventLoop: many requests in flight on one connection, replies matched in order.
///
/// Both servers speak Redis's protocol (RESP), so one client serves both: hiredis formats each
/// command (`redisFormatCommandArgv`) and parses the replies (`redisReader`), while the socket is
/// the client's own, watched by the loop. (hiredis's own asynchronous API has no reply timeout.)
/// Requests are buffered and written once per turn, or when the socket becomes writable again;
/// replies come back in the order the requests were sent, so the oldest pending callback gets the
/// next one, as a pipelining client of Redis does.
#pragma once

#include "workbook/counter_client.hpp"
#include "workbook/event_loop.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct redisReader;

namespace workbook {

/// One non-blocking connection to the counter service or to Redis on an EventLoop: hiredis's
/// reader and command formatter on the loop's own socket; requests pipelined, replies matched
/// in order. Every failure is a CounterError (from counter_client.hpp) whose message starts with
/// the server's name ("the counter service closed the connection (during INCR)").
///
/// When the server closes the connection, a reply is malformed, or no reply arrives within
/// timeouts.reply while requests are pending (measured from the last reply or the last request
/// written, whichever came later, so that a loop too busy to write its requests does not count
/// its own delay as the server's): every pending callback is called once with the same
/// CounterError, in order, from the loop, and every later incr() calls its callback (from the
/// loop, via call_soon, never from inside incr) with that error too.
///
/// The client watches its socket and arms its reply timer only while requests are pending, so
/// `run()` returns once every reply has come back and nothing else is left.
///
/// \code
/// workbook::PrivateServer service = workbook::PrivateServer::counter_service(std::chrono::microseconds(100));
/// workbook::EventLoop loop;
/// workbook::AsyncCounterClient client(loop, service.socket_path(), service.name());
/// for (int i = 0; i < 3; ++i) {
///     client.incr("vowels", [](std::int64_t value, std::exception_ptr error) {
///         if (error) std::rethrow_exception(error);  // out of run(), as any callback's exception
///         std::printf("vowels=%lld\n", static_cast<long long>(value));  // 1, 2, 3
///     });
/// }
/// loop.run();  // the three requests go out in one write; returns when the replies are in
/// \endcode
class AsyncCounterClient {
public:
    /// The reply to one request: the integer, or the error that ended it.
    using IntegerCallback = std::function<void(std::int64_t value, std::exception_ptr error)>;

    /// Connects to the Unix socket (the connect may block briefly, up to timeouts.connect: a
    /// local socket), then makes the socket non-blocking for `loop`. Throws CounterError if it
    /// cannot connect ("cannot connect to the counter service at PATH: ...").
    AsyncCounterClient(EventLoop& loop, std::string socket_path, std::string server_name,
                       ClientTimeouts timeouts = {});
    /// Removes its reader, writer and timer from the loop and closes the socket; pending
    /// callbacks are dropped without being called.
    ~AsyncCounterClient();
    AsyncCounterClient(const AsyncCounterClient&) = delete;
    AsyncCounterClient& operator=(const AsyncCounterClient&) = delete;

    /// Queues `INCR key`; `done` is called from the loop with the new count or with the error
    /// (an error reply, such as Redis's `WRONGTYPE`, fails this request alone). Never calls
    /// `done` from inside incr().
    void incr(std::string_view key, IntegerCallback done);
    /// Requests sent or queued whose reply has not arrived.
    std::size_t in_flight() const noexcept { return pending_.size(); }

    /// The loop it runs on.
    EventLoop& loop() const noexcept { return loop_; }
    /// As given, e.g. "Redis": the start of every error message.
    const std::string& server_name() const noexcept { return name_; }
    const std::string& socket_path() const noexcept { return path_; }  ///< where it connected
    /// The error that ended the connection, or null while it works.
    std::exception_ptr failure() const noexcept { return failure_; }

private:
    void schedule_flush();
    void flush();
    void on_readable();
    bool read_available();  // false once the connection failed (or the client was destroyed)
    bool deliver();         // hands the parsed replies to their callbacks; false as read_available
    void on_timer();
    void watch(bool pending);
    void fail(const std::string& message);

    EventLoop& loop_;
    std::string path_, name_;
    ClientTimeouts timeouts_;
    int fd_ = -1;
    redisReader* reader_ = nullptr;
    std::string out_;               // formatted requests not yet written, from sent_ on
    std::size_t sent_ = 0;
    std::deque<IntegerCallback> pending_;
    bool flush_queued_ = false, writing_ = false, reading_ = false;
    EventLoop::TimerId timer_ = 0;
    EventLoop::Clock::time_point last_progress_{};  // the last reply, or the last request written
    std::exception_ptr failure_;
    // Callbacks the loop holds (a queued flush, a failure handed to a later incr) and the user's
    // callbacks (which may destroy the client) check this: expired once the client is gone.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace workbook
