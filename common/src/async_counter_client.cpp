#include "workbook/async_counter_client.hpp"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

namespace workbook {
namespace {

struct ReplyDeleter {
    void operator()(void* reply) const { freeReplyObject(reply); }
};

timeval to_timeval(std::chrono::milliseconds duration) {
    return {static_cast<time_t>(duration.count() / 1000), static_cast<suseconds_t>(duration.count() % 1000 * 1000)};
}

}  // namespace

AsyncCounterClient::AsyncCounterClient(EventLoop& loop, std::string socket_path, std::string server_name, ClientTimeouts timeouts)
    : loop_(loop), path_(std::move(socket_path)), name_(std::move(server_name)), timeouts_(timeouts) {
    const std::string cannot = "cannot connect to " + name_ + " at " + path_ + ": ";
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof address.sun_path) throw CounterError(cannot + "the path is too long for a Unix socket");
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw CounterError(cannot + std::strerror(errno));
    // A Unix socket's connect waits (for room in the server's backlog) at most SO_SNDTIMEO.
    timeval limit = to_timeval(timeouts_.connect);
    int status = ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (status == 0) {
        do {
            status = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
        } while (status != 0 && errno == EINTR);
    }
    if (status == 0) {
        timeval none{};
        status = ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
    }
    if (status == 0) {
        int flags = ::fcntl(fd_, F_GETFL);
        status = flags < 0 ? -1 : ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    }
    if (status != 0) {
        int error = errno;
        ::close(fd_);
        throw CounterError(cannot + (error == EAGAIN ? "no room in its backlog within " + std::to_string(timeouts_.connect.count()) + " ms"
                                                     : std::string(std::strerror(error))));
    }
    reader_ = redisReaderCreate();
    if (!reader_) {
        ::close(fd_);
        throw CounterError(cannot + "out of memory");
    }
}

AsyncCounterClient::~AsyncCounterClient() {
    if (timer_ != 0) loop_.cancel(timer_);
    if (fd_ >= 0) {
        loop_.remove_reader(fd_);
        loop_.remove_writer(fd_);
        ::close(fd_);
    }
    redisReaderFree(reader_);
}

void AsyncCounterClient::incr(std::string_view key, IntegerCallback done) {
    if (failure_) {
        loop_.call_soon([alive = std::weak_ptr<char>(alive_), done = std::move(done), error = failure_] {
            if (!alive.expired()) done(0, error);
        });
        return;
    }
    const char* argv[] = {"INCR", key.data()};
    const std::size_t lengths[] = {4, key.size()};
    char* command = nullptr;
    int length = redisFormatCommandArgv(&command, 2, argv, lengths);
    if (length < 0) throw std::bad_alloc();
    try {
        out_.append(command, static_cast<std::size_t>(length));
    } catch (...) {
        redisFreeCommand(command);
        throw;
    }
    redisFreeCommand(command);
    pending_.push_back(std::move(done));
    if (pending_.size() == 1) {
        last_progress_ = loop_.now();
        watch(true);
    }
    schedule_flush();
}

// The socket is watched, and the reply timer armed, only while a reply is awaited: an idle client
// leaves nothing on the loop, so run() can return.
void AsyncCounterClient::watch(bool pending) {
    if (pending) {
        if (!reading_) {
            loop_.add_reader(fd_, [this] { on_readable(); });
            reading_ = true;
        }
        if (timer_ == 0) timer_ = loop_.call_later(timeouts_.reply, [this] { timer_ = 0; on_timer(); });
    } else {
        if (reading_) loop_.remove_reader(fd_);
        reading_ = false;
        if (timer_ != 0) loop_.cancel(timer_);
        timer_ = 0;
    }
}

// Every request queued in one turn goes out in one write, at the start of the next.
void AsyncCounterClient::schedule_flush() {
    if (flush_queued_ || writing_) return;
    flush_queued_ = true;
    loop_.call_soon([this, alive = std::weak_ptr<char>(alive_)] {
        if (alive.expired()) return;
        flush_queued_ = false;
        flush();
    });
}

void AsyncCounterClient::flush() {
    if (failure_) return;
    while (sent_ < out_.size()) {
        ssize_t n = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
        if (n > 0) {
            sent_ += static_cast<std::size_t>(n);
            last_progress_ = loop_.now();  // the server has the request: its silence counts from here
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!writing_) loop_.add_writer(fd_, [this] { flush(); });
            writing_ = true;
            return;
        }
        int error = errno;
        // The replies that did arrive are delivered first; then the end of the connection.
        if (!read_available()) return;
        fail(error == EPIPE || error == ECONNRESET ? name_ + " closed the connection (during INCR)"
                                                   : name_ + ": sending INCR failed: " + std::strerror(error));
        return;
    }
    out_.clear();
    sent_ = 0;
    if (writing_) loop_.remove_writer(fd_);
    writing_ = false;
}

void AsyncCounterClient::on_readable() { read_available(); }

bool AsyncCounterClient::read_available() {
    char buffer[16384];
    for (;;) {
        ssize_t n = ::read(fd_, buffer, sizeof buffer);
        if (n > 0) {
            if (redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n)) != REDIS_OK) {
                fail(name_ + " sent a malformed reply to INCR: " + reader_->errstr);
                return false;
            }
            if (!deliver()) return false;
            if (static_cast<std::size_t>(n) < sizeof buffer) return true;  // level-triggered: the rest comes next turn
            continue;
        }
        if (n == 0 || errno == ECONNRESET) {
            fail(name_ + " closed the connection (during INCR)");
            return false;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        fail(name_ + ": reading the reply to INCR failed: " + std::strerror(errno));
        return false;
    }
}

bool AsyncCounterClient::deliver() {
    std::weak_ptr<char> alive = alive_;
    bool delivered = false;
    for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
            fail(name_ + " sent a malformed reply to INCR: " + reader_->errstr);
            return false;
        }
        if (!raw) break;
        std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
        if (pending_.empty()) {
            fail(name_ + " sent a reply to no request (RESP type " + std::to_string(reply->type) + ")");
            return false;
        }
        if (!delivered) last_progress_ = loop_.now();
        delivered = true;
        IntegerCallback done = std::move(pending_.front());
        pending_.pop_front();
        if (pending_.empty()) watch(false);
        std::int64_t value = 0;
        std::exception_ptr error;
        if (reply->type == REDIS_REPLY_INTEGER) {
            value = reply->integer;
        } else if (reply->type == REDIS_REPLY_ERROR) {
            error = std::make_exception_ptr(CounterError(name_ + " refused INCR: " + std::string(reply->str, reply->len)));
        } else {
            error = std::make_exception_ptr(CounterError(name_ + " answered INCR with an unexpected reply (RESP type " + std::to_string(reply->type) + ")"));
        }
        reply.reset();
        try {
            done(value, error);
        } catch (...) {
            // The exception stops the loop; replies already parsed are delivered when it runs again.
            if (!alive.expired()) {
                loop_.call_soon([this, alive] {
                    if (!alive.expired() && !failure_) deliver();
                });
            }
            throw;
        }
        if (alive.expired()) return false;  // the callback destroyed the client
        if (failure_) return false;
    }
    return true;
}

void AsyncCounterClient::on_timer() {
    if (pending_.empty() || failure_) return;
    if (flush_queued_) {
        // The requests have not been written yet (a loop busy for longer than the timeout, starting
        // thousands of callers in one turn): the server's silence has not begun.
        timer_ = loop_.call_later(timeouts_.reply, [this] { timer_ = 0; on_timer(); });
        return;
    }
    auto quiet = loop_.now() - last_progress_;
    if (quiet >= timeouts_.reply) {
        fail(name_ + " did not answer INCR within " + std::to_string(timeouts_.reply.count()) + " ms");
        return;
    }
    auto rest = std::chrono::ceil<std::chrono::microseconds>(timeouts_.reply - quiet);
    timer_ = loop_.call_later(rest, [this] { timer_ = 0; on_timer(); });
}

void AsyncCounterClient::fail(const std::string& message) {
    if (failure_) return;
    failure_ = std::make_exception_ptr(CounterError(message));
    watch(false);
    if (writing_) loop_.remove_writer(fd_);
    writing_ = false;
    out_.clear();
    sent_ = 0;
    // Each pending callback gets the error from the loop, in order, one callback per entry of
    // the ready queue: one that throws stops the loop, and the rest are called when it runs again.
    std::deque<IntegerCallback> callbacks = std::exchange(pending_, {});
    for (IntegerCallback& done : callbacks) {
        loop_.call_soon([alive = std::weak_ptr<char>(alive_), done = std::move(done), error = failure_] {
            if (!alive.expired()) done(0, error);
        });
    }
}

}  // namespace workbook
