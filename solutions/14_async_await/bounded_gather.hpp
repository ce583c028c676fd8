// Exercise 14, the reference solution: gather with bounded concurrency, cancelling the rest when
// one fails.
#pragma once

#include "workbook/future.hpp"
#include "workbook/task.hpp"

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

namespace exercise14 {

template <typename T>
using Job = std::function<workbook::Task<T>()>;

namespace detail {

// What the workers share; it lives in bounded_gather's frame, which outlives them all.
template <typename T>
struct Pool {
    std::vector<Job<T>> jobs;
    std::vector<std::optional<T>> results;
    std::size_t next = 0;
    std::exception_ptr failure;
    std::vector<workbook::Task<void>> workers;
};

// One worker: takes the next job until none is left or one has failed. The first failure cancels
// the other workers; each of them has CancelledError raised where it awaits its job, which
// cancels that job too.
template <typename T>
workbook::Task<void> worker(Pool<T>& pool, std::size_t me) {
    while (pool.next < pool.jobs.size() && !pool.failure) {
        const std::size_t i = pool.next++;
        try {
            pool.results[i].emplace(co_await pool.jobs[i]());
        } catch (...) {
            if (pool.failure) co_return;  // cancelled because another failed
            pool.failure = std::current_exception();
            for (std::size_t other = 0; other < pool.workers.size(); ++other)
                if (other != me) pool.workers[other].cancel();
        }
    }
}

}  // namespace detail

template <typename T>
workbook::Task<std::vector<T>> bounded_gather(std::vector<Job<T>> jobs, std::size_t limit) {
    if (limit == 0) throw std::invalid_argument("bounded_gather: the limit must be at least 1");
    detail::Pool<T> pool{std::move(jobs), {}, 0, nullptr, {}};
    pool.results.resize(pool.jobs.size());
    const std::size_t count = std::min(limit, pool.jobs.size());
    for (std::size_t i = 0; i < count; ++i) pool.workers.push_back(detail::worker(pool, i));
    for (workbook::Task<void>& worker : pool.workers) {
        try {
            co_await worker;
        } catch (const workbook::CancelledError&) {
            // cancelled before its first step: it started nothing
        }
    }
    if (pool.failure) std::rethrow_exception(pool.failure);
    std::vector<T> results;
    results.reserve(pool.results.size());
    for (std::optional<T>& result : pool.results) results.push_back(std::move(*result));
    co_return results;
}

}  // namespace exercise14
