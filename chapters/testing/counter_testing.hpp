// Test helpers for the chapters' slow counters: a private counter service, and killing its server
// once a run is seen under way.
#pragma once

#include "workbook/counter_kinds.hpp"
#include "workbook/servers.hpp"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <optional>
#include <thread>

namespace workbook::testing {

// What `--counter service --wait US` asks for.
inline CounterSettings service_counter(std::int64_t wait_us = 20) {
    CounterSettings settings;
    settings.kind = CounterKind::service;
    settings.wait_us = wait_us;
    return settings;
}

// What `--work NS` with local counters asks for.
inline CounterSettings local_work(std::int64_t work_ns = 1000) {
    CounterSettings settings;
    settings.work_ns = work_ns;
    return settings;
}

// Kills `backend`'s private server with SIGKILL as soon as it has counted an event: the run that
// calls it is then under way. The backend's own connection is used by this thread alone meanwhile.
class KillServerOnceCounting {
public:
    explicit KillServerOnceCounting(const CounterBackend& backend)
        : thread_([this, &backend](std::stop_token stop) {
              while (!stop.stop_requested()) {
                  std::optional<LetterTypes> totals = backend.totals();
                  if (totals && totals->total() > 0) {
                      killed_ = ::kill(backend.server()->server_pid(), SIGKILL) == 0;
                      return;
                  }
              }
          }) {}

    // Ends the watch; true if the server was killed.
    bool killed() {
        thread_.request_stop();
        if (thread_.joinable()) thread_.join();
        return killed_;
    }

private:
    std::atomic<bool> killed_{false};
    std::jthread thread_;
};

}  // namespace workbook::testing
