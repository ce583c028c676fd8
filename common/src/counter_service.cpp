#include "workbook/counter_service.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <limits>
#include <queue>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace workbook {

void append_resp(std::string& out, const Reply& reply) {
    switch (reply.kind) {
    case Reply::Kind::status: out += '+'; out += reply.text; break;
    case Reply::Kind::error: out += '-'; out += reply.text; break;
    case Reply::Kind::integer: out += ':'; out += std::to_string(reply.integer); break;
    case Reply::Kind::bulk:
        out += '$'; out += std::to_string(reply.text.size()); out += "\r\n"; out += reply.text;
        break;
    case Reply::Kind::nil: out += "$-1"; break;
    }
    out += "\r\n";
}

namespace {

Reply error(std::string text) { return {Reply::Kind::error, std::move(text), 0}; }
Reply integer(std::int64_t value) { return {Reply::Kind::integer, {}, value}; }

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

Reply wrong_arity(const std::string& command) {
    return error("ERR wrong number of arguments for '" + command + "' command");
}

}  // namespace

Reply CounterStore::execute(std::span<const std::string_view> request) {
    if (request.empty()) return error("ERR empty command");
    const std::string command = lower(request[0]);
    const std::size_t arguments = request.size() - 1;
    if (command == "ping") {
        if (arguments == 0) return {Reply::Kind::status, "PONG", 0};
        if (arguments == 1) return {Reply::Kind::bulk, std::string(request[1]), 0};
        return wrong_arity(command);
    }
    if (command == "incr" || command == "incrby") {
        // INCRBY too, since Python's redis package sends INCRBY key 1 for incr(key).
        if (arguments != (command == "incr" ? 1u : 2u)) return wrong_arity(command);
        std::int64_t by = 1;
        if (command == "incrby") {
            std::string_view text = request[2];
            auto [end, failed] = std::from_chars(text.data(), text.data() + text.size(), by);
            if (text.empty() || failed != std::errc{} || end != text.data() + text.size())
                return error("ERR value is not an integer or out of range");
        }
        std::int64_t& count = counts_[std::string(request[1])];
        if ((by > 0 && count > std::numeric_limits<std::int64_t>::max() - by) ||
            (by < 0 && count < std::numeric_limits<std::int64_t>::min() - by))
            return error("ERR increment or decrement would overflow");
        return integer(count += by);
    }
    if (command == "get") {
        if (arguments != 1) return wrong_arity(command);
        auto found = counts_.find(std::string(request[1]));
        if (found == counts_.end()) return {};
        return {Reply::Kind::bulk, std::to_string(found->second), 0};
    }
    if (command == "del") {
        if (arguments == 0) return wrong_arity(command);
        std::int64_t removed = 0;
        for (std::size_t i = 1; i < request.size(); ++i) removed += static_cast<std::int64_t>(counts_.erase(std::string(request[i])));
        return integer(removed);
    }
    std::string name(request[0].substr(0, 64));
    return error("ERR unknown command '" + name + "' (the counter service knows PING, INCR, INCRBY, GET and DEL)");
}

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw ServiceError(what + ": " + std::strerror(errno));
}

std::int64_t now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// A reply waiting for its due time, in its connection's FIFO.
struct Pending {
    std::int64_t due_ns;
    std::string resp;
};

// A connection stops being read while this much output waits for the client to read it, or this
// many replies wait for their time: a client that pipelines without reading cannot exhaust memory.
constexpr std::size_t max_unsent_bytes = 1 << 20;
constexpr std::size_t max_pending_replies = 1 << 16;

struct Connection {
    int fd = -1;
    redisReader* reader = nullptr;
    std::deque<Pending> fifo;
    std::string out;
    std::size_t sent = 0;
    bool closing = false;  // a protocol error: answer what came before it, then close
    std::uint32_t events = 0;
    ~Connection() {
        if (reader) redisReaderFree(reader);
        if (fd >= 0) ::close(fd);
    }
};

// epoll's data word: these three, or a connection's id (never reused, unlike a descriptor).
constexpr std::uint64_t listen_id = 0, timer_id = 1, stop_id = 2, first_connection_id = 3;

}  // namespace

struct CounterService::State {
    std::string path;
    std::chrono::nanoseconds wait;
    int listen_fd = -1, epoll_fd = -1, timer_fd = -1;
    dev_t device = 0;
    ino_t inode = 0;
    bool accepting = true;
    std::int64_t armed_ns = 0;
    std::uint64_t next_id = first_connection_id;
    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections;
    // (due time, connection id) for every delayed reply; entries of closed connections are skipped.
    using Due = std::pair<std::int64_t, std::uint64_t>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
    CounterStore store;

    void watch(int fd, std::uint64_t id, std::uint32_t events, int op = EPOLL_CTL_ADD) {
        epoll_event event{};
        event.events = events;
        event.data.u64 = id;
        if (::epoll_ctl(epoll_fd, op, fd, &event) != 0) fail("epoll_ctl");
    }

    void accept_all() {
        for (;;) {
            int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: stop accepting until a connection closes.
                    accepting = false;
                    watch(listen_fd, listen_id, 0, EPOLL_CTL_MOD);
                    return;
                }
                fail("accept");
            }
            auto connection = std::make_unique<Connection>();
            connection->fd = fd;
            connection->reader = redisReaderCreate();
            if (!connection->reader) throw ServiceError("out of memory");
            std::uint64_t id = next_id++;
            connection->events = EPOLLIN;
            watch(fd, id, EPOLLIN);
            connections.emplace(id, std::move(connection));
        }
    }

    void close_connection(std::uint64_t id) {
        connections.erase(id);  // closing the descriptor removes it from epoll
        if (!accepting) {
            accepting = true;
            watch(listen_fd, listen_id, EPOLLIN, EPOLL_CTL_MOD);
        }
    }

    // Parses every complete request in the connection's reader and queues its reply.
    void handle_requests(std::uint64_t id, Connection& c, std::int64_t arrived_ns) {
        for (;;) {
            void* parsed = nullptr;
            if (redisReaderGetReply(c.reader, &parsed) != REDIS_OK) {
                std::string message = "ERR Protocol error: ";
                message += c.reader->errstr;
                Reply reply = error(message);
                std::string resp;
                append_resp(resp, reply);
                c.fifo.push_back({arrived_ns, std::move(resp)});
                c.closing = true;
                return;
            }
            if (!parsed) return;
            auto* request = static_cast<redisReply*>(parsed);
            Reply reply;
            bool delayed = false;
            if (request->type != REDIS_REPLY_ARRAY) {
                reply = error("ERR Protocol error: a request is an array of bulk strings");
            } else {
                std::vector<std::string_view> words;
                bool strings = true;
                for (std::size_t i = 0; i < request->elements; ++i) {
                    const redisReply* word = request->element[i];
                    if (word->type != REDIS_REPLY_STRING) strings = false;
                    else words.emplace_back(word->str, word->len);
                }
                reply = strings ? store.execute(words) : error("ERR Protocol error: a request is an array of bulk strings");
                delayed = strings && !words.empty() && (lower(words[0]) == "incr" || lower(words[0]) == "incrby");
            }
            freeReplyObject(request);
            std::string resp;
            append_resp(resp, reply);
            std::int64_t due_ns = arrived_ns + (delayed ? wait.count() : 0);
            c.fifo.push_back({due_ns, std::move(resp)});
            if (due_ns > arrived_ns) due.emplace(due_ns, id);
        }
    }

    // Returns false if the connection is gone.
    bool read_from(std::uint64_t id, Connection& c) {
        char buffer[16384];
        for (int round = 0; round < 16; ++round) {  // a bounded number of reads: fairness
            ssize_t n = ::read(c.fd, buffer, sizeof buffer);
            if (n == 0) return false;  // the client left: its pending replies go with it, as in Redis
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
                if (errno == EINTR) continue;
                return false;  // ECONNRESET and the like: only this client is affected
            }
            std::int64_t arrived_ns = now_ns();
            if (redisReaderFeed(c.reader, buffer, static_cast<std::size_t>(n)) != REDIS_OK)
                throw ServiceError("out of memory");
            handle_requests(id, c, arrived_ns);
            if (c.closing || c.fifo.size() >= max_pending_replies) return true;
            if (static_cast<std::size_t>(n) < sizeof buffer) return true;
        }
        return true;
    }

    // Moves the due replies at the head of the FIFO to the output and writes what it can.
    // Returns false if the connection is gone.
    bool flush(std::uint64_t id, Connection& c, std::int64_t now) {
        while (!c.fifo.empty() && c.fifo.front().due_ns <= now) {
            c.out += c.fifo.front().resp;
            c.fifo.pop_front();
        }
        while (c.sent < c.out.size()) {
            ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                return false;  // EPIPE, ECONNRESET: the client left
            }
            c.sent += static_cast<std::size_t>(n);
        }
        if (c.sent == c.out.size()) {
            c.out.clear();
            c.sent = 0;
        } else if (c.sent > max_unsent_bytes) {
            c.out.erase(0, c.sent);
            c.sent = 0;
        }
        if (c.closing && c.fifo.empty() && c.out.empty()) return false;
        std::uint32_t events = 0;
        if (!c.closing && c.out.size() - c.sent < max_unsent_bytes && c.fifo.size() < max_pending_replies) events |= EPOLLIN;
        if (!c.out.empty()) events |= EPOLLOUT;
        if (events != c.events) {
            c.events = events;
            watch(c.fd, id, events, EPOLL_CTL_MOD);
        }
        return true;
    }

    void release_due() {
        std::int64_t now = now_ns();
        while (!due.empty() && due.top().first <= now) {
            std::uint64_t id = due.top().second;
            due.pop();
            auto found = connections.find(id);
            if (found != connections.end() && !flush(id, *found->second, now)) close_connection(id);
        }
        std::int64_t next = due.empty() ? 0 : due.top().first;
        if (next != armed_ns) {
            itimerspec when{};
            when.it_value.tv_sec = next / 1'000'000'000;
            when.it_value.tv_nsec = next % 1'000'000'000;
            if (::timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &when, nullptr) != 0) fail("timerfd_settime");
            armed_ns = next;
        }
    }
};

CounterService::CounterService(std::string socket_path, std::chrono::microseconds wait)
    : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.path = std::move(socket_path);
    s.wait = wait;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (s.path.empty() || s.path.size() >= sizeof address.sun_path) {
        throw ServiceError("the socket path must have 1 to " +
                           std::to_string(sizeof address.sun_path - 1) + " bytes, '" + s.path + "' has " +
                           std::to_string(s.path.size()));
    }
    std::memcpy(address.sun_path, s.path.data(), s.path.size());
    s.listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.listen_fd < 0) fail("socket");
    if (::bind(s.listen_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        int error = errno;
        ::close(s.listen_fd);
        if (error == EADDRINUSE) {
            throw ServiceError(s.path +
                               " already exists (another server's socket? remove it if no server uses it)");
        }
        errno = error;
        fail("cannot listen on " + s.path);
    }
    struct stat created{};
    if (::stat(s.path.c_str(), &created) == 0) {
        s.device = created.st_dev;
        s.inode = created.st_ino;
    }
    if (::listen(s.listen_fd, SOMAXCONN) != 0) fail("listen");
    s.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (s.epoll_fd < 0) fail("epoll_create1");
    s.timer_fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s.timer_fd < 0) fail("timerfd_create");
    s.watch(s.listen_fd, listen_id, EPOLLIN);
    s.watch(s.timer_fd, timer_id, EPOLLIN);
}

CounterService::~CounterService() {
    State& s = *state_;
    s.connections.clear();
    struct stat now{};
    if (s.inode != 0 && ::stat(s.path.c_str(), &now) == 0 && now.st_dev == s.device && now.st_ino == s.inode)
        ::unlink(s.path.c_str());
    for (int fd : {s.listen_fd, s.epoll_fd, s.timer_fd})
        if (fd >= 0) ::close(fd);
}

const std::string& CounterService::socket_path() const { return state_->path; }

void CounterService::run(int stop_fd) {
    State& s = *state_;
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    s.watch(stop_fd, stop_id, EPOLLIN);
    struct Unwatch {
        State& s;
        int fd;
        ~Unwatch() { ::epoll_ctl(s.epoll_fd, EPOLL_CTL_DEL, fd, nullptr); }
    } unwatch{s, stop_fd};
    epoll_event events[64];
    for (;;) {
        int ready = ::epoll_wait(s.epoll_fd, events, 64, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < ready; ++i) {
            std::uint64_t id = events[i].data.u64;
            if (id == stop_id) return;
            if (id == listen_id) {
                s.accept_all();
                continue;
            }
            if (id == timer_id) {
                std::uint64_t expirations = 0;
                if (::read(s.timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) fail("read timerfd");
                s.armed_ns = -1;  // fired: arm again below
                continue;
            }
            auto found = s.connections.find(id);
            if (found == s.connections.end()) continue;
            Connection& c = *found->second;
            bool alive = true;
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) alive = (c.events & EPOLLIN) ? s.read_from(id, c) : true;
            if (alive && (events[i].events & (EPOLLHUP | EPOLLERR)) && !(c.events & EPOLLIN)) alive = false;
            if (alive) alive = s.flush(id, c, now_ns());
            if (!alive) s.close_connection(id);
        }
        s.release_due();
    }
}

}  // namespace workbook
