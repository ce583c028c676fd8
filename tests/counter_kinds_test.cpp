// The counter kinds every chapter calls through: settings checked as a whole, a backend per process
// (a private counter service or redis-server, or the user's Redis), links that count exactly what
// they are called with, in threads and in forked children, clear errors when a server dies, and
// nothing left behind.
#include "redis_testing.hpp"
#include "workbook/counter_kinds.hpp"

#include "workbook/book.hpp"
#include "workbook/burn.hpp"
#include "workbook/runner.hpp"
#include "workbook/servers.hpp"
#include "workbook/settings.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <latch>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using workbook::ChapterError;
using workbook::CounterBackend;
using workbook::CounterKind;
using workbook::CounterLink;
using workbook::CounterSettings;
using workbook::Letter;
using workbook::LetterTypes;
using workbook::UsageError;

namespace {

using workbook::testing::redis_or_skip;

const workbook::CounterPrograms programs{WORKBOOK_COUNTER_SERVICE, "redis-server"};

bool exists(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0;
}




CounterSettings kind(CounterKind chosen, std::int64_t work_ns = 0) {
    CounterSettings settings;
    settings.kind = chosen;
    settings.work_ns = work_ns;
    return settings;
}

// Whether `pid`, a server, is gone: reaped by its keeper, so no /proc entry is left. The server is
// the keeper's child, not ours, so its death is observed in /proc. A zombie is not enough: the
// leader of a multi-threaded server (redis-server) turns zombie while its other threads still
// exit, and until the last of them has, its listening socket still accepts connections.
bool dead(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    return !std::getline(stat, line);
}

// Waiting for the kernel to deliver a SIGKILL is the point here, hence the deadline (a generous
// one: it is never reached unless the kill failed).
bool dies_within(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!dead(pid)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Whether `pid` is a process in the stopped state ('T'): a SIGSTOP has taken effect.
bool stopped(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto state = line.find(") ");
    return state != std::string::npos && state + 2 < line.size() && line[state + 2] == 'T';
}

bool stops_within(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!stopped(pid)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// The calls a chapter makes for `events`: one per event, to its class's counter.
void call_for_each(CounterLink& link, workbook::Events events) {
    for (unsigned char c : events) link.call(workbook::classify(c));
}

// Runs `child` in a forked child; its exit status: 0 when it returned true, 1 when false, 2 when it threw.
int in_child(const std::function<bool()>& child) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int status = 2;
        try {
            status = child() ? 0 : 1;
        } catch (...) {
        }
        std::fflush(nullptr);
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

// The server kinds this machine can run: the counter service, and a private Redis unless skipped.
std::vector<CounterKind> server_kinds() {
    std::vector<CounterKind> kinds{CounterKind::service};
    if (redis_or_skip()) kinds.push_back(CounterKind::redis);
    return kinds;
}

}  // namespace

TEST_CASE("A counter kind is named as --counter takes it, and a counter as the talk names it") {
    for (CounterKind chosen : {CounterKind::local, CounterKind::service, CounterKind::redis})
        CHECK(workbook::counter_kind_named(workbook::counter_kind_name(chosen)) == chosen);
    CHECK(workbook::counter_kind_name(CounterKind::local) == "local");
    CHECK_FALSE(workbook::counter_kind_named("Service").has_value());
    CHECK_FALSE(workbook::counter_kind_named("").has_value());
    for (Letter letter : {Letter::vowel, Letter::consonant, Letter::other})
        CHECK(workbook::letter_of_counter(workbook::counter_name(letter)) == letter);
    CHECK(workbook::counter_name(Letter::vowel) == "vowel");
    CHECK_FALSE(workbook::letter_of_counter("vowels").has_value());
}

TEST_CASE("A counter call waits for its reply a second, or ten times the wait when that is longer") {
    CHECK(workbook::reply_timeout_for(0us) == 1000ms);
    CHECK(workbook::reply_timeout_for(100'000us) == 1000ms);
    CHECK(workbook::reply_timeout_for(100'001us) == 1001ms);
    CHECK(workbook::reply_timeout_for(2s) == 20s);
}

TEST_CASE("Validation refuses --wait without --counter service, --redis without --counter redis, and values out of range") {
    CounterSettings wait_local;
    wait_local.wait_us = 0;  // given, even as 0
    CHECK_THROWS_WITH_AS(wait_local.validate(),
                         "--wait is for --counter service (how long the counter service waits before it answers), not for --counter local",
                         UsageError);
    CounterSettings wait_redis = kind(CounterKind::redis);
    wait_redis.wait_us = 100;
    CHECK_THROWS_WITH_AS(wait_redis.validate(), doctest::Contains("not for --counter redis"), UsageError);

    CounterSettings socket_service = kind(CounterKind::service);
    socket_service.redis_socket = "/run/redis/redis.sock";
    CHECK_THROWS_WITH_AS(socket_service.validate(),
                         "--redis is for --counter redis (the Unix socket of your running Redis), not for --counter service",
                         UsageError);
    CounterSettings socket_local;
    socket_local.redis_socket = "/run/redis/redis.sock";
    CHECK_THROWS_WITH_AS(socket_local.validate(), doctest::Contains("not for --counter local"), UsageError);

    CounterSettings negative_wait = kind(CounterKind::service);
    negative_wait.wait_us = -1;
    CHECK_THROWS_WITH_AS(negative_wait.validate(), "--wait needs a whole number of microseconds from 0 to 3600000000, got '-1'",
                         UsageError);
    CounterSettings negative_work;
    negative_work.work_ns = -20;
    CHECK_THROWS_WITH_AS(negative_work.validate(), "--work needs a whole number of nanoseconds from 0 to 1000000000, got '-20'",
                         UsageError);
    CounterSettings empty_socket = kind(CounterKind::redis);
    empty_socket.redis_socket = "";
    CHECK_THROWS_WITH_AS(empty_socket.validate(), "--redis needs the path of a Unix socket, got ''", UsageError);
    CounterSettings long_socket = kind(CounterKind::redis);
    long_socket.redis_socket = "/" + std::string(200, 's');
    CHECK_THROWS_WITH_AS(long_socket.validate(), "--redis: the path is too long for a Unix socket (201 bytes, at most 107)",
                         UsageError);

    // What is allowed: every kind, with work; --wait with service; --redis with redis.
    CounterSettings fine = kind(CounterKind::service, 500);
    fine.wait_us = 100;
    CHECK_NOTHROW(fine.validate());
    CounterSettings users_redis = kind(CounterKind::redis);
    users_redis.redis_socket = "/run/redis/redis.sock";
    CHECK_NOTHROW(users_redis.validate());
    CHECK_NOTHROW(kind(CounterKind::local, 1000).validate());
    CHECK_NOTHROW(CounterSettings{}.validate());

    // The backend validates too, before it starts anything.
    CHECK_THROWS_AS(CounterBackend(wait_local, programs), UsageError);
}

TEST_CASE("The settings describe themselves in a few words") {
    CHECK(CounterSettings{}.describe() == "local");
    CounterSettings service = kind(CounterKind::service, 300);
    service.wait_us = 100;
    CHECK(service.describe() == "the counter service (wait 100 us), work 300 ns per call");
    CHECK(kind(CounterKind::redis).describe() == "a private redis-server");
    CounterSettings users = kind(CounterKind::redis);
    users.redis_socket = "/run/redis/redis.sock";
    CHECK(users.describe() == "Redis at /run/redis/redis.sock");
    CHECK(CounterSettings{}.calls_out() == false);
    CHECK(kind(CounterKind::local, 1).calls_out());
    CHECK(kind(CounterKind::service).calls_out());
}

TEST_CASE("Local counters without work: the link does nothing, no server is started, and there are no server totals") {
    CounterBackend counters(CounterSettings{}, programs);
    CHECK(counters.server() == nullptr);
    CounterLink link = counters.link();
    CHECK_FALSE(link.active());
    CHECK(link.client() == nullptr);
    for (int i = 0; i < 1000; ++i) link.call(Letter::vowel);
    link.call("consonant");
    CHECK(link.iterations_burnt() == 0);
    CHECK_FALSE(counters.totals().has_value());
    CHECK_NOTHROW(counters.check_totals({1000, 1, 0}));
    CHECK_NOTHROW(counters.reset());

    // A chapter's settings without a backend give the same do-nothing link.
    workbook::Settings settings;
    CHECK_FALSE(settings.link().active());
    settings.counters = &counters;
    CHECK_FALSE(settings.link().active());
}

TEST_CASE("Local counters with work: each call burns its work's iterations, and still no server") {
    CounterBackend counters(kind(CounterKind::local, 2000), programs);
    CHECK(counters.server() == nullptr);
    workbook::Settings settings;
    settings.counters = &counters;
    CounterLink link = settings.link();
    CHECK(link.active());
    CHECK(link.client() == nullptr);
    for (int i = 0; i < 50; ++i) link.call(Letter::other);
    std::uint64_t per_call = workbook::CpuBurner::calibrated().iterations_for(2000ns);
    CHECK(per_call > 0);
    CHECK(link.iterations_burnt() == 50 * per_call);
    CHECK_FALSE(counters.totals().has_value());
}

TEST_CASE("A link of each server kind counts exactly the calls it is given, read back by totals(), reset between runs") {
    auto book = workbook::Book::default_book(3000);
    LetterTypes expected = workbook::reference_count(book.events());
    for (CounterKind chosen : server_kinds()) {
        CAPTURE(workbook::counter_kind_name(chosen));
        CounterBackend counters(kind(chosen), programs);
        REQUIRE(counters.server() != nullptr);
        workbook::Settings settings;
        settings.counters = &counters;
        CounterLink link = settings.link();
        CHECK(link.active());
        CHECK(counters.totals() == LetterTypes{});
        call_for_each(link, book.events());
        CHECK(counters.totals() == expected);
        CHECK_NOTHROW(counters.check_totals(expected));
        LetterTypes one_lost = expected;
        ++one_lost.others;
        std::string mismatch = counters.server()->name() + " counted vowels=" + std::to_string(expected.vowels) + " consonants=" +
                               std::to_string(expected.consonants) + " others=" + std::to_string(expected.others) +
                               ", but the chapter counted vowels=" + std::to_string(expected.vowels) +
                               " consonants=" + std::to_string(expected.consonants) + " others=" + std::to_string(one_lost.others);
        CHECK_THROWS_WITH_AS(counters.check_totals(one_lost), mismatch.c_str(), ChapterError);

        counters.reset();
        CHECK(counters.totals() == LetterTypes{});
        link.call("vowel");
        link.call(Letter::consonant);
        CHECK(counters.totals() == LetterTypes{1, 1, 0});
        // The counts are on the run's own keys.
        CHECK(link.key(Letter::vowel) == counters.endpoint().key_prefix + "vowel");
        CHECK(link.client()->get(link.key(Letter::vowel)) == 1);
        CHECK_THROWS_AS(link.call("vowels"), std::invalid_argument);
    }
}

TEST_CASE("Work combines with a server kind: the call burns its work, then counts") {
    CounterSettings settings = kind(CounterKind::service, 1000);
    settings.wait_us = 50;
    CounterBackend counters(settings, programs);
    CounterLink link = counters.link();
    for (int i = 0; i < 20; ++i) link.call(Letter::vowel);
    CHECK(link.iterations_burnt() == 20 * workbook::CpuBurner::calibrated().iterations_for(1000ns));
    CHECK(counters.totals() == LetterTypes{20, 0, 0});
}

TEST_CASE("A link keeps its pipelined calls: queued INCRs are answered in order on the run's keys") {
    CounterBackend counters(kind(CounterKind::service), programs);
    CounterLink link = counters.link();
    workbook::CounterClient* client = link.client();
    REQUIRE(client != nullptr);
    for (int i = 0; i < 100; ++i) client->send_incr(link.key(Letter::other));
    int in_order = 0;
    for (int i = 1; i <= 100; ++i) in_order += client->receive_integer() == i;
    CHECK(in_order == 100);
    CHECK(counters.totals() == LetterTypes{0, 0, 100});
}

TEST_CASE("A link made in a forked child counts on its own connection, and the parent's totals see it") {
    auto book = workbook::Book::default_book(1000);
    LetterTypes expected = workbook::reference_count(book.events());
    for (CounterKind chosen : server_kinds()) {
        CAPTURE(workbook::counter_kind_name(chosen));
        CounterBackend counters(kind(chosen), programs);
        workbook::Settings settings;
        settings.counters = &counters;
        CounterLink parent = settings.link();
        parent.call(Letter::vowel);
        int status = in_child([&] {
            CounterLink child = settings.link();  // the child's own, from its copy of the backend's data
            call_for_each(child, book.events());
            return child.active();
        });
        CHECK(status == 0);
        LetterTypes both = expected;
        ++both.vowels;
        CHECK(counters.totals() == both);
        parent.call(Letter::vowel);  // the parent's connection was not disturbed
        ++both.vowels;
        CHECK(counters.totals() == both);
    }
}

TEST_CASE("A parent's link used in a forked child is refused with one line, and the parent's connection is untouched") {
    CounterBackend counters(kind(CounterKind::service), programs);
    CounterLink parent = counters.link();
    parent.call(Letter::consonant);
    int status = in_child([&] {
        try {
            parent.call(Letter::consonant);
            return false;
        } catch (const ChapterError& refused) {
            std::string message = refused.what();
            return message.find("a counter link to the counter service was used in process") == 0 &&
                   message.find("(a forked child makes its own link)") != std::string::npos;
        }
    });
    CHECK(status == 0);
    // Nor may the child read or reset through the backend's own connection.
    CHECK(in_child([&] {
              try {
                  counters.totals();
                  return false;
              } catch (const ChapterError& refused) {
                  return std::string(refused.what()) ==
                         "only the process that made the counters reads the totals (a forked child makes its own link)";
              }
          }) == 0);
    parent.call(Letter::consonant);
    CHECK(counters.totals() == LetterTypes{0, 2, 0});
}

TEST_CASE("A forked child's copy of the backend, stopped or destroyed, leaves the parent's server running") {
    CounterBackend counters(kind(CounterKind::service), programs);
    CounterLink link = counters.link();
    pid_t server = counters.server()->server_pid();
    CHECK(in_child([&] {
              counters.stop();  // as its destructor would, at the child's exit
              return true;
          }) == 0);
    CHECK_FALSE(dead(server));
    link.call(Letter::other);
    CHECK(counters.totals() == LetterTypes{0, 0, 1});
}

TEST_CASE("Links in several threads, one each, count exactly") {
    constexpr int threads = 4, calls = 200;
    for (CounterKind chosen : server_kinds()) {
        CAPTURE(workbook::counter_kind_name(chosen));
        CounterBackend counters(kind(chosen), programs);
        workbook::Settings settings;
        settings.counters = &counters;
        std::latch start(threads);
        std::vector<std::thread> workers;
        std::vector<int> failures(threads, 0);
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                try {
                    CounterLink link = settings.link();
                    start.arrive_and_wait();  // all connected, then all calling at once
                    for (int i = 0; i < calls; ++i) link.call(static_cast<Letter>(i % 3));
                } catch (const std::exception&) {
                    failures[static_cast<std::size_t>(t)] = 1;
                }
            });
        }
        for (auto& worker : workers) worker.join();
        CHECK(std::count(failures.begin(), failures.end(), 1) == 0);
        // 200 calls cycle vowel, consonant, other: 67, 67, 66 per thread.
        CHECK(counters.totals() == LetterTypes{threads * 67, threads * 67, threads * 66});
    }
}

TEST_CASE("A server killed mid-run: the link's next call throws one line naming it, and so do totals; the backend still cleans up") {
    for (CounterKind chosen : server_kinds()) {
        CAPTURE(workbook::counter_kind_name(chosen));
        std::string directory;
        pid_t keeper = -1;
        {
            CounterBackend counters(kind(chosen), programs);
            directory = counters.server()->directory();
            keeper = counters.server()->keeper_pid();
            CounterLink link = counters.link();
            link.call(Letter::vowel);
            pid_t server = counters.server()->server_pid();
            REQUIRE(::kill(server, SIGKILL) == 0);
            REQUIRE(dies_within(server, 15s));
            std::string expected = counters.server()->name() + " closed the connection (during INCR)";
            CHECK_THROWS_WITH_AS(link.call(Letter::vowel), expected.c_str(), ChapterError);
            CHECK_THROWS_WITH_AS(link.call(Letter::vowel), expected.c_str(), ChapterError);  // and every later call
            CHECK_THROWS_WITH_AS(counters.totals(), doctest::Contains(counters.server()->name().c_str()), ChapterError);
            std::string refused = "cannot connect to " + counters.server()->name() + " at " + counters.endpoint().socket_path;
            CHECK_THROWS_WITH_AS(counters.link(), doctest::Contains(refused.c_str()), ChapterError);
        }
        CHECK(::waitpid(keeper, nullptr, WNOHANG) == -1);  // reaped by the backend: no zombie
        CHECK(errno == ECHILD);
        CHECK_FALSE(exists(directory));
    }
}

TEST_CASE("A server that stops answering: the link's call throws after the reply timeout, not a hang") {
    CounterBackend counters(kind(CounterKind::service), programs);
    CounterLink link = counters.link();
    link.call(Letter::vowel);
    pid_t server = counters.server()->server_pid();
    REQUIRE(::kill(server, SIGSTOP) == 0);
    REQUIRE(stops_within(server, 15s));
    CHECK_THROWS_WITH_AS(link.call(Letter::vowel), "the counter service did not answer INCR within 1000 ms", ChapterError);
    ::kill(server, SIGCONT);
}

TEST_CASE("The backend leaves nothing behind: its server and keeper reaped, its socket and directory gone") {
    for (CounterKind chosen : server_kinds()) {
        CAPTURE(workbook::counter_kind_name(chosen));
        pid_t server = -1, keeper = -1;
        std::string directory, socket;
        {
            CounterBackend counters(kind(chosen), programs);
            server = counters.server()->server_pid();
            keeper = counters.server()->keeper_pid();
            directory = counters.server()->directory();
            socket = counters.endpoint().socket_path;
            CHECK(exists(socket));
            CounterLink link = counters.link();
            link.call(Letter::other);
        }
        CHECK(::waitpid(keeper, nullptr, WNOHANG) == -1);
        CHECK(errno == ECHILD);
        CHECK(dead(server));  // reaped by its keeper before the keeper exited: no /proc entry left
        CHECK_FALSE(exists(socket));
        CHECK_FALSE(exists(directory));
    }
    // stop() is the same, and idempotent.
    CounterBackend counters(kind(CounterKind::service), programs);
    std::string directory = counters.server()->directory();
    counters.stop();
    counters.stop();
    CHECK_FALSE(exists(directory));
    CHECK(counters.server() == nullptr);
    CHECK_THROWS_WITH_AS(counters.totals(), "the counters were stopped: no totals to read", ChapterError);
}

TEST_CASE("With --redis, the user's Redis counts under keys of the run's own, deleted at the end; the server keeps running") {
    if (!redis_or_skip()) return;
    workbook::PrivateServer users = workbook::PrivateServer::redis();  // stands for the user's running Redis
    workbook::CounterClient theirs = users.connect();
    CHECK(theirs.incr("vowel") == 1);  // someone else's key, of the same name
    CounterSettings settings = kind(CounterKind::redis);
    settings.redis_socket = users.socket_path();
    std::string prefix, other_prefix;
    {
        CounterBackend counters(settings, programs), second(settings, programs);
        CHECK(counters.server() == nullptr);
        prefix = counters.endpoint().key_prefix;
        other_prefix = second.endpoint().key_prefix;
        CHECK(prefix.rfind("workbook:", 0) == 0);
        CHECK(prefix != other_prefix);
        CounterLink link = counters.link(), second_link = second.link();
        link.call(Letter::vowel);
        link.call(Letter::vowel);
        link.call(Letter::other);
        second_link.call(Letter::vowel);
        CHECK(counters.totals() == LetterTypes{2, 0, 1});
        CHECK(second.totals() == LetterTypes{1, 0, 0});
        CHECK(theirs.get(prefix + "vowel") == 2);
    }
    CHECK_FALSE(theirs.get(prefix + "vowel").has_value());
    CHECK_FALSE(theirs.get(prefix + "other").has_value());
    CHECK_FALSE(theirs.get(other_prefix + "vowel").has_value());
    CHECK(theirs.get("vowel") == 1);  // not ours: kept
    theirs.ping();                    // and the server still runs
}

TEST_CASE("An unreachable --redis is one ChapterError naming Redis and the path") {
    CounterSettings settings = kind(CounterKind::redis);
    settings.redis_socket = "/nonexistent/workbook/redis.sock";
    CHECK_THROWS_WITH_AS(CounterBackend(settings, programs),
                         "cannot connect to Redis at /nonexistent/workbook/redis.sock: No such file or directory", ChapterError);
}

TEST_CASE("A missing redis-server is one ChapterError naming its Debian package") {
    CHECK_THROWS_WITH_AS(CounterBackend(kind(CounterKind::redis), {WORKBOOK_COUNTER_SERVICE, "workbook-no-such-redis-server"}),
                         "--counter redis: workbook-no-such-redis-server is not installed (it is in the Debian package "
                         "redis-server: apt-get install redis-server)",
                         ChapterError);
}
