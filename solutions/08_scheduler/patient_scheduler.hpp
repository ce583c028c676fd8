// Exercise 08: a scheduler that runs every thread to its end (reference solution).
//
// Chapter 08's scheduler, like the talk's, stops at the first StopIteration: when the reader
// finishes, in mid-round, the counters after it in the table never get the events it posted last,
// and any thread with work left is cut off. This one runs until every thread has finished, or until
// nothing can happen any more: a whole round in which every live thread had no mail and posted none.
#pragma once

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
    std::vector<std::vector<unsigned char>> mail(threads.size());
    std::vector<bool> finished(threads.size(), false);
    std::size_t live = threads.size();
    Outcome outcome;
    while (live > 0) {
        bool quiet = true;
        for (Index t = 0; t < threads.size(); ++t) {
            if (finished[t]) continue;
            std::vector<unsigned char>& mailbox = mail[t];
            const bool had_mail = !mailbox.empty();
            std::optional<Post> post = threads[t].send(Mailbox(mailbox));
            mailbox.clear();  // delivered; cleared before posting, so a thread may post to itself
            if (!post) {
                finished[t] = true;
                --live;
                quiet = false;
                continue;
            }
            if (had_mail || post->consumer != WAIT) quiet = false;
            if (post->consumer == NOBODY || post->consumer == WAIT) continue;
            if (post->consumer >= threads.size())
                throw std::out_of_range("schedule: thread " + std::to_string(t) + " posted to no thread " +
                                        std::to_string(post->consumer));
            if (finished[post->consumer])
                throw std::logic_error("schedule: thread " + std::to_string(t) + " posted to thread " +
                                       std::to_string(post->consumer) + ", which has finished");
            mail[post->consumer].push_back(post->data);
        }
        ++outcome.rounds;
        if (quiet) break;  // every thread waits for mail, and there is none
    }
    for (Index t = 0; t < threads.size(); ++t)
        if (!finished[t]) outcome.unfinished.push_back(t);
    return outcome;
}

}  // namespace exercise08
