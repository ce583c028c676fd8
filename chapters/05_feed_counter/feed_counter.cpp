// Chapter 05: the feed counter, the talk's `feed_counter(queue)`.
//
// The talk's step "And now for something interesting": chapter 04's FeedCounter, a thread that
// loops over its queue until KILL, "squinting the right way, looks like a generator". Here it is
// one: the main loop puts events into three queues and pulls counts from three generators, a
// bounded number at a time (the talk's `islice(fc, 0, FLUSH_SIZE)`), since a generator that never
// meets KILL would run forever. Cost: per event, one queue put and get and one coroutine resume
// (pulled by an explicit bounded loop); the queues and the three frames are allocated once.
#include "feed_counter.hpp"

#include "workbook/chapter.hpp"

#include <optional>

namespace workbook::chapter05 {

//! [feed_counter]
Generator<std::uint64_t> feed_counter(EventQueue& queue, CounterLink& link) {
    std::uint64_t count = 0;
    while (true) {
        if (queue.empty()) {  // blocking not OK
            co_yield count;
            continue;
        }
        Item c = queue.get();
        if (c == KILL) break;  // sentinel value
        count += 1;
        link.call(classify(static_cast<unsigned char>(c)));  // a slow counter: the one thread waits
        co_yield count;
    }
}
//! [feed_counter]

//! [islice]
// `for cnt in islice(fc, 0, n)`, with the talk's explicit `fc.next()` pulls. (`std::views::take(fc, n)`
// says the same with g++, but clang 14 cannot compile it over libstdc++ 12's ref_view.)
std::uint64_t pull_counts(Generator<std::uint64_t>& fc, std::size_t n, std::uint64_t count) {
    for (std::size_t pulled = 0; pulled < n; ++pulled) {
        std::optional<std::uint64_t> cnt = fc.next();
        if (!cnt) break;  // finished: StopIteration ends islice too
        count = *cnt;
    }
    return count;
}
//! [islice]

//! [count_with_feed_counters]
LetterTypes count_with_feed_counters(Events book, std::size_t flush_size, CounterLink& link) {
    // Each queue holds at most flush_size events: a full one is flushed at once. After the last
    // event a queue holds fewer, so there is always room for KILL.
    EventQueue vowel_q(flush_size), consonant_q(flush_size), other_q(flush_size);
    auto vowel_fc = feed_counter(vowel_q, link);
    auto consonant_fc = feed_counter(consonant_q, link);
    auto other_fc = feed_counter(other_q, link);
    std::uint64_t vowel = 0, consonant = 0, other = 0;

    auto feed = [flush_size](EventQueue& queue, Generator<std::uint64_t>& fc, std::uint64_t& count, Item c) {
        queue.put(c);
        if (queue.full()) count = pull_counts(fc, flush_size, count);  // drains exactly this queue
    };
    for (unsigned char c : book) {
        switch (classify(c)) {
            case Letter::vowel: feed(vowel_q, vowel_fc, vowel, c); break;
            case Letter::consonant: feed(consonant_q, consonant_fc, consonant, c); break;
            case Letter::other: feed(other_q, other_fc, other, c); break;
        }
    }

    // Kill off the generators with a sentinel value: at most flush_size - 1 events and KILL are left
    // in each queue, so flush_size pulls reach KILL.
    for (auto [queue, fc, count] : {std::tie(vowel_q, vowel_fc, vowel), std::tie(consonant_q, consonant_fc, consonant),
                                    std::tie(other_q, other_fc, other)}) {
        queue.put(KILL);
        count = pull_counts(fc, flush_size, count);
        if (!fc.done()) throw ChapterError("a feed counter did not stop at KILL");
    }
    return {vowel, consonant, other};
}
//! [count_with_feed_counters]

extern const Chapter chapter{
    .number = 5,
    .slug = "05_feed_counter",
    .title = "Count letters with generators fed through queues",
    .mechanism = "queue + pull from a generator (islice)",
    .count = [](Events book, const Settings& settings) {
        CounterLink link = settings.link();
        return count_with_feed_counters(book, settings.batch != 0 ? settings.batch : 64, link);  // the talk's FLUSH_SIZE
    },
    .default_runs = 10,
    .takes_batch = true,
};

}  // namespace workbook::chapter05
