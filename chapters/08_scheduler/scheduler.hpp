// Chapter 08's parts, declared for its tests.
#pragma once

#include "workbook/counter.hpp"
#include "workbook/generator.hpp"
#include "workbook/letter_types.hpp"

#include <cstddef>
#include <span>

namespace workbook::chapter08 {

// A thread is known by its place in the scheduler's table (Python's `t.__name__`).
using Name = std::size_t;
// A consumer that takes nothing: what a thread names when it has nothing to post.
inline constexpr Name NOBODY = static_cast<Name>(-1);

// What a thread yields, the talk's `(consumer, data)`: one datum for another thread's mailbox.
struct Post {
    Name consumer;
    unsigned char data;
};

// What a thread receives on its turn: everything posted to it since its last turn, oldest first.
// The view is valid until the thread yields again (the scheduler then empties the mailbox).
using Mailbox = std::span<const unsigned char>;

// A weightless thread: yields posts, receives its mailbox. Prime it (workbook::prime) before it is
// scheduled, so that its first co_yield receives its first mailbox.
using Thread = Generator<Post, Mailbox>;

// What the scheduler does with a thread that posted nothing (to NOBODY) on its last turn.
enum class Idle {
    runs,   // the talk's scheduler: it gets its turn anyway, with an empty mailbox if need be
    sleeps  // it sleeps until a post arrives in its mailbox
};

// The talk's thread_scheduler: gives the threads turns round-robin, in table order. On its turn a
// thread is sent its mailbox and yields one post, which waits in the consumer's mailbox until the
// consumer's turn. Stops as soon as a thread finishes (Python's StopIteration), in mid-round, or,
// with Idle::sleeps, when every thread sleeps with an empty mailbox (nothing can wake them). A post
// to a consumer outside the table (other than NOBODY) is a std::out_of_range.
void thread_scheduler(std::span<Thread> threads, Idle idle = Idle::runs);

// Counts `book` with four threads: the reader posts one event per turn to the counter thread of its
// class; each counter thread counts what its mailbox holds and posts nothing.
inline constexpr Name READER = 0, VOWEL = 1, CONSONANT = 2, OTHER = 3;
Thread reader(Events book);
Thread counter(Counter& counter);
LetterTypes scheduler_test(Events book, Idle idle = Idle::runs);

}  // namespace workbook::chapter08
