// workbook::AsyncCounterClient on workbook::EventLoop: pipelined INCRs to the counter service and to
// Redis come back in order; a server that dies, a malformed reply or a reply that does not come
// fails each pending request exactly once with an error naming the server; destroying the client
// calls nothing. A small server on the test's own loop plays the broken server where one is needed.
#include "redis_testing.hpp"
#include "workbook/async_counter_client.hpp"
#include "workbook/servers.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using workbook::AsyncCounterClient;
using workbook::CounterError;
using workbook::EventLoop;
using workbook::PrivateServer;

namespace {

// What one request's callback received, and how often it was called.
struct Outcome {
    int calls = 0;
    std::int64_t value = 0;
    std::string error;  // the CounterError's message, or "" for a value
};

AsyncCounterClient::IntegerCallback record(Outcome& outcome) {
    return [&outcome](std::int64_t value, std::exception_ptr error) {
        ++outcome.calls;
        outcome.value = value;
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const CounterError& e) {
                outcome.error = e.what();
            } catch (...) {
                outcome.error = "(not a CounterError)";
            }
        }
    };
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// A server of the test's own, on the same loop: accepts one connection, reads what the client
// sends, and answers each request as `answer` says, given how many bytes have arrived so far.
class FakeServer {
public:
    explicit FakeServer(EventLoop& loop) : loop_(loop) {
        char pattern[] = "/tmp/workbook-fake-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        directory_ = pattern;
        path_ = directory_ + "/socket";
        listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(listener_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path_.copy(address.sun_path, sizeof address.sun_path - 1);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener_, 4) == 0);
    }
    ~FakeServer() {
        loop_.remove_reader(listener_);
        if (connection_ >= 0) {
            loop_.remove_reader(connection_);
            ::close(connection_);
        }
        ::close(listener_);
        ::unlink(path_.c_str());
        ::rmdir(directory_.c_str());
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    // Once `requests` bytes of requests have arrived, sends `reply` (and closes if `then_close`).
    void answer_after(std::size_t bytes, std::string reply, bool then_close = false) {
        expected_ = bytes;
        reply_ = std::move(reply);
        close_ = then_close;
        loop_.add_reader(listener_, [this] {
            connection_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            REQUIRE(connection_ >= 0);
            loop_.remove_reader(listener_);
            loop_.add_reader(connection_, [this] { on_request(); });
        });
    }
    const std::string& path() const { return path_; }

private:
    void on_request() {
        char buffer[4096];
        ssize_t n = ::read(connection_, buffer, sizeof buffer);
        REQUIRE(n >= 0);
        received_ += static_cast<std::size_t>(n);
        if (n == 0 || received_ < expected_) return;
        REQUIRE(::write(connection_, reply_.data(), reply_.size()) == static_cast<ssize_t>(reply_.size()));
        loop_.remove_reader(connection_);
        if (close_) {
            ::close(connection_);
            connection_ = -1;
        }
    }

    EventLoop& loop_;
    std::string directory_, path_, reply_;
    int listener_ = -1, connection_ = -1;
    std::size_t expected_ = 0, received_ = 0;
    bool close_ = false;
};

const std::size_t incr_x_bytes = std::string("*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n").size();

void thousand_in_order(const std::string& socket, const std::string& name, const std::string& key) {
    EventLoop loop;
    AsyncCounterClient client(loop, socket, name);
    CHECK(client.server_name() == name);
    std::vector<std::int64_t> values;
    std::size_t in_flight_at_first_reply = 0;
    for (int i = 0; i < 1000; ++i) {
        client.incr(key, [&](std::int64_t value, std::exception_ptr error) {
            REQUIRE_FALSE(error);
            if (values.empty()) in_flight_at_first_reply = client.in_flight() + 1;
            values.push_back(value);
        });
    }
    CHECK(client.in_flight() == 1000);
    loop.run();  // returns once every reply is in: the idle client leaves nothing on the loop
    std::vector<std::int64_t> expected;
    for (std::int64_t i = 1; i <= 1000; ++i) expected.push_back(i);
    CHECK(values == expected);
    CHECK(client.in_flight() == 0);
    CHECK(in_flight_at_first_reply == 1000);  // all sent before any reply: one connection, pipelined
}

}  // namespace

TEST_CASE("a thousand INCRs in flight on one connection to the counter service get the replies 1 to 1000 in order") {
    PrivateServer service = PrivateServer::counter_service(100us, WORKBOOK_COUNTER_SERVICE);
    thousand_in_order(service.socket_path(), service.name(), "vowels");
}

TEST_CASE("a thousand INCRs in flight on one connection to Redis get the replies 1 to 1000 in order") {
    if (!workbook::testing::redis_or_skip()) return;
    PrivateServer redis = PrivateServer::redis();
    thousand_in_order(redis.socket_path(), redis.name(), "workbook:async:vowels");
}

TEST_CASE("more requests than the socket's buffer holds are written as it drains, and all are answered in order") {
    PrivateServer service = PrivateServer::counter_service(0us, WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());
    const std::int64_t requests = 50000;  // about 1.3 MB of requests: many times a Unix socket's buffer
    std::int64_t next = 1, wrong = 0;
    for (std::int64_t i = 0; i < requests; ++i) {
        client.incr("others", [&](std::int64_t value, std::exception_ptr error) {
            if (error || value != next) ++wrong;
            ++next;
        });
    }
    loop.run();
    CHECK(wrong == 0);
    CHECK(next == requests + 1);
    CHECK(client.in_flight() == 0);
}

TEST_CASE("requests queued from a reply's callback are sent and answered on the same connection") {
    PrivateServer service = PrivateServer::counter_service(0us, WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());
    std::vector<std::int64_t> values;
    std::function<void(std::int64_t, std::exception_ptr)> next = [&](std::int64_t value, std::exception_ptr error) {
        REQUIRE_FALSE(error);
        values.push_back(value);
        if (values.size() < 5) client.incr("others", next);
    };
    client.incr("others", next);
    loop.run();
    CHECK(values == std::vector<std::int64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("a server killed with requests pending fails each pending callback once with an error naming it, and every later request too") {
    PrivateServer service = PrivateServer::counter_service(std::chrono::microseconds(60s), WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());
    std::vector<Outcome> outcomes(10);
    for (Outcome& outcome : outcomes) client.incr("consonants", record(outcome));
    pid_t server = service.server_pid();
    loop.call_soon([server] { REQUIRE(::kill(server, SIGKILL) == 0); });  // after the requests were written
    loop.run();
    for (const Outcome& outcome : outcomes) {
        CHECK(outcome.calls == 1);
        CHECK(outcome.error == "the counter service closed the connection (during INCR)");
    }
    CHECK(client.in_flight() == 0);
    REQUIRE(client.failure());

    Outcome later;
    client.incr("consonants", record(later));
    CHECK(later.calls == 0);  // never from inside incr()
    loop.run();
    CHECK(later.calls == 1);
    CHECK(later.error == "the counter service closed the connection (during INCR)");
}

TEST_CASE("no reply within the reply timeout fails every pending request with an error naming the server") {
    PrivateServer service = PrivateServer::counter_service(std::chrono::microseconds(60s), WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    workbook::ClientTimeouts timeouts;
    timeouts.reply = 20ms;
    AsyncCounterClient client(loop, service.socket_path(), service.name(), timeouts);
    std::vector<Outcome> outcomes(3);
    for (Outcome& outcome : outcomes) client.incr("vowels", record(outcome));
    auto sent = loop.now();
    loop.run();
    for (const Outcome& outcome : outcomes) {
        CHECK(outcome.calls == 1);
        CHECK(outcome.error == "the counter service did not answer INCR within 20 ms");
    }
    CHECK(loop.now() - sent >= 20ms);  // never before the timeout
}

TEST_CASE("a loop busy past the reply timeout before it writes its requests does not take its own delay for the server's silence") {
    PrivateServer service = PrivateServer::counter_service(0us, WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    workbook::ClientTimeouts timeouts;
    timeouts.reply = 1000ms;
    AsyncCounterClient client(loop, service.socket_path(), service.name(), timeouts);
    // Queued before the request's write: the loop's turn is busy for longer than the timeout, as it
    // is when it starts thousands of callers at once.
    loop.call_soon([] { std::this_thread::sleep_for(1200ms); });
    Outcome outcome;
    client.incr("vowels", record(outcome));
    loop.run();
    CHECK(outcome.calls == 1);
    CHECK(outcome.error == "");
    CHECK(outcome.value == 1);
}

TEST_CASE("a malformed reply fails every pending request with an error naming the server") {
    EventLoop loop;
    FakeServer server(loop);
    server.answer_after(2 * incr_x_bytes, ":1\r\n?what\r\n");
    AsyncCounterClient client(loop, server.path(), "the counter service");
    Outcome first, second, third;
    client.incr("x", record(first));
    client.incr("x", record(second));
    loop.call_soon([&] { client.incr("x", record(third)); });  // a later turn, still before the reply
    loop.run();
    CHECK(first.calls == 1);
    CHECK(first.error.empty());
    CHECK(first.value == 1);
    for (const Outcome* outcome : {&second, &third}) {
        CHECK(outcome->calls == 1);
        CHECK(starts_with(outcome->error, "the counter service sent a malformed reply to INCR: Protocol error"));
    }
}

TEST_CASE("an error reply fails its own request alone") {
    EventLoop loop;
    FakeServer server(loop);
    server.answer_after(3 * incr_x_bytes, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n:7\r\n+OK\r\n");
    AsyncCounterClient client(loop, server.path(), "Redis");
    Outcome refused, counted, odd;
    client.incr("x", record(refused));
    client.incr("x", record(counted));
    client.incr("x", record(odd));
    loop.run();
    CHECK(refused.calls == 1);
    CHECK(refused.error == "Redis refused INCR: WRONGTYPE Operation against a key holding the wrong kind of value");
    CHECK(counted.calls == 1);
    CHECK(counted.error.empty());
    CHECK(counted.value == 7);
    CHECK(odd.calls == 1);
    CHECK(odd.error == "Redis answered INCR with an unexpected reply (RESP type 5)");
    CHECK_FALSE(client.failure());
}

TEST_CASE("a server that closes after some replies: those are delivered, the rest fail") {
    EventLoop loop;
    FakeServer server(loop);
    server.answer_after(3 * incr_x_bytes, ":1\r\n:2\r\n", true);
    AsyncCounterClient client(loop, server.path(), "Redis");
    std::vector<Outcome> outcomes(3);
    for (Outcome& outcome : outcomes) client.incr("x", record(outcome));
    loop.run();
    CHECK(outcomes[0].value == 1);
    CHECK(outcomes[1].value == 2);
    CHECK(outcomes[2].calls == 1);
    CHECK(outcomes[2].error == "Redis closed the connection (during INCR)");
}

TEST_CASE("destroying the client with requests pending calls none of their callbacks") {
    PrivateServer service = PrivateServer::counter_service(std::chrono::microseconds(60s), WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    int calls = 0;
    auto count = [&calls](std::int64_t, std::exception_ptr) { ++calls; };
    auto client = std::make_unique<AsyncCounterClient>(loop, service.socket_path(), service.name());
    std::function<void()> watch;  // the loop calls it after the subcase's block has ended

    SUBCASE("before they were sent") {
        for (int i = 0; i < 5; ++i) client->incr("vowels", count);
        client.reset();
    }
    SUBCASE("once they were sent") {
        for (int i = 0; i < 5; ++i) client->incr("vowels", count);
        loop.call_soon([&] {
            CHECK(client->in_flight() == 5);
            client.reset();
        });
    }
    SUBCASE("after the connection failed, with its errors still to be handed out") {
        for (int i = 0; i < 5; ++i) client->incr("vowels", count);
        pid_t server = service.server_pid();
        loop.call_soon([server] { REQUIRE(::kill(server, SIGKILL) == 0); });
        // The failure queues the callbacks; a callback queued before them destroys the client.
        watch = [&] {
            if (client->failure()) {
                client.reset();
            } else {
                loop.call_soon(watch);
            }
        };
        loop.call_soon(watch);
    }
    loop.run();  // returns: the destroyed client left nothing on the loop
    CHECK_FALSE(client);
    CHECK(calls == 0);
}

TEST_CASE("a client that cannot connect says so, naming the server and the socket") {
    EventLoop loop;
    CHECK_THROWS_WITH_AS(AsyncCounterClient(loop, "/nonexistent/socket", "the counter service"),
                         "cannot connect to the counter service at /nonexistent/socket: No such file or directory", CounterError);
}
