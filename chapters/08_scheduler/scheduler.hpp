// Chapter 08's parts, declared for its tests.
#pragma once

#include "workbook/counter.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace workbook::chapter08 {

// A thread is known by its index in the scheduler's table (Python's `t.__name__`).
using Index = std::size_t;
// A consumer that takes nothing: what a thread names when it has nothing to post. It keeps its turn.
inline constexpr Index NOBODY = static_cast<Index>(-1);
// What a thread names when it has nothing to do until mail arrives: the scheduler skips it until its
// mailbox holds something. Nothing is posted.
inline constexpr Index WAIT = static_cast<Index>(-2);

// What a thread yields, the talk's `(consumer, data)`: one datum for another thread's mailbox.
struct Post {
    Index consumer;
    unsigned char data;
};

// What a thread receives on its turn: everything posted to it since its last turn, oldest first.
// The view is valid until the thread yields again (the scheduler then empties the mailbox).
using Mailbox = std::span<const unsigned char>;

// A weightless thread: yields posts, receives its mailbox. Prime it (workbook::prime) before it is
// scheduled, so that its first co_yield receives its first mailbox.
using Thread = Generator<Post, Mailbox>;

// The talk's `thread_data = defaultdict(list)`: one mailbox per thread, indexed like the threads.
using ThreadData = std::vector<std::vector<unsigned char>>;
// Mailboxes for `threads` threads, made once with room to spare: emptied after each turn, never freed.
ThreadData mailboxes_for(std::size_t threads);

// The talk's thread_scheduler: gives the threads turns round-robin, in table order. On its turn a
// thread is sent its mailbox and yields one post, which waits in the consumer's mailbox until the
// consumer's turn. A thread that yields WAIT is skipped until mail arrives; one that posts to
// NOBODY keeps its turn. Stops as soon as a thread finishes (Python's StopIteration), in
// mid-round, or when every thread waits with an empty mailbox (no mail can come).
void thread_scheduler(std::span<Thread> threads);

// Counts `book` with four threads on thread_scheduler: the reader posts one event per turn to the
// counter thread of its class; each counter thread counts what its mailbox holds, then yields
// `{idle, 0}`: WAIT (wake on mail, the default), or NOBODY (the talk's: resumed every round).
inline constexpr Index READER = 0, VOWEL = 1, CONSONANT = 2, OTHER = 3;
Thread reader(Events book);
Thread counter(Counter& counter, CounterLink& link, Index idle = WAIT);
LetterTypes count_on_scheduler(Events book, CounterLink& link, Index idle = WAIT);
// With local counters.
inline LetterTypes count_on_scheduler(Events book, Index idle = WAIT) {
    CounterLink local;
    return count_on_scheduler(book, local, idle);
}

}  // namespace workbook::chapter08
