// `workbook-thread-waiters --waiters N --wait US`: a thread per wait, as chapter 04's workers are
// threads, but one per call instead of one per class: N threads, each with its own connection to a
// private counter service, each making one INCR that waits US microseconds. What `bench --waiters`
// measures for "a thread per wait": the memory and the time N waiting threads cost.
// Cost per wait: a thread (its stack, reserved, and the pages it touches) and a connection.
#include "workbook/command_line.hpp"
#include "workbook/counter_kinds.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    CLI::App app{"Starts N threads, each of which connects to a private counter service and makes one INCR that\n"
                 "the service answers after US microseconds; joins them, checks that the service counted N, and\n"
                 "prints the time for all of them (with --json, one JSON line: events, seconds).",
                 "workbook-thread-waiters"};
    workbook::apply_conventions(app);
    app.footer("Exit status: 0 all N counted, 1 a thread could not be started or a call failed, 2 bad usage.");
    std::uint64_t waiters = 1, wait_us = 100'000;
    bool json = false;
    app.add_option("--waiters", waiters, "threads, one call each (default 1)")
        ->type_name("N")
        ->transform(workbook::whole_number(1, 100'000));
    app.add_option("--wait", wait_us, "the service answers each call after US microseconds (default 100000)")
        ->type_name("US")
        ->transform(workbook::whole_number(0, 3'600'000'000));
    app.add_flag("--json", json, "print one JSON line instead of the summary");
    if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;

    try {
        workbook::CounterSettings settings;
        settings.kind = workbook::CounterKind::service;
        settings.wait_us = static_cast<std::int64_t>(wait_us);
        workbook::CounterBackend counters(settings);
        std::mutex lock;
        std::string failure;  // the first call that failed
        std::vector<std::thread> threads;
        threads.reserve(waiters);
        const auto start = std::chrono::steady_clock::now();
        try {
            for (std::uint64_t i = 0; i < waiters; ++i) {
                threads.emplace_back([&] {
                    try {
                        workbook::CounterLink link = counters.link();
                        link.call(workbook::Letter::vowel);
                    } catch (const std::exception& error) {
                        std::lock_guard<std::mutex> hold(lock);
                        if (failure.empty()) failure = error.what();
                    }
                });
            }
        } catch (const std::system_error& error) {
            std::lock_guard<std::mutex> hold(lock);
            failure = "cannot start thread " + std::to_string(threads.size() + 1) + " of " + std::to_string(waiters) +
                      ": " + error.what();
        }
        for (std::thread& thread : threads) thread.join();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!failure.empty()) throw std::runtime_error(failure);
        counters.check_totals({waiters, 0, 0});
        if (json) {
            std::cout << nlohmann::json{{"waiters", waiters}, {"wait_us", wait_us}, {"events", waiters},
                                        {"seconds", seconds}}.dump()
                      << '\n';
        } else {
            std::cout << waiters << " threads, one call each, waited " << wait_us << " us; all done in " << seconds
                      << " seconds\n";
        }
    } catch (const std::exception& error) {
        std::cerr << "workbook-thread-waiters: " << error.what() << '\n';
        return 1;
    }
    return std::cout.flush() ? 0 : 1;
}
