// Chapter 13's parts, declared for its tests.
#pragma once

#include "workbook/letter_types.hpp"
#include "workbook/settings.hpp"

#include <cstddef>
#include <functional>

namespace workbook::chapter13 {

// How each of the `settings.in_flight` lanes goes from one event to the next.
enum class Style {
    chain,   // plain callback chains: each reply's callback counts it and starts the next event
    inline_  // inline_callbacks: a generator per lane yields each event's Deferred and waits on it
};

// Counts `book` on a workbook::EventLoop with Deferreds: `settings.in_flight` lanes each take the
// next event, make its counter call, a Deferred the loop fires with the reply, and go on when it
// fires. With local counters the loop fires it in its next turn. Throws ChapterError, naming the
// server, when a counter call fails. `on_wait`, for tests, is told how many Deferreds are waiting
// each time one more begins to.
LetterTypes count_with_deferreds(Events book, const Settings& settings, Style style,
                                 const std::function<void(std::size_t waiting)>& on_wait = {});

}  // namespace workbook::chapter13
