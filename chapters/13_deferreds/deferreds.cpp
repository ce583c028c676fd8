// Chapter 13: Deferreds, as Twisted manages its callbacks, on chapter 12's event loop.
//
// The talk: "Twisted uses the Deferred object to manage the callback sequence. A series of
// functions are attached to the deferred to be called when the results of the asynchronous
// request are available." Each counter call returns at once a workbook::Deferred, which the loop
// (workbook::EventLoop) fires when the reply arrives (workbook::deferred_incr); `--in-flight N`
// lanes keep N of them waiting. `--variant chain`: a lane is a plain chain, the Deferred's callback
// counts the event and makes the next call, its errback keeps the failure. `inline` (the default):
// a lane is a generator driven by workbook::inline_callbacks, Twisted's inlineCallbacks; it yields
// each call's Deferred and is resumed with its reply: chapter 06's trampoline again, with the event
// loop between its bounces. With local counters the loop fires each Deferred in its next turn.
// Cost per event: one Deferred (a shared state, one link on its chain) and one callback of the
// loop, and for `inline` one resume of the generator; with a slow counter, one request sent and
// one reply read on the loop's socket, and the wait, which up to N events share.
#include "deferreds.hpp"

#include "workbook/async_counter_client.hpp"
#include "workbook/async_counter_link.hpp"
#include "workbook/chapter.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/deferred_incr.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/inline_callbacks.hpp"

#include <algorithm>
#include <optional>

namespace workbook::chapter13 {
namespace {

// What the lanes share. The counters' link is the last member, so it goes first, and with its
// client every Deferred still waiting (after a failure), then the loop and what its queue holds.
struct Run {
    Run(Events events, const CounterEndpoint& endpoint, const std::function<void(std::size_t)>& waits)
        : book(events), on_wait(waits), counters(loop, endpoint) {}
    bool more() const { return next < book.size() && !failure; }
    // An event's counter call (its work burnt first, on the loop's thread): a Deferred of the
    // reply, fired by the loop.
    Deferred<std::int64_t> call(Letter letter) {
        counters.burn(letter);
        AsyncCounterClient* client = counters.client();  // none for local counters
        Deferred<std::int64_t> reply = client ? deferred_incr(*client, counters.key(letter)) : Deferred<std::int64_t>{};
        if (!client) loop.call_soon([reply]() mutable { reply.callback(0); });
        if (on_wait) on_wait(next - counts.total());  // calls made, less replies counted
        return reply;
    }
    void fail(const Failure& error) {  // the first failure; the others are the same one
        if (!failure) failure = error.error();
        loop.stop();
    }

    Events book;
    const std::function<void(std::size_t)>& on_wait;
    LetterTypes counts;
    std::size_t next = 0;
    std::exception_ptr failure;
    EventLoop loop;
    AsyncCounterLink counters;
};

//! [chain]
// A plain chain of two steps: the reply's callback counts the event; the next step makes the
// lane's next call, or keeps the failure that skipped the first.
void chain(Run& run) {
    const Letter letter = classify(run.book[run.next++]);
    run.call(letter)
        .add_callback([&run, letter](std::int64_t) { run.counts.add(letter); })
        .add_callbacks([&run] { if (run.more()) chain(run); }, [&run](const Failure& failure) { run.fail(failure); });
}
//! [chain]

//! [lane]
// inlineCallbacks: the lane reads as a loop; each co_yield waits for the reply, or raises its error.
DeferredGenerator<std::int64_t, void> lane(Run& run) {
    while (run.more()) {
        const Letter letter = classify(run.book[run.next++]);
        co_yield run.call(letter);  // a temporary: a Deferred kept in the frame would keep the frame
        run.counts.add(letter);
    }
}
//! [lane]

}  // namespace

LetterTypes count_with_deferreds(Events book, const Settings& settings, Style style,
                                 const std::function<void(std::size_t)>& on_wait) {
    const CounterEndpoint local_endpoint;
    std::optional<Run> run;
    try {
        run.emplace(book, settings.counters ? settings.counters->endpoint() : local_endpoint, on_wait);
    } catch (const CounterError& failure) {
        throw ChapterError(failure.what());
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(std::max<std::size_t>(settings.in_flight, 1), book.size()); ++i) {
        if (style == Style::chain) chain(*run);
        else inline_callbacks(lane(*run)).add_errback([&run](const Failure& failure) { run->fail(failure); });
    }
    run->loop.run();  // returns once every reply is in, or at the first failure
    if (run->failure) {
        try {
            std::rethrow_exception(run->failure);
        } catch (const CounterError& error) {
            throw ChapterError(error.what());
        }
    }
    return run->counts;
}

extern const Chapter chapter{
    .number = 13,
    .slug = "13_deferreds",
    .title = "Count letters with Deferreds fired by an event loop",
    .mechanism = "Deferreds on an event loop (Twisted)",
    .default_runs = 3,
    .takes_in_flight = true,
    .default_in_flight = 100,
    .variants = {
        {"inline", [](Events book, const Settings& settings) { return count_with_deferreds(book, settings, Style::inline_); },
         "inline_callbacks: a generator per lane yields each call's Deferred and is resumed with its reply"},
        {"chain", [](Events book, const Settings& settings) { return count_with_deferreds(book, settings, Style::chain); },
         "plain callback chains: each reply's callback counts its event and makes the next call"},
    },
};

}  // namespace workbook::chapter13
