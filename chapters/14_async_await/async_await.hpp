// Chapter 14's parts, declared for its tests.
#pragma once

#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <cstddef>
#include <functional>

namespace workbook::chapter14 {

// Counts `book` on a workbook::EventLoop with tasks: `settings.in_flight` workbook::Tasks each
// take the next event, make its counter call, a Future the loop sets with the reply, and await
// it; the main task gathers them. With local counters the loop sets each Future in its next turn.
// Throws ChapterError, naming the server, when a counter call fails. `on_wait`, for tests, is
// told how many Futures are awaited each time one more begins to be.
LetterTypes count_with_tasks(Events book, const Settings& settings,
                             const std::function<void(std::size_t waiting)>& on_wait = {});

}  // namespace workbook::chapter14
