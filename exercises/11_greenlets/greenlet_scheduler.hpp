// Exercise 11: a round-robin scheduler on greenlets.
//
// Chapter 11's greenlets switch to each other by name, with no scheduling at all: "micro-threads
// with no implicit scheduling; you can build custom scheduled micro-threads on top of greenlet".
// Build one: a hub that resumes its tasks in turn.
#pragma once

#include "todo.hpp"
#include "workbook/greenlet.hpp"

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

namespace exercise11 {

// A tiny round-robin scheduler on greenlets (what gevent's hub does, without the I/O). Each task is
// a greenlet whose parent is the hub, the greenlet that called run(); a task gives up its turn with
// yield_turn(), which it may call from any depth of ordinary function calls.
class Scheduler {
public:
    Scheduler() = default;
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Adds a task. Before run(), or from a running task: then it joins the rotation next round.
    void spawn(std::function<void()> task) {
        // TODO: make a workbook::Greenlet running `task`, whose parent is the hub (if run() is
        //       running) or the current greenlet; keep it on the heap (a greenlet must not move).
        exercises::todo("exercise 11: Scheduler::spawn() must make a greenlet for the task", task);
    }

    // Runs the tasks round-robin, in the order they were spawned, until every task has finished. A
    // task that throws ends there, and the others go on; run() then rethrows the first exception.
    void run() {
        // TODO: remember the hub (the current greenlet), then rounds of switch_to() to each task,
        //       dropping the dead ones after each round.
        exercises::todo("exercise 11: Scheduler::run() must give the tasks turns until all are done");
    }

    // Called by a running task: resumes the hub, which gives the next task its turn; returns when
    // this task's turn comes again. std::logic_error outside a task of a running scheduler.
    void yield_turn() {
        // TODO: switch to the hub.
        exercises::todo("exercise 11: Scheduler::yield_turn() must switch to the hub");
    }

private:
    // TODO: the hub, and the tasks.
};

}  // namespace exercise11
