// Chapter 14's registration while only its Asio variant is built here.
#include "asio_variant.hpp"

#include "workbook/chapter.hpp"

namespace workbook::chapter14 {

extern const Chapter chapter{
    .number = 14,
    .slug = "14_async_await",
    .title = "Count letters with async/await tasks on an event loop",
    .mechanism = "coroutine tasks on an event loop (asyncio)",
    .default_runs = 3,
    .takes_in_flight = true,
    .default_in_flight = 100,
    .variants = {
        {"asio", [](Events book, const Settings& settings) { return count_with_asio(book, settings); },
         "standalone Asio: co_spawn'd awaitables co_await each reply on Asio's own socket and io_context"},
    },
};

}  // namespace workbook::chapter14
