// Chapter 14, `--variant asio`: the same tasks on standalone Asio, the library a professional
// would reach for, measured beside the workbook's own loop.
//
// The talk's step is the same as the chapter's: coroutines that read like blocking code, driven by
// an event loop. Here the loop is Asio's io_context, a task is an `asio::awaitable` started with
// `co_spawn`, and `co_await op(use_awaitable)` suspends it until the operation's completion
// handler resumes it: asyncio's Task and Future, written by Asio. `--in-flight N` coroutines each
// take the next event, make its counter call and co_await the reply. With a server, every call
// goes out on one Asio socket (local::stream_protocol), pipelined: the requests of one turn leave
// in one write, a reader coroutine parses the replies with hiredis's reader and completes the
// oldest waiting call, as the workbook's own client does. With local counters the wait is
// `co_await asio::post(...)`: one trip through the io_context's queue, as asyncio's `sleep(0)`.
// Cost per event: one suspension and one resume of a coroutine through the io_context's queue
// (and the awaitable frames Asio allocates, from its recycling allocator); with a slow counter,
// one request formatted and one reply parsed on the shared socket, and the wait, which up to N
// events share.
#include "asio_variant.hpp"

#include "workbook/chapter.hpp"
#include "workbook/counter_kinds.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

namespace workbook::chapter14 {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using Clock = asio::steady_timer::clock_type;

// A call waiting for its reply: the completion handler of one `incr`, whatever its type (with
// use_awaitable, the suspended coroutine), called once with the count or the error.
class WaitingCall {
public:
    virtual ~WaitingCall() = default;
    virtual void complete(std::exception_ptr error, std::int64_t value) = 0;
};

template <typename Handler>
class WaitingCallOf final : public WaitingCall {
public:
    explicit WaitingCallOf(Handler handler) : handler_(std::move(handler)) {}
    // Posted, never called from here: the caller (the reader coroutine) goes on with its replies,
    // and the waiting coroutine resumes from the queue, as asyncio's Future schedules its callbacks.
    void complete(std::exception_ptr error, std::int64_t value) override {
        auto executor = asio::get_associated_executor(handler_);
        asio::post(executor, [handler = std::move(handler_), error, value]() mutable { handler(error, value); });
    }

private:
    Handler handler_;
};

struct ReaderDeleter {
    void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
struct ReplyDeleter {
    void operator()(void* reply) const { freeReplyObject(reply); }
};

// One connection to the counter service or to Redis on the io_context, every call pipelined on
// it. Every failure is a CounterError naming the server; once the connection has failed, every
// waiting call and every later one gets that same error.
class Connection {
public:
    Connection(asio::io_context& context, const CounterEndpoint& endpoint)
        : socket_(context), timer_(context), name_(endpoint.server_name), path_(endpoint.socket_path),
          timeouts_(endpoint.timeouts), reader_(redisReaderCreate()) {
        if (!reader_) throw std::bad_alloc();
    }

    // Connects, within timeouts.connect (the deadline timer closes the socket if it is not done).
    awaitable<void> open() {
        timer_.expires_after(timeouts_.connect);
        timer_.async_wait([this](std::error_code error) {
            if (error || connected_) return;
            connect_timed_out_ = true;
            socket_.close(error);
        });
        std::error_code error;
        co_await socket_.async_connect(asio::local::stream_protocol::endpoint(path_), asio::redirect_error(use_awaitable, error));
        timer_.cancel();
        const std::string cannot = "cannot connect to " + name_ + " at " + path_ + ": ";
        if (connect_timed_out_) throw CounterError(cannot + "no answer within " + std::to_string(timeouts_.connect.count()) + " ms");
        if (error) throw CounterError(cannot + error.message());
        connected_ = true;
    }

    // `INCR key`: completes with the new count, or with the error that ended the connection (an
    // error reply, such as Redis's WRONGTYPE, fails this call alone). Asio's own way to write an
    // operation any completion token can await: async_initiate.
    template <typename Token>
    auto incr(const std::string& key, Token&& token) {
        return asio::async_initiate<Token, void(std::exception_ptr, std::int64_t)>(
            [this, &key](auto handler) {
                auto call = std::make_unique<WaitingCallOf<decltype(handler)>>(std::move(handler));
                if (failure_) return call->complete(failure_, 0);
                queue_incr(key);
                if (waiting_.empty()) last_progress_ = Clock::now();
                waiting_.push_back(std::move(call));
            },
            token);
    }

    // Reads the replies for as long as the connection lives, handing each to the oldest waiting call.
    awaitable<void> read_replies() {
        std::array<char, 16384> buffer;
        for (;;) {
            std::error_code error;
            const std::size_t n = co_await socket_.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, error));
            if (closed_) co_return;  // closed here: the run is over, or has failed
            if (error) {
                fail(error == asio::error::eof || error == asio::error::connection_reset
                         ? name_ + " closed the connection (during INCR)"
                         : name_ + ": reading the reply to INCR failed: " + error.message());
                co_return;
            }
            if (redisReaderFeed(reader_.get(), buffer.data(), n) != REDIS_OK || !deliver()) co_return;
        }
    }

    // Fails every waiting call when no reply has come within timeouts.reply while calls wait
    // (measured from the last reply or the last request written, whichever came later: a context
    // too busy to write its requests does not count its own delay as the server's).
    awaitable<void> watch_replies() {
        for (;;) {
            timer_.expires_at((waiting_.empty() || flush_posted_ ? Clock::now() : last_progress_) + timeouts_.reply);
            std::error_code error;
            co_await timer_.async_wait(asio::redirect_error(use_awaitable, error));
            if (closed_) co_return;
            if (flush_posted_) continue;  // the requests are not written yet: the server's silence has not begun
            if (!waiting_.empty() && Clock::now() - last_progress_ >= timeouts_.reply) {
                fail(name_ + " did not answer INCR within " + std::to_string(timeouts_.reply.count()) + " ms");
                co_return;
            }
        }
    }

    // Ends the reader and the watcher: the run is over.
    void close() {
        closed_ = true;
        std::error_code ignored;
        socket_.close(ignored);
        timer_.cancel();
    }

private:
    // Every request of one turn goes out in one write, posted to run after the turn's coroutines.
    void queue_incr(const std::string& key) {
        const char* argv[] = {"INCR", key.c_str()};
        const std::size_t lengths[] = {4, key.size()};
        char* command = nullptr;
        const int length = redisFormatCommandArgv(&command, 2, argv, lengths);
        if (length < 0) throw std::bad_alloc();
        const std::unique_ptr<char, decltype(&redisFreeCommand)> owned(command, &redisFreeCommand);
        queued_.append(command, static_cast<std::size_t>(length));
        if (flush_posted_ || writing_) return;  // a write in progress sends the rest when it is done
        flush_posted_ = true;
        asio::post(socket_.get_executor(), [this] {
            flush_posted_ = false;
            flush();
        });
    }

    // A plain completion handler, not a coroutine: the write needs no waiting of its own.
    void flush() {
        if (closed_ || queued_.empty()) return;
        sending_.swap(queued_);
        writing_ = true;
        asio::async_write(socket_, asio::buffer(sending_), [this](std::error_code error, std::size_t) {
            writing_ = false;
            sending_.clear();
            if (closed_) return;
            last_progress_ = Clock::now();  // the server has the requests: its silence counts from here
            if (error) {
                fail(error == asio::error::broken_pipe || error == asio::error::connection_reset
                         ? name_ + " closed the connection (during INCR)"
                         : name_ + ": sending INCR failed: " + error.message());
                return;
            }
            flush();  // what was queued meanwhile
        });
    }

    // Hands each parsed reply to the oldest waiting call; false once the connection has failed.
    bool deliver() {
        for (;;) {
            void* raw = nullptr;
            if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
                fail(name_ + " sent a malformed reply to INCR: " + reader_->errstr);
                return false;
            }
            if (!raw) return true;
            const std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
            if (waiting_.empty()) {
                fail(name_ + " sent a reply to no request (RESP type " + std::to_string(reply->type) + ")");
                return false;
            }
            last_progress_ = Clock::now();
            const std::unique_ptr<WaitingCall> call = std::move(waiting_.front());
            waiting_.pop_front();
            if (reply->type == REDIS_REPLY_INTEGER) {
                call->complete(nullptr, reply->integer);
            } else if (reply->type == REDIS_REPLY_ERROR) {
                call->complete(std::make_exception_ptr(CounterError(name_ + " refused INCR: " + std::string(reply->str, reply->len))), 0);
            } else {
                call->complete(std::make_exception_ptr(CounterError(name_ + " answered INCR with an unexpected reply (RESP type " +
                                                                    std::to_string(reply->type) + ")")), 0);
            }
        }
    }

    // The first failure ends the connection: every waiting call gets it, in order.
    void fail(const std::string& message) {
        if (failure_) return;
        failure_ = std::make_exception_ptr(CounterError(message));
        for (const std::unique_ptr<WaitingCall>& call : std::exchange(waiting_, {})) call->complete(failure_, 0);
        close();
    }

    asio::local::stream_protocol::socket socket_;
    asio::steady_timer timer_;  // the connect's deadline, then the reply timeout
    std::string name_, path_;
    ClientTimeouts timeouts_;
    std::unique_ptr<redisReader, ReaderDeleter> reader_;
    std::string queued_, sending_;  // requests not yet written; requests being written
    bool flush_posted_ = false, writing_ = false;
    bool connected_ = false, connect_timed_out_ = false, closed_ = false;
    std::deque<std::unique_ptr<WaitingCall>> waiting_;
    Clock::time_point last_progress_{};  // the last reply, or the last request written
    std::exception_ptr failure_;
};

// What the coroutines share. The context comes before the connection, so that the connection (and
// every call still waiting on it) goes first.
struct Run {
    Run(Events events, const CounterEndpoint& endpoint, const std::function<void(std::size_t)>& waits)
        : book(events), on_wait(waits), work(CounterEndpoint{CounterKind::local, endpoint.work, {}, {}, {}, {}}) {  // --work only
        for (Letter letter : {Letter::vowel, Letter::consonant, Letter::other})
            keys[static_cast<std::size_t>(letter)] = endpoint.key_prefix + std::string(counter_name(letter));
        if (endpoint.kind != CounterKind::local) connection.emplace(context, endpoint);
    }
    bool more() const { return next < book.size() && !failure; }
    void keep(std::exception_ptr error) {  // the first failure; the others are the same one
        if (error && !failure) failure = error;
    }

    Events book;
    const std::function<void(std::size_t)>& on_wait;
    CounterLink work;
    std::array<std::string, 3> keys;
    LetterTypes counts;
    std::size_t next = 0, running = 0, waiting = 0;
    std::exception_ptr failure;
    asio::io_context context{1};  // one thread runs it
    std::optional<Connection> connection;  // none for local counters
};

//! [lane]
// A task of the pool: the next event, its call, its wait; until the book runs out. The code reads
// as blocking code; each co_await lets the other coroutines run.
awaitable<void> lane(Run& run) {
    const auto executor = co_await asio::this_coro::executor;
    while (run.more()) {
        const Letter letter = classify(run.book[run.next++]);
        run.work.call(letter);
        if (++run.waiting; run.on_wait) run.on_wait(run.waiting);
        if (run.connection) co_await run.connection->incr(run.keys[static_cast<std::size_t>(letter)], use_awaitable);
        else co_await asio::post(executor, use_awaitable);  // local: the context's next turn resumes it
        --run.waiting;
        run.counts.add(letter);
    }
}
//! [lane]

// Connects (with a server), then starts the reader, the watcher and the pool; the connection is
// closed when the last coroutine of the pool ends, and the context's run() returns.
awaitable<void> start(Run& run, std::size_t lanes) {
    if (run.connection) {
        co_await run.connection->open();
        const auto rethrow = [](std::exception_ptr error) { if (error) std::rethrow_exception(error); };  // out of run()
        asio::co_spawn(run.context, run.connection->read_replies(), rethrow);
        asio::co_spawn(run.context, run.connection->watch_replies(), rethrow);
    }
    run.running = lanes;
    for (std::size_t i = 0; i < lanes; ++i) {
        asio::co_spawn(run.context, lane(run), [&run](std::exception_ptr error) {
            run.keep(error);
            if (--run.running == 0 && run.connection) run.connection->close();
        });
    }
    if (lanes == 0 && run.connection) run.connection->close();
}

}  // namespace

LetterTypes count_with_asio(Events book, const Settings& settings, const std::function<void(std::size_t)>& on_wait) {
    const CounterEndpoint local_endpoint;
    Run run(book, settings.counters ? settings.counters->endpoint() : local_endpoint, on_wait);
    const std::size_t lanes = std::min<std::size_t>(std::max<std::size_t>(settings.in_flight, 1), book.size());
    asio::co_spawn(run.context, start(run, lanes), [&run](std::exception_ptr error) {
        run.keep(error);
        if (error && run.connection) run.connection->close();
    });
    run.context.run();  // returns once every coroutine has ended
    if (run.failure) {
        try {
            std::rethrow_exception(run.failure);
        } catch (const CounterError& error) {
            throw ChapterError(error.what());
        }
    }
    return run.counts;
}

}  // namespace workbook::chapter14
