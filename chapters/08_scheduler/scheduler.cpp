// Chapter 08: the weightless-thread scheduler, the talk's `thread_scheduler`.
//
// The talk's step "A scheduler for weightless threads won't switch to a specific place, but will
// round-robin or the like": unlike chapter 07's co-trampoline, a thread cannot switch to its
// consumer; what it yields, (consumer, data), waits in the consumer's mailbox until the scheduler
// reaches the consumer, which is then sent its whole mailbox. A reader thread and three counter
// threads count the book. Cost: four resumes per event (every thread gets a turn per round, and the
// reader yields one event per round) plus a mailbox append and clear; the mailboxes are reused, so
// nothing is allocated per event. The variant wake-on-mail (wake_on_mail.cpp) saves the two idle
// counters' turns per event.
#include "scheduler.hpp"

#include "workbook/chapter.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace workbook::chapter08 {

//! [thread_scheduler]
ThreadData mailboxes_for(std::size_t threads) {
    ThreadData thread_data(threads);
    for (std::vector<unsigned char>& mailbox : thread_data) mailbox.reserve(16);
    return thread_data;
}

void deliver(ThreadData& thread_data, Post post) {
    if (post.consumer == NOBODY) return;  // a thread with nothing to say
    if (post.consumer >= thread_data.size())
        throw std::out_of_range("thread_scheduler: no thread " + std::to_string(post.consumer));
    thread_data[post.consumer].push_back(post.data);
}

void thread_scheduler(std::span<Thread> threads) {
    ThreadData thread_data = mailboxes_for(threads.size());
    while (true) {
        for (Index t = 0; t < threads.size(); ++t) {
            std::optional<Post> post = threads[t].send(Mailbox(thread_data[t]));
            if (!post) return;        // StopIteration: break
            thread_data[t].clear();  // delivered; cleared before posting, so a thread may post to itself
            deliver(thread_data, *post);
        }
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

Thread counter(Counter& counter, CounterLink& link) {
    Mailbox mailbox = co_yield {NOBODY, 0};  // primed
    while (true) {
        for (unsigned char c : mailbox) {
            counter(c);
            link.call(classify(c));  // a slow counter: every thread waits with it
        }
        mailbox = co_yield {NOBODY, 0};  // nothing to post
    }
}

LetterTypes count_on_scheduler(Events book, Scheduler scheduler, CounterLink& link) {
    Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
    // The reader comes first, so the events it posts are counted in the same round.
    std::array<Thread, 4> threads{prime(reader(book)), prime(counter(vowel, link)),
                                  prime(counter(consonant, link)), prime(counter(other, link))};  // READER, VOWEL, CONSONANT, OTHER
    scheduler(threads);
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
        {"round-robin", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_on_scheduler(book, thread_scheduler, link);
         },
         "every thread gets a turn in every round, as in the talk"},
        {"wake-on-mail", [](Events book, const Settings& settings) {
             CounterLink link = settings.link();
             return count_on_scheduler(book, wake_on_mail_scheduler, link);
         },
         "a thread that posted nothing sleeps until mail arrives"},
    },
};

}  // namespace workbook::chapter08
