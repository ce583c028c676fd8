// Exercise 11: a round-robin scheduler on greenlets (reference solution).
//
// Chapter 11's greenlets switch to each other by name, with no scheduling at all: "micro-threads
// with no implicit scheduling; you can build custom scheduled micro-threads on top of greenlet".
// Here is one: a hub that resumes its tasks in turn. Unlike chapter 08's generator threads, a task
// gives up its turn from inside any function it calls, with no co_yield in the callers: each task has
// a whole stack of its own.
#pragma once

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
        workbook::Greenlet& parent = hub_ != nullptr ? *hub_ : workbook::Greenlet::current();
        tasks_.push_back(std::make_unique<workbook::Greenlet>(std::move(task), parent));
    }

    // Runs the tasks round-robin, in the order they were spawned, until every task has finished. A
    // task that throws ends there, and the others go on; run() then rethrows the first exception.
    void run() {
        if (hub_ != nullptr) throw std::logic_error("Scheduler::run(): already running");
        hub_ = &workbook::Greenlet::current();
        // A task's result, its exception and its yield_turn() all arrive where the hub stands.
        for (auto& task : tasks_) task->set_parent(*hub_);
        std::exception_ptr first_error;
        while (!tasks_.empty()) {
            const std::size_t round = tasks_.size();  // tasks spawned during the round wait for the next
            for (std::size_t i = 0; i < round; ++i) {
                try {
                    tasks_[i]->switch_to();  // returns when the task yields its turn, or finishes
                } catch (...) {
                    if (!first_error) first_error = std::current_exception();
                }
            }
            std::erase_if(tasks_, [](const auto& task) { return task->dead(); });  // frees their stacks
        }
        hub_ = nullptr;
        if (first_error) std::rethrow_exception(first_error);
    }

    // Called by a running task: resumes the hub, which gives the next task its turn; returns when
    // this task's turn comes again. std::logic_error outside a task of a running scheduler.
    void yield_turn() {
        if (hub_ == nullptr || &workbook::Greenlet::current() == hub_)
            throw std::logic_error("yield_turn(): called outside a running task");
        hub_->switch_to();
    }

private:
    workbook::Greenlet* hub_ = nullptr;  // the greenlet run() was called from, while it runs
    std::vector<std::unique_ptr<workbook::Greenlet>> tasks_;  // on the heap: a greenlet never moves
};

}  // namespace exercise11
