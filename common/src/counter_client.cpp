#include "workbook/counter_client.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/sds.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <ctime>
#include <memory>
#include <utility>
#include <pthread.h>
#include <vector>

namespace workbook {
namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
    return {static_cast<time_t>(duration.count() / 1000), static_cast<suseconds_t>(duration.count() % 1000 * 1000)};
}

// hiredis writes with write(), so a server that has gone would raise SIGPIPE, which kills a
// program by default. While this lives, SIGPIPE is blocked in the calling thread and one it raised
// is consumed, so the failure is the EPIPE that the write returns.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
        sigset_t pending;
        ::sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeGuard() {
        sigset_t pending;
        ::sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            timespec no_wait{};
            while (::sigtimedwait(&pipe_, nullptr, &no_wait) < 0 && errno == EINTR) {}
        }
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t pipe_{}, old_{};
    bool was_pending_ = false;
};

struct ReplyDeleter {
    void operator()(void* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr own(void* reply) { return ReplyPtr(static_cast<redisReply*>(reply)); }

}  // namespace

CounterClient::CounterClient(std::string socket_path, std::string server_name, ClientTimeouts timeouts)
    : path_(std::move(socket_path)), name_(std::move(server_name)), timeouts_(timeouts) {
    context_ = redisConnectUnixWithTimeout(path_.c_str(), to_timeval(timeouts_.connect));
    if (!context_) throw CounterError("cannot connect to " + name_ + " at " + path_ + ": out of memory");
    if (context_->err) {
        std::string reason = context_->errstr;
        redisFree(context_);
        context_ = nullptr;
        throw CounterError("cannot connect to " + name_ + " at " + path_ + ": " + reason);
    }
    if (redisSetTimeout(context_, to_timeval(timeouts_.reply)) != REDIS_OK) {
        std::string reason = context_->errstr;
        redisFree(context_);
        context_ = nullptr;
        throw CounterError("cannot set a timeout on the connection to " + name_ + ": " + reason);
    }
}

CounterClient::~CounterClient() {
    if (context_) redisFree(context_);
}

CounterClient::CounterClient(CounterClient&& other) noexcept
    : path_(std::move(other.path_)), name_(std::move(other.name_)), timeouts_(other.timeouts_),
      context_(std::exchange(other.context_, nullptr)), in_flight_(std::exchange(other.in_flight_, 0)),
      broken_(std::move(other.broken_)) {}

CounterClient& CounterClient::operator=(CounterClient&& other) noexcept {
    if (this != &other) {
        if (context_) redisFree(context_);
        path_ = std::move(other.path_);
        name_ = std::move(other.name_);
        timeouts_ = other.timeouts_;
        context_ = std::exchange(other.context_, nullptr);
        in_flight_ = std::exchange(other.in_flight_, 0);
        broken_ = std::move(other.broken_);
    }
    return *this;
}

void CounterClient::broken(std::string_view what) {
    if (broken_.empty()) {
        int error = errno;
        std::string command(what);
        if (!context_) {
            broken_ = name_ + ": this client was moved from";
        } else if (context_->err == REDIS_ERR_EOF || (context_->err == REDIS_ERR_IO && (error == EPIPE || error == ECONNRESET))) {
            broken_ = name_ + " closed the connection (during " + command + ")";
        } else if (context_->err == REDIS_ERR_IO && (error == EAGAIN || error == EWOULDBLOCK)) {
            broken_ = name_ + " did not answer " + command + " within " + std::to_string(timeouts_.reply.count()) + " ms";
        } else if (context_->err == REDIS_ERR_PROTOCOL) {
            broken_ = name_ + " sent a malformed reply to " + command + ": " + context_->errstr;
        } else {
            broken_ = name_ + ": " + command + " failed: " + context_->errstr;
        }
    }
    throw CounterError(broken_);
}

void CounterClient::unexpected(std::string_view what, void* reply) {
    ReplyPtr owned = own(reply);
    std::string command(what);
    if (owned->type == REDIS_REPLY_ERROR) throw CounterError(name_ + " refused " + command + ": " + std::string(owned->str, owned->len));
    throw CounterError(name_ + " answered " + command + " with an unexpected reply (RESP type " + std::to_string(owned->type) + ")");
}

void* CounterClient::next_reply(std::string_view what) {
    if (!broken_.empty() || !context_) broken(what);
    void* reply = nullptr;
    int status;
    if (sdslen(context_->obuf) > 0) {
        SigpipeGuard guard;
        status = redisGetReply(context_, &reply);
    } else {
        status = redisGetReply(context_, &reply);
    }
    if (status != REDIS_OK || !reply) broken(what);
    --in_flight_;
    return reply;
}

void* CounterClient::call(std::string_view what, std::initializer_list<std::string_view> words) {
    if (!broken_.empty() || !context_) broken(what);
    if (in_flight_ != 0) throw std::logic_error("CounterClient: " + std::string(what) + " while pipelined replies are still to be received");
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (std::string_view word : words) {
        argv.push_back(word.data());
        lengths.push_back(word.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) broken(what);
    ++in_flight_;
    return next_reply(what);
}

void CounterClient::ping() {
    ReplyPtr reply = own(call("PING", {"PING"}));
    if (reply->type != REDIS_REPLY_STATUS || std::string_view(reply->str, reply->len) != "PONG") unexpected("PING", reply.release());
}

std::int64_t CounterClient::incr(std::string_view key) {
    ReplyPtr reply = own(call("INCR", {"INCR", key}));
    if (reply->type != REDIS_REPLY_INTEGER) unexpected("INCR", reply.release());
    return reply->integer;
}

std::optional<std::int64_t> CounterClient::get(std::string_view key) {
    ReplyPtr reply = own(call("GET", {"GET", key}));
    if (reply->type == REDIS_REPLY_NIL) return std::nullopt;
    std::int64_t value = 0;
    if (reply->type == REDIS_REPLY_STRING) {
        auto [end, error] = std::from_chars(reply->str, reply->str + reply->len, value);
        if (error == std::errc{} && end == reply->str + reply->len) return value;
    }
    unexpected("GET", reply.release());
}

bool CounterClient::del(std::string_view key) {
    ReplyPtr reply = own(call("DEL", {"DEL", key}));
    if (reply->type != REDIS_REPLY_INTEGER) unexpected("DEL", reply.release());
    return reply->integer > 0;
}

void CounterClient::send_incr(std::string_view key) {
    if (!broken_.empty() || !context_) broken("INCR");
    const char* argv[] = {"INCR", key.data()};
    const std::size_t lengths[] = {4, key.size()};
    if (redisAppendCommandArgv(context_, 2, argv, lengths) != REDIS_OK) broken("INCR");
    ++in_flight_;
}

std::int64_t CounterClient::receive_integer() {
    if (broken_.empty() && in_flight_ == 0) throw std::logic_error("CounterClient::receive_integer: no request in flight");
    ReplyPtr reply = own(next_reply("INCR"));
    if (reply->type != REDIS_REPLY_INTEGER) unexpected("INCR", reply.release());
    return reply->integer;
}

}  // namespace workbook
