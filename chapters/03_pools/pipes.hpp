// Chapter 03's pipes, shared by its two shapes of pool (pipes.cpp): whole reads and writes, a worker
// that keeps only its own pipe, and how a worker ended.
#pragma once

#include "workbook/counter_kinds.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace workbook::chapter03 {

// A signal arrived while the parent was feeding workers. Unwinding to count_with_pool() ends and
// reaps every worker on the way.
struct Interrupted {};

// In a new worker: closes every descriptor but standard input, output, error and `keep`.
void keep_only(int keep);

// Reads exactly `size` bytes; false at end-of-file (or an error, which a worker treats alike).
bool read_exactly(int fd, void* data, std::size_t size);

// Writes all of `data` to a worker's pipe. Returns false when no worker reads the pipe any more;
// throws Interrupted once SIGINT or SIGTERM was caught.
bool write_all(int fd, const void* data, std::size_t size);

// In a new worker: its own link to the counters (`--counter`; a local one without `counters`), and
// `events` calls of counter `counter` through it, one request each. A failure (the server gone)
// ends the worker with `counter_failed`.
CounterLink worker_link(const CounterBackend* counters);
void call_counter(CounterLink& link, std::string_view counter, std::size_t events);

// How worker `pid` ended, its own exit statuses explained: "exited with status 3 (its pipe closed
// before KILL)"; a failed counter call names the server of `counters`, and what the worker said of
// it (processes::FailureNotes).
std::string describe_worker_end(pid_t pid, int status, const CounterBackend* counters);

// Kills a worker that is still running and reaps it; for destructors, so it never throws.
void kill_and_reap(pid_t pid) noexcept;

}  // namespace workbook::chapter03
