// workbook::deferred_incr(): an INCR on the non-blocking counter client as a Deferred, against a
// private counter service; docs/promises.md names each case with the rule it proves.
#include "workbook/deferred_incr.hpp"
#include "workbook/inline_callbacks.hpp"
#include "workbook/servers.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <signal.h>

using namespace std::chrono_literals;
using workbook::AsyncCounterClient;
using workbook::CounterError;
using workbook::DeferredGenerator;
using workbook::EventLoop;
using workbook::Failure;
using workbook::PrivateServer;

namespace {

DeferredGenerator<std::int64_t, std::int64_t> two_in_turn(AsyncCounterClient& client, std::vector<std::int64_t>& seen) {
    std::int64_t first = co_yield workbook::deferred_incr(client, "consonants");
    seen.push_back(first);
    std::int64_t second = co_yield workbook::deferred_incr(client, "consonants");
    seen.push_back(second);
    co_return first + second;
}

}  // namespace

TEST_CASE("deferred_incr fires its Deferred from the loop with the new count, and inline_callbacks waits on each in turn") {
    PrivateServer service = PrivateServer::counter_service(100us, WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());

    std::vector<std::int64_t> counts;
    std::vector<workbook::Deferred<std::int64_t>> replies;
    for (int i = 0; i < 3; ++i) {
        replies.push_back(workbook::deferred_incr(client, "vowels"));
        replies.back().add_callback([&](std::int64_t count) {
            counts.push_back(count);
            return count;
        });
    }
    CHECK_FALSE(replies.front().called());  // never fired from inside deferred_incr()

    std::vector<std::int64_t> seen;
    std::int64_t sum = 0;
    inline_callbacks(two_in_turn(client, seen)).add_callback([&](std::int64_t total) { sum = total; });
    CHECK(seen.empty());  // waiting for the first reply

    loop.run();
    CHECK(counts == std::vector<std::int64_t>{1, 2, 3});
    CHECK(seen == std::vector<std::int64_t>{1, 2});
    CHECK(sum == 3);
}

TEST_CASE("an INCR that fails errbacks its Deferred with the client's error naming the server") {
    PrivateServer service = PrivateServer::counter_service(std::chrono::microseconds(60s), WORKBOOK_COUNTER_SERVICE);
    EventLoop loop;
    AsyncCounterClient client(loop, service.socket_path(), service.name());
    std::vector<std::string> errors;
    for (int i = 0; i < 2; ++i) {
        workbook::deferred_incr(client, "others").add_errback([&](const Failure& failure) {
            errors.push_back(failure.check<CounterError>() ? failure.what() : "(not a CounterError)");
            return std::int64_t{0};
        });
    }
    pid_t server = service.server_pid();
    loop.call_soon([server] { REQUIRE(::kill(server, SIGKILL) == 0); });  // after the requests were written
    loop.run();
    CHECK(errors == std::vector<std::string>(2, "the counter service closed the connection (during INCR)"));
}
