// Chapter 08: the weightless-thread scheduler, the talk's `thread_scheduler`.
//
// The talk's step "A scheduler for weightless threads won't switch to a specific place, but will
// round-robin or the like": unlike chapter 07's co-trampoline, a thread cannot switch to its
// consumer; what it yields, (consumer, data), waits in the consumer's mailbox until the scheduler
// reaches the consumer, which is then sent its whole mailbox. A reader thread and three counter
// threads count the book. Cost: four resumes per event (every thread gets a turn per round, and the
// reader yields one event per round) plus a mailbox append and clear; the mailboxes are reused, so
// nothing is allocated per event. Variant `wake-on-mail`: a thread that posted nothing sleeps until
// mail arrives, which saves the two idle counters' turns per event. The README measures both.
#include "scheduler.hpp"

#include "workbook/chapter.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace workbook::chapter08 {

//! [thread_scheduler]
void thread_scheduler(std::span<Thread> threads, Idle idle) {
    // The talk's `defaultdict(list)`: one mailbox per thread, emptied after each turn but never freed;
    // beside it, whether the thread sleeps (only ever set with Idle::sleeps).
    struct ThreadData {
        std::vector<unsigned char> mailbox;
        bool asleep = false;
    };
    std::vector<ThreadData> thread_data(threads.size());
    for (ThreadData& data : thread_data) data.mailbox.reserve(16);
    while (true) {
        bool anyone_ran = false;
        for (Name t = 0; t < threads.size(); ++t) {
            ThreadData& data = thread_data[t];
            if (data.asleep && data.mailbox.empty()) continue;  // nothing to wake it for
            anyone_ran = true;
            std::optional<Post> post = threads[t].send(Mailbox(data.mailbox));
            if (!post) return;    // StopIteration: break
            data.mailbox.clear();  // delivered; cleared before posting, so a thread may post to itself
            if (post->consumer == NOBODY) {
                data.asleep = idle == Idle::sleeps;
                continue;
            }
            data.asleep = false;
            if (post->consumer >= thread_data.size())
                throw std::out_of_range("thread_scheduler: no thread " + std::to_string(post->consumer));
            thread_data[post->consumer].mailbox.push_back(post->data);
        }
        if (!anyone_ran) return;  // every thread sleeps and no mail can come
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

Thread counter(Counter& counter) {
    Mailbox mailbox = co_yield {NOBODY, 0};  // primed
    while (true) {
        for (unsigned char c : mailbox) counter(c);
        mailbox = co_yield {NOBODY, 0};  // nothing to post
    }
}

LetterTypes scheduler_test(Events book, Idle idle) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    // The reader comes first, so the events it posts are counted in the same round.
    std::array<Thread, 4> threads{prime(reader(book)), prime(counter(vowel)), prime(counter(consonant)),
                                  prime(counter(other))};  // READER, VOWEL, CONSONANT, OTHER
    thread_scheduler(threads, idle);
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
        {"round-robin", [](Events book, const Settings&) { return scheduler_test(book, Idle::runs); },
         "every thread gets a turn in every round, as in the talk"},
        {"wake-on-mail", [](Events book, const Settings&) { return scheduler_test(book, Idle::sleeps); },
         "a thread that posted nothing sleeps until mail arrives"},
    },
};

}  // namespace workbook::chapter08
