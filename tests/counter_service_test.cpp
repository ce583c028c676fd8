// The counter service: its RESP replies, its commands, and the service on its socket (in this
// process, on a thread, and as the program workbook-counter-service).
#include "workbook/support/run_program.hpp"
#include "workbook/counter_client.hpp"
#include "workbook/counter_service.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <string_view>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using workbook::Reply;

namespace {

bool exists(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0;
}

// A private directory for one test's socket, removed at the end.
struct TempDir {
    std::string path;
    TempDir() {
        std::string pattern = "/tmp/workbook-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { ::rmdir(path.c_str()); }
};

// The service on a thread of this process, stopped by an eventfd.
struct ServiceThread {
    TempDir dir;
    std::string socket = dir.path + "/counter.sock";
    workbook::CounterService service;
    int stop = ::eventfd(0, EFD_CLOEXEC);
    std::thread thread;
    std::atomic<bool> failed{false};

    explicit ServiceThread(std::chrono::microseconds wait) : service(socket, wait) {
        thread = std::thread([this] {
            try {
                service.run(stop);
            } catch (const std::exception&) {
                failed = true;
            }
        });
    }
    ~ServiceThread() {
        std::uint64_t one = 1;
        (void)!::write(stop, &one, sizeof one);
        thread.join();
        ::close(stop);
    }
    workbook::CounterClient client(workbook::ClientTimeouts timeouts = {}) const {
        return workbook::CounterClient(socket, "the counter service", timeouts);
    }
};

// A raw connection, for the bytes themselves.
struct RawConnection {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    explicit RawConnection(const std::string& path) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path.copy(address.sun_path, sizeof address.sun_path - 1);
        REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
        timeval limit{10, 0};  // a test that would hang fails instead
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    }
    ~RawConnection() { close(); }
    void close() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
    void send(std::string_view bytes) const {
        REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
    }
    // Reads until `size` bytes came, or the end of the stream.
    std::string receive(std::size_t size) const {
        std::string got;
        char buffer[4096];
        while (got.size() < size) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) break;
            got.append(buffer, static_cast<std::size_t>(n));
        }
        return got;
    }
    // Reads until what came ends with `suffix`, or the end of the stream.
    std::string receive_until(std::string_view suffix) const {
        std::string got;
        char buffer[4096];
        while (got.size() < suffix.size() || got.compare(got.size() - suffix.size(), suffix.size(), suffix) != 0) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) break;
            got.append(buffer, static_cast<std::size_t>(n));
        }
        return got;
    }
    bool at_end() const {
        char byte;
        return ::read(fd, &byte, 1) == 0;
    }
};

std::string resp(std::initializer_list<std::string_view> words) {
    std::string out = "*" + std::to_string(words.size()) + "\r\n";
    for (std::string_view word : words) out += "$" + std::to_string(word.size()) + "\r\n" + std::string(word) + "\r\n";
    return out;
}

Reply run(workbook::CounterStore& store, std::initializer_list<std::string_view> words) {
    std::vector<std::string_view> request(words);
    return store.execute(request);
}

}  // namespace

TEST_CASE("append_resp formats each kind of reply as RESP") {
    std::string out;
    workbook::append_resp(out, {Reply::Kind::status, "PONG", 0});
    workbook::append_resp(out, {Reply::Kind::error, "ERR no", 0});
    workbook::append_resp(out, {Reply::Kind::integer, {}, -42});
    workbook::append_resp(out, {Reply::Kind::bulk, "12", 0});
    workbook::append_resp(out, {Reply::Kind::bulk, "", 0});
    workbook::append_resp(out, {Reply::Kind::nil, {}, 0});
    CHECK(out == "+PONG\r\n-ERR no\r\n:-42\r\n$2\r\n12\r\n$0\r\n\r\n$-1\r\n");
}

TEST_CASE("The store answers PING, INCR, INCRBY, GET and DEL as Redis does, in any case") {
    workbook::CounterStore store;
    CHECK(run(store, {"PING"}).text == "PONG");
    CHECK(run(store, {"ping", "hi"}).kind == Reply::Kind::bulk);
    CHECK(run(store, {"GET", "k"}).kind == Reply::Kind::nil);
    CHECK(run(store, {"INCR", "k"}).integer == 1);
    CHECK(run(store, {"incr", "k"}).integer == 2);
    CHECK(run(store, {"IncrBy", "k", "40"}).integer == 42);
    Reply got = run(store, {"GET", "k"});
    CHECK(got.kind == Reply::Kind::bulk);
    CHECK(got.text == "42");
    CHECK(run(store, {"DEL", "k", "other"}).integer == 1);
    CHECK(run(store, {"DEL", "k"}).integer == 0);
    CHECK(run(store, {"GET", "k"}).kind == Reply::Kind::nil);
}

TEST_CASE("An unknown command, a wrong number of arguments or a bad increment gets an error reply and changes nothing") {
    workbook::CounterStore store;
    run(store, {"INCR", "k"});
    Reply unknown = run(store, {"SET", "k", "7"});
    CHECK(unknown.kind == Reply::Kind::error);
    CHECK(unknown.text.rfind("ERR unknown command 'SET'", 0) == 0);
    CHECK(run(store, {"INCR"}).kind == Reply::Kind::error);
    CHECK(run(store, {"INCR", "k", "extra"}).kind == Reply::Kind::error);
    CHECK(run(store, {"INCRBY", "k", "seven"}).text == "ERR value is not an integer or out of range");
    CHECK(run(store, {"INCRBY", "k", "9223372036854775807"}).text == "ERR increment or decrement would overflow");
    CHECK(run(store, {"GET", "k"}).text == "1");
}

TEST_CASE("The service answers PING, INCR, GET and DEL on its socket, and an error reply for an unknown command") {
    ServiceThread service(0us);
    RawConnection raw(service.socket);
    raw.send(resp({"PING"}));
    CHECK(raw.receive(7) == "+PONG\r\n");
    raw.send(resp({"INCR", "vowel"}));
    CHECK(raw.receive(4) == ":1\r\n");
    raw.send(resp({"GET", "vowel"}));
    CHECK(raw.receive(7) == "$1\r\n1\r\n");
    raw.send(resp({"DEL", "vowel"}));
    CHECK(raw.receive(4) == ":1\r\n");
    raw.send(resp({"GET", "vowel"}));
    CHECK(raw.receive(5) == "$-1\r\n");
    raw.send(resp({"FLUSHALL"}) + resp({"PING"}));  // the connection stays usable after an error reply
    std::string rest = raw.receive_until("+PONG\r\n");
    CHECK(rest.rfind("-ERR unknown command 'FLUSHALL'", 0) == 0);
    CHECK(rest.size() > 7);
    CHECK(rest.substr(rest.size() - 7) == "+PONG\r\n");
    CHECK(std::count(rest.begin(), rest.end(), '\n') == 2);

    workbook::CounterClient client = service.client();
    client.ping();
    CHECK(client.incr("consonant") == 1);
    CHECK(client.incr("consonant") == 2);
    CHECK(client.get("consonant") == 2);
    CHECK(client.del("consonant"));
    CHECK_FALSE(client.get("consonant").has_value());
    CHECK_FALSE(client.del("consonant"));
    CHECK_FALSE(service.failed);
}

TEST_CASE("An INCR is never answered before the wait has passed since it was sent") {
    constexpr auto wait = 3000us;
    ServiceThread service(wait);
    workbook::CounterClient client = service.client();
    for (int i = 1; i <= 10; ++i) {
        auto sent = std::chrono::steady_clock::now();
        CHECK(client.incr("other") == i);
        CHECK(std::chrono::steady_clock::now() - sent >= wait);
    }
    auto sent = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) client.send_incr("pipelined");
    for (int i = 1; i <= 20; ++i) {
        CHECK(client.receive_integer() == i);
        CHECK(std::chrono::steady_clock::now() - sent >= wait);
    }
    client.ping();  // not delayed, but answered after the INCRs before it
}

TEST_CASE("Replies come back in the order of the requests, even when a later one is not delayed") {
    ServiceThread service(2000us);
    RawConnection raw(service.socket);
    raw.send(resp({"INCR", "k"}) + resp({"PING"}) + resp({"GET", "k"}) + resp({"INCR", "k"}) + resp({"DEL", "k"}));
    std::string expected = ":1\r\n+PONG\r\n$1\r\n1\r\n:2\r\n:1\r\n";
    CHECK(raw.receive(expected.size()) == expected);
}

TEST_CASE("1,000 requests pipelined on one connection are all answered, in order") {
    for (auto wait : {0us, 500us}) {
        CAPTURE(wait.count());
        ServiceThread service(wait);
        workbook::CounterClient client = service.client();
        for (int i = 0; i < 1000; ++i) client.send_incr("vowel");
        CHECK(client.in_flight() == 1000);
        int in_order = 0;
        for (int i = 1; i <= 1000; ++i) in_order += client.receive_integer() == i;
        CHECK(in_order == 1000);
        CHECK(client.get("vowel") == 1000);

        // The same in one write of raw bytes, 1,000 requests at once.
        RawConnection raw(service.socket);
        std::string requests, expected;
        for (int i = 1; i <= 1000; ++i) {
            requests += resp({"INCR", "raw"});
            expected += ":" + std::to_string(i) + "\r\n";
        }
        raw.send(requests);
        CHECK(raw.receive(expected.size()) == expected);
    }
}

TEST_CASE("Many connections at once are all served, each with its own replies") {
    ServiceThread service(200us);
    constexpr int clients = 16, requests = 40;
    std::vector<std::thread> threads;
    std::atomic<int> ordered{0}, failures{0};
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            try {
                workbook::CounterClient client = service.client();
                std::string own = "own" + std::to_string(t);
                std::int64_t last_shared = 0;
                bool in_order = true;
                for (int i = 1; i <= requests; ++i) {
                    in_order = in_order && client.incr(own) == i;
                    std::int64_t shared = client.incr("shared");
                    in_order = in_order && shared > last_shared;
                    last_shared = shared;
                }
                ordered += in_order;
            } catch (const std::exception&) {
                ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == 0);
    CHECK(ordered == clients);
    workbook::CounterClient client = service.client();
    CHECK(client.get("shared") == clients * requests);
    for (int t = 0; t < clients; ++t) CHECK(client.get("own" + std::to_string(t)) == requests);
}

TEST_CASE("A client that disconnects mid-request does not disturb the service or other clients") {
    ServiceThread service(1000us);
    workbook::CounterClient steady = service.client();
    CHECK(steady.incr("steady") == 1);
    steady.send_incr("steady");  // in flight while the others misbehave
    {
        RawConnection half(service.socket);
        half.send(resp({"INCR", "half"}).substr(0, 17));  // half a request, then gone
    }
    {
        RawConnection impatient(service.socket);
        std::string many;
        for (int i = 0; i < 100; ++i) many += resp({"INCR", "impatient"});
        impatient.send(many);  // gone before the replies are due
    }
    {
        RawConnection reset(service.socket);
        reset.send(resp({"INCR", "reset"}));
        linger abort_on_close{1, 0};  // close with a reset, not an orderly end
        ::setsockopt(reset.fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    }
    CHECK(steady.receive_integer() == 2);
    CHECK(steady.incr("steady") == 3);
    workbook::CounterClient later = service.client();
    CHECK_FALSE(later.get("half").has_value());
    CHECK(later.incr("later") == 1);
    CHECK_FALSE(service.failed);
}

TEST_CASE("Bytes that are not RESP get an error reply, then the connection is closed; a reply sent as a request is refused; others carry on") {
    ServiceThread service(0us);
    workbook::CounterClient other = service.client();
    RawConnection raw(service.socket);
    raw.send(resp({"INCR", "k"}) + "?what\r\n");
    std::string got = raw.receive(1000);
    CHECK(got.rfind(":1\r\n-ERR Protocol error", 0) == 0);
    CHECK(raw.at_end());
    RawConnection number(service.socket);
    number.send(":5\r\n");  // valid RESP, but not an array of bulk strings: refused, the connection stays
    CHECK(number.receive_until("\r\n") == "-ERR Protocol error: a request is an array of bulk strings\r\n");
    number.send(resp({"PING"}));
    CHECK(number.receive(7) == "+PONG\r\n");
    CHECK(other.incr("k") == 2);
}

TEST_CASE("The service refuses a socket path that exists, leaves that file alone, and removes only its own socket") {
    TempDir dir;
    std::string taken = dir.path + "/taken";
    std::ofstream(taken) << "not a socket";
    CHECK_THROWS_WITH_AS(workbook::CounterService(taken, 0us), doctest::Contains("already exists"), workbook::ServiceError);
    CHECK(exists(taken));
    ::unlink(taken.c_str());

    CHECK_THROWS_WITH_AS(workbook::CounterService(dir.path + "/" + std::string(200, 'x'), 0us),
                         doctest::Contains("socket path must have 1 to 107 bytes"), workbook::ServiceError);

    std::string socket = dir.path + "/counter.sock";
    {
        workbook::CounterService service(socket, 0us);
        CHECK(exists(socket));
    }
    CHECK_FALSE(exists(socket));
}

TEST_CASE("The client says which server it could not reach") {
    CHECK_THROWS_WITH_AS(workbook::CounterClient("/nonexistent/counter.sock", "the counter service"),
                         "cannot connect to the counter service at /nonexistent/counter.sock: No such file or directory",
                         workbook::CounterError);
}

TEST_CASE("A one-call command while pipelined replies are still due is a programming error, not a wrong answer") {
    ServiceThread service(0us);
    workbook::CounterClient client = service.client();
    client.send_incr("k");
    CHECK_THROWS_AS(client.incr("k"), std::logic_error);
    CHECK(client.receive_integer() == 1);
    CHECK_THROWS_AS(client.receive_integer(), std::logic_error);
    CHECK(client.incr("k") == 2);
}

// --- The program, run as a learner or a chapter runs it.

TEST_CASE("workbook-counter-service --help, and bad usage is one line and exit status 2") {
    auto help = workbook::support::run_program(WORKBOOK_COUNTER_SERVICE, {"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("usage: workbook-counter-service [--socket PATH] [--wait US] [--help]") != std::string::npos);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {}, {"--socket"}, {"--socket", "/tmp/x", "--wait", "soon"}, {"--socket", "/tmp/x", "--wait", "-1"}, {"--port", "6379"}}) {
        auto run = workbook::support::run_program(WORKBOOK_COUNTER_SERVICE, args);
        CHECK(run.status == 2);
        CHECK(run.out.empty());
        CHECK(run.err.rfind("workbook-counter-service: ", 0) == 0);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    }
}

TEST_CASE("workbook-counter-service exits with status 1 and one line when its socket path is taken") {
    TempDir dir;
    std::string taken = dir.path + "/taken";
    std::ofstream(taken) << "x";
    auto run = workbook::support::run_program(WORKBOOK_COUNTER_SERVICE, {"--socket", taken});
    CHECK(run.status == 1);
    CHECK(run.err.find("already exists") != std::string::npos);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK(exists(taken));
    ::unlink(taken.c_str());
}

TEST_CASE("workbook-counter-service says ready, serves, and on SIGTERM or SIGINT exits 0 and removes its socket") {
    for (int signal : {SIGTERM, SIGINT}) {
        CAPTURE(signal);
        TempDir dir;
        std::string socket = dir.path + "/counter.sock";
        int out[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        pid_t pid = ::fork();
        if (pid == 0) {
            ::dup2(out[1], 1);
            ::execl(WORKBOOK_COUNTER_SERVICE, WORKBOOK_COUNTER_SERVICE, "--socket", socket.c_str(), "--wait", "100", nullptr);
            ::_exit(127);
        }
        ::close(out[1]);
        char said[16] = {};
        CHECK(::read(out[0], said, sizeof said - 1) == 6);
        CHECK(std::string(said) == "ready\n");
        {
            workbook::CounterClient client(socket, "the counter service");
            CHECK(client.incr("k") == 1);
        }
        ::kill(pid, signal);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        CHECK_FALSE(exists(socket));
        ::close(out[0]);
    }
}

TEST_CASE("redis-cli, Redis's own client, talks to the counter service") {
    const std::string redis_cli = "/usr/bin/redis-cli";
    if (::access(redis_cli.c_str(), X_OK) != 0) {
        const char* ci = std::getenv("CI");
        if (ci && *ci && std::string(ci) != "false") FAIL("redis-cli is missing, and CI must run this test (Debian package redis-tools)");
        MESSAGE("skipped: redis-cli is not installed (Debian package redis-tools)");
        return;
    }
    ServiceThread service(100us);
    auto cli = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"-s", service.socket});
        return workbook::support::run_program(redis_cli, args);
    };
    CHECK(cli({"PING"}).out == "PONG\n");
    CHECK(cli({"INCR", "vowel"}).out == "1\n");
    CHECK(cli({"INCRBY", "vowel", "41"}).out == "42\n");
    CHECK(cli({"GET", "vowel"}).out == "42\n");
    CHECK(cli({"DEL", "vowel"}).out == "1\n");
    CHECK(cli({"GET", "vowel"}).out == "\n");  // nil, as redis-cli prints it when not on a terminal
    CHECK(cli({"HSET", "h", "f", "v"}).out.find("ERR unknown command 'HSET'") != std::string::npos);
}
