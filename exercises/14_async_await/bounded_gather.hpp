// Exercise 14: gather with bounded concurrency, cancelling the rest when one fails.
//
// workbook::gather() waits on Futures that all run at once, and when one fails the others go on.
// A client that must not flood its server runs at most `limit` jobs at a time, and once one has
// failed, the rest are of no use: cancel the ones running, start no more. Write it with Tasks.
#pragma once

#include "todo.hpp"
#include "workbook/future.hpp"
#include "workbook/task.hpp"

#include <cstddef>
#include <functional>
#include <vector>

namespace exercise14 {

// A job: a function that starts a Task (a coroutine) when called.
template <typename T>
using Job = std::function<workbook::Task<T>()>;

// Runs every job, at most `limit` at once, each started when one before it has finished, in the
// jobs' order, and returns their results in the jobs' order. When a job fails, the jobs still
// running are cancelled (each gets a workbook::CancelledError at its current co_await), no other
// job is started, and once every job started has ended, the first failure's exception is raised.
// A limit of 0 is refused: std::invalid_argument, before any job starts.
template <typename T>
workbook::Task<std::vector<T>> bounded_gather(std::vector<Job<T>> jobs, std::size_t limit) {
    // TODO: start min(limit, jobs) worker tasks that each take the next job and co_await it; the
    //       first failure cancels the other workers (and so the jobs they await); await every
    //       worker, then raise the failure or return the results.
    exercises::todo("exercise 14: bounded_gather() must run the jobs, at most limit at once", jobs, limit);
}

}  // namespace exercise14
