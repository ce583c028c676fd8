// Tests of exercise 13. Run them with `./workbook check 13`.
#include "retry.hpp"

#include "workbook/counter_client.hpp"
#include "workbook/deferred.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/failure.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using exercise13::retry_once;
using workbook::CounterError;
using workbook::Deferred;
using workbook::EventLoop;
using workbook::Failure;

// A request whose replies are planned: each call makes a Deferred that the loop fires in its next
// turn with the next planned outcome, a count or an error, as a counter client's reply comes.
struct PlannedRequests {
    EventLoop& loop;
    std::deque<std::exception_ptr> errors;  // a null entry: that request succeeds
    int made = 0;

    Deferred<std::int64_t> operator()() {
        ++made;
        Deferred<std::int64_t> reply;
        std::exception_ptr error = errors.empty() ? nullptr : errors.front();
        if (!errors.empty()) errors.pop_front();
        const std::int64_t count = made * 10;
        loop.call_soon([reply, error, count]() mutable { error ? reply.errback(error) : reply.callback(count); });
        return reply;
    }
};

std::exception_ptr server_gone() { return std::make_exception_ptr(CounterError("the counter service closed the connection")); }

// The outcome of `deferred` once the loop has run: its value, or its error's message.
struct Outcome {
    std::optional<std::int64_t> value;
    std::string error;
};
Outcome outcome_of(EventLoop& loop, Deferred<std::int64_t> deferred) {
    Outcome outcome;
    deferred.add_callbacks([&outcome](std::int64_t value) { outcome.value = value; },
                           [&outcome](const Failure& failure) { outcome.error = failure.what(); });
    loop.run();
    return outcome;
}

}  // namespace

TEST_CASE("a request that succeeds is made once, and its reply goes down the callbacks") {
    EventLoop loop;
    PlannedRequests requests{loop, {nullptr}};
    const Outcome outcome = outcome_of(loop, retry_once(std::ref(requests)));
    CHECK(requests.made == 1);
    CHECK(outcome.value == 10);
    CHECK(outcome.error.empty());
}

TEST_CASE("a request that fails with a counter error is made again, and the retry's reply goes down the callbacks") {
    EventLoop loop;
    PlannedRequests requests{loop, {server_gone(), nullptr}};
    const Outcome outcome = outcome_of(loop, retry_once(std::ref(requests)));
    CHECK(requests.made == 2);
    CHECK(outcome.value == 20);
    CHECK(outcome.error.empty());
}

TEST_CASE("the retry is made when the first request fails, from the loop, not at once") {
    EventLoop loop;
    PlannedRequests requests{loop, {server_gone(), nullptr}};
    Deferred<std::int64_t> reply = retry_once(std::ref(requests));
    CHECK(requests.made == 1);
    const Outcome outcome = outcome_of(loop, std::move(reply));
    CHECK(requests.made == 2);
    CHECK(outcome.value == 20);
}

TEST_CASE("a retry that fails too goes down the errbacks with its own error, and no third request is made") {
    EventLoop loop;
    PlannedRequests requests{loop, {server_gone(), std::make_exception_ptr(CounterError("Redis did not answer"))}};
    const Outcome outcome = outcome_of(loop, retry_once(std::ref(requests)));
    CHECK(requests.made == 2);
    CHECK_FALSE(outcome.value);
    CHECK(outcome.error == "Redis did not answer");
}

TEST_CASE("an error that is not a counter error goes down the errbacks at once, with no retry") {
    EventLoop loop;
    PlannedRequests requests{loop, {std::make_exception_ptr(std::logic_error("a bug in the caller")), nullptr}};
    const Outcome outcome = outcome_of(loop, retry_once(std::ref(requests)));
    CHECK(requests.made == 1);
    CHECK_FALSE(outcome.value);
    CHECK(outcome.error == "a bug in the caller");
}

TEST_CASE("each of several requests is retried on its own, at most once, and the chain of each gets its own outcome") {
    EventLoop loop;
    // The first requests of A, B and C: failed, answered, failed; then A's retry fails, C's is answered.
    PlannedRequests requests{loop, {server_gone(), nullptr, server_gone(), server_gone(), nullptr}};
    std::vector<Outcome> outcomes(3);
    for (Outcome& outcome : outcomes) {
        retry_once(std::ref(requests)).add_callbacks([&outcome](std::int64_t value) { outcome.value = value; },
                                                     [&outcome](const Failure& failure) { outcome.error = failure.what(); });
    }
    CHECK(requests.made == 3);
    loop.run();
    CHECK(requests.made == 5);
    CHECK_FALSE(outcomes[0].value);
    CHECK(outcomes[0].error == "the counter service closed the connection");
    CHECK(outcomes[1].value == 20);
    CHECK(outcomes[2].value == 50);
}
