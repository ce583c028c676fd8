/// \file
/// \brief future_incr(): the non-blocking counter client's `INCR` as a Future a Task awaits, the
///        way an asyncio client (`redis.asyncio`) returns an awaitable of its reply.
#pragma once

#include "workbook/async_counter_client.hpp"
#include "workbook/future.hpp"

#include <cstdint>
#include <exception>
#include <string_view>
#include <utility>

namespace workbook {

/// Queues `INCR key` on `client` and returns the Future of its reply, on the client's loop: set
/// from the loop (never from inside this call) with the new count, or failed with the client's
/// CounterError, whose message names the server. A Future cancelled meanwhile drops the reply
/// when it comes. If the client is destroyed first, the Future is never set.
///
/// \code
/// workbook::PrivateServer service = workbook::PrivateServer::counter_service(std::chrono::microseconds(100));
/// workbook::EventLoop loop;
/// workbook::AsyncCounterClient client(loop, service.socket_path(), service.name());
/// auto count = workbook::run(loop, [&]() -> workbook::Task<std::int64_t> {
///     co_return co_await workbook::future_incr(client, "vowels");  // 1
/// });
/// \endcode
inline Future<std::int64_t> future_incr(AsyncCounterClient& client, std::string_view key) {
    Future<std::int64_t> reply(client.loop());
    client.incr(key, [reply](std::int64_t count, std::exception_ptr error) mutable {
        if (reply.done()) return;  // cancelled while the request was out
        if (error) {
            reply.set_exception(std::move(error));
        } else {
            reply.set_result(count);
        }
    });
    return reply;
}

}  // namespace workbook
