// Chapter 08: the weightless-thread scheduler, the talk's `thread_scheduler`.
//
// The talk's step "A scheduler for weightless threads won't switch to a specific place, but will
// round-robin or the like": unlike chapter 07's co-trampoline, a thread cannot switch to its
// consumer; what it yields, (consumer, data), waits in the consumer's mailbox until the scheduler
// reaches the consumer, which is then sent its whole mailbox. A reader thread and three counter
// threads count the book. A counter with an empty mailbox has nothing to do, so it yields WAIT and
// is skipped until mail arrives. Cost: two resumes per event (the reader's, and the one counter its
// event wakes; the two idle counters cost a check each) plus a mailbox append and clear; the
// mailboxes are reused, so nothing is allocated per event. The variant round-robin is the talk's
// exactly: counters post nothing and are resumed every round, four resumes per event.
#include "scheduler.hpp"

#include "workbook/chapter.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace workbook::chapter08 {

//! [thread_scheduler]
ThreadData mailboxes_for(std::size_t threads) {
    ThreadData thread_data(threads);
    for (std::vector<unsigned char>& mailbox : thread_data) mailbox.reserve(16);
    return thread_data;
}

// A post to a thread outside the table.
[[noreturn, gnu::cold, gnu::noinline]] static void no_thread(Index consumer) {
    throw std::out_of_range("thread_scheduler: no thread " + std::to_string(consumer));
}

// The talk's `thread_data[consumer].append(data)`; a post to NOBODY or WAIT is dropped. Local to this
// file, with its error out of line, so that it is inlined into the scheduler's loop.
static void deliver(ThreadData& thread_data, Post post) {
    if (post.consumer == NOBODY || post.consumer == WAIT) return;  // a thread with nothing to say
    if (post.consumer >= thread_data.size()) no_thread(post.consumer);
    thread_data[post.consumer].push_back(post.data);
}

void thread_scheduler(std::span<Thread> threads) {
    ThreadData thread_data = mailboxes_for(threads.size());
    std::vector<char> waiting(threads.size(), false);  // yielded WAIT: no turn until mail arrives
    while (true) {
        bool anyone_ran = false;
        for (Index t = 0; t < threads.size(); ++t) {
            if (waiting[t] && thread_data[t].empty()) continue;  // a check, not a resume
            anyone_ran = true;
            std::optional<Post> post = threads[t].send(Mailbox(thread_data[t]));
            if (!post) return;        // StopIteration: break
            thread_data[t].clear();  // delivered; cleared before posting, so a thread may post to itself
            waiting[t] = post->consumer == WAIT;
            deliver(thread_data, *post);
        }
        if (!anyone_ran) return;  // every thread waits and no mail can come
    }
}
//! [thread_scheduler]

//! [threads]
Thread reader(Events book) {
    co_yield {NOBODY, 0};  // primed; nobody writes to the reader, so its mailbox stays empty
    for (unsigned char c : book) {  // one event per turn
        switch (classify(c)) {
            case Letter::vowel: co_yield {VOWEL, c}; break;
            case Letter::consonant: co_yield {CONSONANT, c}; break;
            case Letter::other: co_yield {OTHER, c}; break;
        }
    }
}  // finishing stops the scheduler

Thread counter(Counter& counter, CounterLink& link, Index idle) {
    Mailbox mailbox = co_yield {NOBODY, 0};  // primed
    while (true) {
        for (unsigned char c : mailbox) {
            counter(c);
            link.call(classify(c));  // a slow counter: every thread waits with it
        }
        mailbox = co_yield {idle, 0};  // nothing to post: WAIT for mail, or take the next turn anyway
    }
}

LetterTypes count_on_scheduler(Events book, CounterLink& link, Index idle) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    // The reader comes first, so the events it posts are counted in the same round.
    std::array<Thread, 4> threads{prime(reader(book)), prime(counter(vowel, link, idle)),
                                  prime(counter(consonant, link, idle)), prime(counter(other, link, idle))};  // READER, VOWEL, CONSONANT, OTHER
    thread_scheduler(threads);
    return {vowel.count, consonant.count, other.count};
}
//! [threads]

extern const Chapter chapter{
    .number = 8,
    .slug = "08_scheduler",
    .title = "Count letters with weightless threads on a round-robin scheduler",
    .mechanism = "round-robin threads with mailboxes",
    .default_runs = 10,
    .variants = {
        {"wake-on-mail", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_on_scheduler(book, link, WAIT);
         },
         "a counter with nothing to do waits for mail: skipped until its mailbox holds something"},
        {"round-robin", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_on_scheduler(book, link, NOBODY);
         },
         "the talk's: counters post nothing and every thread gets a turn in every round"},
    },
};

}  // namespace workbook::chapter08
