// Exercise 13: an errback that retries a failed request once.
//
// Chapter 13's Deferreds carry a counter call's reply, or its error, down a chain of callbacks and
// errbacks. A server that drops one request (a restart, a lost connection) fails that one call;
// Twisted's answer is an errback that makes the request again and returns its Deferred, so that
// the chain waits for the retry and goes on with its outcome. Write it.
#pragma once

#include "todo.hpp"
#include "workbook/counter_client.hpp"
#include "workbook/deferred.hpp"
#include "workbook/failure.hpp"

#include <cstdint>
#include <functional>

namespace exercise13 {

// Makes `request` once and returns the Deferred of its reply. If that Deferred fails with a
// workbook::CounterError, makes the request once more, and the returned Deferred has that retry's
// outcome: its value, or its error. Any other error (a bug, not the server) goes on down the
// errback branch at once, with no retry; so does a second CounterError: never a third request.
inline workbook::Deferred<std::int64_t> retry_once(std::function<workbook::Deferred<std::int64_t>()> request) {
    // TODO: make the request, and add an errback to its Deferred that lets only a CounterError
    //       through (Failure::trap) and returns a second request's Deferred.
    exercises::todo("exercise 13: retry_once() must make the request and retry it once from an errback", request);
}

}  // namespace exercise13
