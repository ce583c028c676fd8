// Chapter 12's parts, declared for its tests.
#pragma once

#include "workbook/counter_kinds.hpp"
#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <cstddef>
#include <functional>

namespace workbook::chapter12 {

// Counts `book` with `settings.in_flight` greenlets on a hub running a workbook::EventLoop: each
// greenlet takes the next event, makes its counter call and waits on the hub for the reply; the
// loop switches back to it with the reply. With local counters the reply is the loop's next turn.
// Throws ChapterError, naming the server, when a counter call fails; every waiting greenlet ends.
// `on_wait`, for tests, is told how many greenlets wait on the hub each time one more begins to.
LetterTypes count_on_hub(Events book, const Settings& settings,
                         const std::function<void(std::size_t waiting)>& on_wait = {});

}  // namespace workbook::chapter12
