// Private servers (the counter service, redis-server): started, talked to with the same client,
// stopped, and never left behind, even when their parent is SIGKILLed; key namespaces; a server
// killed or stopped mid-run gives the client a clear error, not a hang.
#include "redis_testing.hpp"
#include "workbook/servers.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using workbook::PrivateServer;

namespace {

using workbook::testing::redis_or_skip;

bool exists(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0;
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }




// Waits for `pid`, a child of this process, to exit; false if it has not within `limit`.
// Waiting for another process's reaction to a signal is the point here, hence the deadline.
bool reap_within(pid_t pid, std::chrono::milliseconds limit, int* status = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        pid_t done = ::waitpid(pid, status, WNOHANG);
        if (done == pid) return true;
        if (done < 0 && errno != EINTR) return false;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
}

bool vanishes_within(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (process_exists(pid)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Orphans of this test are re-parented to this process while it lives, so it can reap them.
struct Subreaper {
    Subreaper() { REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) == 0); }
    ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL); }
};

PrivateServer start(bool redis) {
    return redis ? PrivateServer::redis() : PrivateServer::counter_service(0us, WORKBOOK_COUNTER_SERVICE);
}

}  // namespace

TEST_CASE("A private counter service answers the client, and is gone with its directory once destroyed") {
    pid_t server_pid = -1, keeper_pid = -1;
    std::string directory, socket;
    {
        PrivateServer service = PrivateServer::counter_service(0us, WORKBOOK_COUNTER_SERVICE);
        server_pid = service.server_pid();
        keeper_pid = service.keeper_pid();
        directory = service.directory();
        socket = service.socket_path();
        CHECK(service.name() == "the counter service");
        CHECK(server_pid > 0);
        CHECK(exists(socket));
        workbook::CounterClient client = service.connect();
        CHECK(client.incr("vowel") == 1);
        CHECK(client.get("vowel") == 1);
    }
    CHECK(::waitpid(keeper_pid, nullptr, WNOHANG) == -1);  // already reaped: no zombie
    CHECK(errno == ECHILD);
    CHECK_FALSE(process_exists(server_pid));  // reaped by its keeper before the keeper exited
    CHECK_FALSE(exists(socket));
    CHECK_FALSE(exists(directory));
}

TEST_CASE("The counter service program is found next to the running program") {
    CHECK(workbook::counter_service_program() == WORKBOOK_COUNTER_SERVICE);
    PrivateServer service = PrivateServer::counter_service(0us);
    service.connect().ping();
}

TEST_CASE("A private server that cannot start is reported, and leaves nothing behind") {
    std::string directory;
    try {
        PrivateServer::counter_service(0us, "/bin/false");
        FAIL("a server that exits at once was taken as started");
    } catch (const workbook::ServerError& failure) {
        CHECK(std::string(failure.what()).find("exited before it was ready") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(PrivateServer::counter_service(0us, "/nonexistent/workbook-counter-service"),
                         doctest::Contains("exited before it was ready"), workbook::ServerError);
}

TEST_CASE("A missing redis-server is one clear error naming its Debian package") {
    CHECK_THROWS_WITH_AS(PrivateServer::redis({}, "workbook-no-such-redis-server"),
                         "workbook-no-such-redis-server is not installed (it is in the Debian package redis-server: "
                         "apt-get install redis-server)",
                         workbook::ServerError);
}

TEST_CASE("A private server and its keeper die with their parent, even when it is SIGKILLed") {
    for (bool redis : {false, true}) {
        CAPTURE(redis);
        if (redis && !redis_or_skip()) continue;
        Subreaper subreaper;
        int report[2];
        REQUIRE(::pipe(report) == 0);
        pid_t parent = ::fork();
        REQUIRE(parent >= 0);
        if (parent == 0) {
            ::close(report[0]);
            try {
                PrivateServer server = start(redis);
                server.connect().ping();
                pid_t pids[2] = {server.server_pid(), server.keeper_pid()};
                char directory[256] = {};
                server.directory().copy(directory, sizeof directory - 1);
                (void)!::write(report[1], pids, sizeof pids);
                (void)!::write(report[1], directory, sizeof directory);
                for (;;) ::pause();  // until SIGKILLed
            } catch (...) {
                ::_exit(1);
            }
        }
        ::close(report[1]);
        pid_t pids[2] = {-1, -1};
        char directory[256] = {};
        REQUIRE(::read(report[0], pids, sizeof pids) == sizeof pids);
        REQUIRE(::read(report[0], directory, sizeof directory) == sizeof directory);
        ::close(report[0]);
        CHECK(process_exists(pids[0]));
        CHECK(exists(directory));

        ::kill(parent, SIGKILL);
        int status = 0;
        REQUIRE(::waitpid(parent, &status, 0) == parent);
        CHECK(WIFSIGNALED(status));
        // The orphaned keeper is now ours: it stops the server, reaps it, removes the directory, exits.
        CHECK(reap_within(pids[1], 15s, &status));
        CHECK_FALSE(process_exists(pids[0]));
        CHECK_FALSE(exists(directory));
    }
}

TEST_CASE("A private server dies when its keeper is killed, and the PrivateServer still cleans up") {
    Subreaper subreaper;
    PrivateServer service = PrivateServer::counter_service(0us, WORKBOOK_COUNTER_SERVICE);
    pid_t server = service.server_pid();
    std::string directory = service.directory();
    ::kill(service.keeper_pid(), SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(service.keeper_pid(), &status, 0) == service.keeper_pid());
    // PR_SET_PDEATHSIG: the orphaned server, now our child, gets SIGKILL.
    REQUIRE(reap_within(server, 15s, &status));
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    service.stop();
    CHECK_FALSE(exists(directory));
}

TEST_CASE("The same client talks to a private redis-server: PING, INCR, GET, DEL") {
    if (!redis_or_skip()) return;
    std::string directory;
    {
        PrivateServer redis = PrivateServer::redis();
        directory = redis.directory();
        CHECK(redis.name() == "Redis");
        workbook::CounterClient client = redis.connect();
        client.ping();
        CHECK_FALSE(client.get("vowel").has_value());
        CHECK(client.incr("vowel") == 1);
        CHECK(client.incr("vowel") == 2);
        CHECK(client.get("vowel") == 2);
        for (int i = 0; i < 1000; ++i) client.send_incr("pipelined");
        int in_order = 0;
        for (int i = 1; i <= 1000; ++i) in_order += client.receive_integer() == i;
        CHECK(in_order == 1000);
        CHECK(client.del("vowel"));
        CHECK_FALSE(client.get("vowel").has_value());
    }
    CHECK_FALSE(exists(directory));
}

TEST_CASE("Key namespaces keep runs apart on one server and delete their keys at the end") {
    for (bool redis : {false, true}) {
        CAPTURE(redis);
        if (redis && !redis_or_skip()) continue;
        PrivateServer server = start(redis);
        workbook::CounterClient client = server.connect();
        std::string first_key, second_key;
        {
            workbook::KeyNamespace first(client), second(client);
            CHECK(first.prefix() != second.prefix());
            CHECK(first.prefix().rfind("workbook:", 0) == 0);
            first_key = first.key("vowel");
            second_key = second.key("vowel");
            CHECK(first_key == first.prefix() + "vowel");
            CHECK(client.incr(first_key) == 1);
            CHECK(client.incr(first_key) == 2);
            CHECK(client.incr(second_key) == 1);
            CHECK(client.incr("someone else's") == 1);
        }
        CHECK_FALSE(client.get(first_key).has_value());
        CHECK_FALSE(client.get(second_key).has_value());
        CHECK(client.get("someone else's") == 1);  // not ours: kept
    }
}

TEST_CASE("A server killed mid-run: the client's next call throws that it closed the connection, and so do later calls") {
    for (bool redis : {false, true}) {
        CAPTURE(redis);
        if (redis && !redis_or_skip()) continue;
        PrivateServer server = start(redis);
        workbook::CounterClient client = server.connect({2000ms, 2000ms});
        CHECK(client.incr("k") == 1);
        ::kill(server.server_pid(), SIGKILL);
        REQUIRE(vanishes_within(server.server_pid(), 15s));
        std::string expected = server.name() + " closed the connection (during INCR)";
        CHECK_THROWS_WITH_AS(client.incr("k"), expected.c_str(), workbook::CounterError);
        CHECK_THROWS_WITH_AS(client.get("k"), expected.c_str(), workbook::CounterError);
        std::string refused = "cannot connect to " + server.name();
        CHECK_THROWS_WITH_AS(workbook::CounterClient(server.socket_path(), server.name()), doctest::Contains(refused.c_str()),
                             workbook::CounterError);
    }
}

TEST_CASE("A server that stops answering: the client's call throws within its reply timeout, no hang") {
    for (bool redis : {false, true}) {
        CAPTURE(redis);
        if (redis && !redis_or_skip()) continue;
        PrivateServer server = start(redis);
        workbook::CounterClient client = server.connect({2000ms, 200ms}), pipelining = server.connect({2000ms, 200ms});
        CHECK(client.incr("k") == 1);
        ::kill(server.server_pid(), SIGSTOP);
        std::string expected = server.name() + " did not answer INCR within 200 ms";
        CHECK_THROWS_WITH_AS(client.incr("k"), expected.c_str(), workbook::CounterError);
        // A late reply would answer the wrong request: the connection is done with, every call says why.
        CHECK_THROWS_WITH_AS(client.send_incr("k"), expected.c_str(), workbook::CounterError);
        pipelining.send_incr("k");
        pipelining.send_incr("k");
        CHECK_THROWS_WITH_AS(pipelining.receive_integer(), expected.c_str(), workbook::CounterError);
        ::kill(server.server_pid(), SIGCONT);
    }
}

TEST_CASE("A client blocked on a reply when the server dies gets the error, not SIGPIPE or a hang") {
    PrivateServer service = PrivateServer::counter_service(std::chrono::microseconds(60'000'000), WORKBOOK_COUNTER_SERVICE);
    workbook::CounterClient blocked = service.connect({2000ms, 30000ms}), writer = service.connect({2000ms, 30000ms});
    blocked.ping();
    writer.ping();
    pid_t server = service.server_pid();
    std::thread killer([server] {
        std::this_thread::sleep_for(50ms);  // not a synchronisation: the call fails the same way at any moment
        ::kill(server, SIGKILL);
    });
    CHECK_THROWS_WITH_AS(blocked.incr("k"), "the counter service closed the connection (during INCR)", workbook::CounterError);
    killer.join();
    REQUIRE(vanishes_within(server, 15s));
    for (int i = 0; i < 10000; ++i) writer.send_incr("k");  // 300 KB to a dead socket: EPIPE, not a signal
    CHECK_THROWS_WITH_AS(writer.receive_integer(), "the counter service closed the connection (during INCR)", workbook::CounterError);
}
