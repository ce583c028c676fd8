// Exercise 08: a scheduler that runs every thread to its end.
//
// Chapter 08's scheduler, like the talk's, stops at the first StopIteration: when the reader
// finishes, in mid-round, the counters after it in the table never get the events it posted last,
// and any thread with work left is cut off. This one runs until every thread has finished, or until
// nothing can happen any more.
#pragma once

#include "todo.hpp"
#include "workbook/generator.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace exercise08 {

// As in chapter 08: a thread is known by its index in the table; it yields a post for another
// thread's mailbox (or for NOBODY), and receives its whole mailbox on its turn.
using Index = std::size_t;
inline constexpr Index NOBODY = static_cast<Index>(-1);
// Also posts nothing, and says more: "nothing to do until mail arrives". (A thread busy with work of
// its own posts to NOBODY, and gets its next turn all the same.)
inline constexpr Index WAIT = static_cast<Index>(-2);
struct Post {
    Index consumer;
    unsigned char data;
};
using Mailbox = std::span<const unsigned char>;
using Thread = workbook::Generator<Post, Mailbox>;  // primed before it is scheduled

// How a run ended.
struct Outcome {
    std::size_t rounds = 0;        // rounds run, the last (quiet or not) included
    std::vector<Index> unfinished;  // threads still waiting for mail at the end, in table order
};

// Gives the threads turns round-robin, in table order, until every thread has finished, or until a
// quiet round, after which nothing can change: every live thread got an empty mailbox and yielded
// WAIT. A finished thread gets no more turns; mail is delivered on its consumer's next turn, also
// when its sender has finished meanwhile. Throws std::out_of_range for a post to a
// name outside the table, std::logic_error for a post to a thread that has finished.
inline Outcome schedule(std::span<Thread> threads) {
    // TODO: chapter 08's thread_scheduler, but: skip finished threads instead of stopping; stop when
    //       all have finished or after a quiet round; count the rounds; list the unfinished threads.
    exercises::todo("exercise 08: schedule() must run the threads until all finish or all wait", threads);
}

}  // namespace exercise08
