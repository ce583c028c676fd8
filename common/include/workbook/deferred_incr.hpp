/// \file
/// \brief deferred_incr(): the non-blocking counter client's `INCR` as a Deferred, the way a
///        Twisted protocol returns a Deferred of its reply.
#pragma once

#include "workbook/async_counter_client.hpp"
#include "workbook/deferred.hpp"

#include <cstdint>
#include <exception>
#include <string_view>
#include <utility>

namespace workbook {

/// Queues `INCR key` on `client` and returns the Deferred of its reply: fired from the loop (never
/// from inside this call) with the new count, or errbacked with the client's CounterError, whose
/// message names the server. Twisted's "Generating Deferreds": make one, hand it back at once,
/// fire it when the data arrives. If the client is destroyed first, the Deferred never fires.
///
/// \code
/// workbook::PrivateServer service = workbook::PrivateServer::counter_service(std::chrono::microseconds(100));
/// workbook::EventLoop loop;
/// workbook::AsyncCounterClient client(loop, service.socket_path(), service.name());
/// workbook::deferred_incr(client, "vowels").add_callbacks(
///     [](std::int64_t count) { std::printf("vowels=%lld\n", static_cast<long long>(count)); },
///     [](const workbook::Failure& failure) { std::fprintf(stderr, "%s\n", failure.what().c_str()); });
/// loop.run();
/// \endcode
inline Deferred<std::int64_t> deferred_incr(AsyncCounterClient& client, std::string_view key) {
    Deferred<std::int64_t> reply;
    client.incr(key, [reply](std::int64_t count, std::exception_ptr error) mutable {
        if (error) {
            reply.errback(std::move(error));
        } else {
            reply.callback(count);
        }
    });
    return reply;
}

}  // namespace workbook
