// Chapter 12: greenlets on a hub, as gevent runs them.
//
// The talk's closing "third party stuff": gevent "uses greenlet to provide a high-level
// synchronous API on top of the libevent event loop". One greenlet, the hub, runs the event loop
// (workbook::EventLoop); `--in-flight N` worker greenlets, a pool, each take the next event of the
// book, send its counter call (workbook::AsyncCounterClient) and, instead of blocking, wait on a
// Waiter (waiter.hpp): a switch to the hub. When the reply arrives, the loop's callback switches
// back to the waiting greenlet with it. The code of a worker reads like blocking code; the waits of
// N workers overlap on one thread. With local counters the reply is the loop's next turn, as
// gevent's `sleep(0)`.
// Cost per event: two greenlet switches (to the hub and back) and one callback of the loop; with a
// slow counter, one request sent and one reply read on the loop's socket, and the wait, which up to
// N events share.
#include "hub.hpp"

#include "waiter.hpp"

#include "workbook/async_counter_client.hpp"
#include "workbook/chapter.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/greenlet.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace workbook::chapter12 {

//! [count_on_hub]
LetterTypes count_on_hub(Events book, const Settings& settings, const std::function<void(std::size_t)>& on_wait) {
    const CounterEndpoint local_endpoint;
    const CounterEndpoint& endpoint = settings.counters ? settings.counters->endpoint() : local_endpoint;
    EventLoop loop;
    std::optional<AsyncCounterClient> client;  // none for local counters
    if (endpoint.kind != CounterKind::local) {
        try {
            client.emplace(loop, endpoint.socket_path, endpoint.server_name, endpoint.timeouts);
        } catch (const CounterError& failure) {
            throw ChapterError(failure.what());
        }
    }
    std::array<std::string, 3> keys;  // the run's key of each class's counter
    for (Letter letter : {Letter::vowel, Letter::consonant, Letter::other})
        keys[static_cast<std::size_t>(letter)] = endpoint.key_prefix + std::string(counter_name(letter));
    CounterEndpoint work_only;  // --work: burnt on the loop's thread before each request
    work_only.work = endpoint.work;
    CounterLink work{work_only};

    Greenlet hub{[&loop] { loop.run(); }};  // the hub's whole life: run the loop
    const std::size_t pool_size = std::min<std::size_t>(std::max<std::size_t>(settings.in_flight, 1), book.size());
    LetterTypes counts;
    std::size_t next = 0, running = 0, waiting = 0;
    std::exception_ptr failure;  // the first failed call; every other pending one fails the same way

    // A worker greenlet: the next event, its call, its wait on the hub; until the book runs out.
    auto worker = [&] {
        try {
            while (next < book.size() && !failure) {
                const Letter letter = classify(book[next++]);
                work.call(letter);
                Waiter waiter{hub};
                if (client) {
                    client->incr(keys[static_cast<std::size_t>(letter)],
                                 [&waiter](std::int64_t value, std::exception_ptr error) {
                                     error ? waiter.throw_into(error) : waiter.switch_to(value);
                                 });
                } else {
                    loop.call_soon([&waiter] { waiter.switch_to(0); });
                }
                if (++waiting; on_wait) on_wait(waiting);
                // The pool's last first call made: from here on, every greenlet of the pool waits.
                if (next == pool_size && settings.all_started != nullptr && !*settings.all_started)
                    *settings.all_started = std::chrono::steady_clock::now();
                waiter.get();  // to the hub, back with the reply
                --waiting;
                counts.add(letter);
            }
        } catch (const CounterError&) {
            if (!failure) failure = std::current_exception();
        }
        if (--running == 0 || failure) loop.stop();
    };  // returning ends the greenlet: the hub, its parent, goes on with its turn

    // gevent's spawn: a greenlet whose first switch comes from the loop. Greenlets are not movable,
    // so a deque keeps them where they were made. Each worker's stack is --stack-size (the hub, one,
    // keeps the default: the loop's callbacks run on it).
    const std::size_t stack_size = settings.stack_size != 0 ? settings.stack_size : Greenlet::default_stack_size;
    std::deque<Greenlet> pool;
    for (std::size_t i = 0; i < pool_size; ++i) {
        Greenlet& greenlet = pool.emplace_back(worker, hub, stack_size);
        loop.call_soon([&greenlet] { greenlet.switch_to(); });
        ++running;
    }
    if (!pool.empty()) hub.switch_to();  // the main greenlet joins the hub, which returns here when the loop stops
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const CounterError& error) {
            throw ChapterError(error.what());
        }
    }
    return counts;
}  // greenlets still waiting (after a failure) are unwound here, before the client and the loop go
//! [count_on_hub]

extern const Chapter chapter{
    .number = 12,
    .slug = "12_event_loop",
    .title = "Count letters with greenlets waiting on an event loop hub",
    .mechanism = "greenlets on an event loop hub (gevent)",
    .count = [](Events book, const Settings& settings) { return count_on_hub(book, settings); },
    .default_runs = 3,
    .takes_in_flight = true,
    .default_in_flight = 100,
    .takes_stack_size = true,
};

}  // namespace workbook::chapter12
