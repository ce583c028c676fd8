// Chapter 14's Asio variant, declared for its tests.
#pragma once

#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <cstddef>
#include <functional>

namespace workbook::chapter14 {

// Counts `book` with coroutines on standalone Asio: `settings.in_flight` coroutines (co_spawn'd
// awaitables) each take the next event, make its counter call and co_await the reply, pipelined on
// one Asio socket; with local counters each awaits a post to the io_context, one trip through its
// queue. Throws ChapterError, naming the server, when a counter call fails. `on_wait`, for tests,
// is told how many coroutines are waiting each time one more begins to.
LetterTypes count_with_asio(Events book, const Settings& settings,
                            const std::function<void(std::size_t waiting)>& on_wait = {});

}  // namespace workbook::chapter14
