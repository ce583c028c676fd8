// workbook::future_incr(): an INCR on the non-blocking counter client as a Future a Task awaits,
// against a private counter service; docs/promises.md names each case with the rule it proves.
#include "workbook/future_incr.hpp"
#include "workbook/servers.hpp"
#include "workbook/task.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <signal.h>

using namespace std::chrono_literals;
using workbook::AsyncCounterClient;
using workbook::CounterError;
using workbook::EventLoop;
using workbook::Future;
using workbook::PrivateServer;
using workbook::Task;

namespace {

Task<std::int64_t> two_in_turn(AsyncCounterClient& client, std::vector<std::int64_t>& seen) {
    const std::int64_t first = co_await workbook::future_incr(client, "consonants");
    seen.push_back(first);
    const std::int64_t second = co_await workbook::future_incr(client, "consonants");
    seen.push_back(second);
    co_return first + second;
}

Task<std::string> error_of(Future<std::int64_t> reply) {
    try {
        (void)co_await reply;
        co_return "(no error)";
    } catch (const CounterError& error) {
        co_return error.what();
    } catch (...) {
        co_return "(not a CounterError)";
    }
}

}  // namespace

TEST_CASE("future_incr's Future is set from the loop with the new count, and a task awaits each in turn") {
    PrivateServer service = PrivateServer::counter_service(100us, WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());
    std::vector<std::int64_t> seen;
    const std::int64_t sum = workbook::run(loop, [&]() -> Task<std::int64_t> {
        std::vector<Future<std::int64_t>> replies;
        for (int i = 0; i < 3; ++i) replies.push_back(workbook::future_incr(client, "vowels"));
        CHECK_FALSE(replies.front().done());  // never set from inside future_incr()
        std::vector<std::int64_t> counts;
        for (Future<std::int64_t>& reply : replies) counts.push_back(co_await reply);
        CHECK(counts == std::vector<std::int64_t>{1, 2, 3});
        co_return co_await two_in_turn(client, seen);
    });
    CHECK(seen == std::vector<std::int64_t>{1, 2});
    CHECK(sum == 3);
}

TEST_CASE("an INCR that fails raises the client's error naming the server at every await") {
    PrivateServer service = PrivateServer::counter_service(std::chrono::microseconds(60s), WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());
    const pid_t server = service.server_pid();
    const std::vector<std::string> errors = workbook::run(loop, [&]() -> Task<std::vector<std::string>> {
        Task<std::string> first = error_of(workbook::future_incr(client, "others"));
        Task<std::string> second = error_of(workbook::future_incr(client, "others"));
        loop.call_soon([server] { REQUIRE(::kill(server, SIGKILL) == 0); });  // after the requests were written
        std::vector<std::string> seen;
        seen.push_back(co_await first);
        seen.push_back(co_await second);
        co_return seen;
    });
    CHECK(errors == std::vector<std::string>(2, "the counter service closed the connection (during INCR)"));
}
