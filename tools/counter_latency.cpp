// `workbook-counter-latency [--waits 0,100,1000] [--requests N]`: how close the counter service
// keeps to its --wait. For each wait it starts a private service and measures, from the client,
// N INCRs one after another (round trip: minimum, median, 99th percentile, maximum) and N INCRs
// pipelined on one connection (total time). With --redis, a private redis-server too, as a floor.
// A measurement to run by hand, not a test: its figures depend on the machine and its load.
#include "workbook/servers.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double us(clock_type::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

void measure(workbook::PrivateServer& server, const std::string& label, std::uint64_t wait_us, std::size_t requests) {
    workbook::CounterClient client = server.connect();
    std::vector<double> round_trips;
    round_trips.reserve(requests);
    for (std::size_t i = 0; i < requests; ++i) {
        auto start = clock_type::now();
        client.incr("latency");
        round_trips.push_back(us(clock_type::now() - start));
    }
    std::sort(round_trips.begin(), round_trips.end());
    auto at = [&](double q) { return round_trips[std::min(round_trips.size() - 1, static_cast<std::size_t>(q * static_cast<double>(round_trips.size())))]; };
    auto start = clock_type::now();
    for (std::size_t i = 0; i < requests; ++i) client.send_incr("pipelined");
    for (std::size_t i = 0; i < requests; ++i) client.receive_integer();
    double pipelined = us(clock_type::now() - start);
    std::printf("%-22s %8llu %8zu %9.1f %9.1f %9.1f %9.1f %11.1f %13.1f\n", label.c_str(),
                static_cast<unsigned long long>(wait_us), requests, round_trips.front(), at(0.5), at(0.99), round_trips.back(),
                at(0.5) - static_cast<double>(wait_us), pipelined);
}

int usage_error(const std::string& message) {
    std::cerr << "workbook-counter-latency: " << message
              << "; usage: workbook-counter-latency [--waits US,US,...] [--requests N] [--redis]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::uint64_t> waits{0, 100, 1000};
    std::size_t requests = 2000;
    bool with_redis = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << "usage: workbook-counter-latency [--waits US,US,...] [--requests N] [--redis]\n\n"
                         "Starts a private counter service for each wait (default 0,100,1000 us) and prints,\n"
                         "in microseconds, the round trip of N sequential INCRs (default 2000): minimum,\n"
                         "median, 99th percentile, maximum, median minus the wait; and the total time of N\n"
                         "INCRs pipelined on one connection. --redis adds a private redis-server.\n";
            return 0;
        }
        if (arg == "--redis") {
            with_redis = true;
            continue;
        }
        if ((arg == "--waits" || arg == "--requests") && i + 1 < argc) {
            std::string_view text = argv[++i];
            if (arg == "--requests") {
                auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), requests);
                if (error != std::errc{} || end != text.data() + text.size() || requests == 0)
                    return usage_error("--requests needs a whole number of at least 1, got '" + std::string(text) + "'");
                continue;
            }
            waits.clear();
            std::size_t start = 0;
            while (start <= text.size()) {
                std::size_t comma = std::min(text.find(',', start), text.size());
                std::uint64_t wait = 0;
                auto [end, error] = std::from_chars(text.data() + start, text.data() + comma, wait);
                if (comma == start || error != std::errc{} || end != text.data() + comma)
                    return usage_error("--waits needs whole numbers of microseconds separated by commas, got '" + std::string(text) + "'");
                waits.push_back(wait);
                start = comma + 1;
            }
            continue;
        }
        return usage_error("unknown option or missing value: '" + std::string(arg) + "'");
    }
    try {
        std::printf("%-22s %8s %8s %9s %9s %9s %9s %11s %13s\n", "server", "wait us", "requests", "min us", "median us",
                    "p99 us", "max us", "median-wait", "pipelined us");
        if (with_redis) {
            workbook::PrivateServer redis = workbook::PrivateServer::redis();
            measure(redis, "redis-server", 0, requests);
        }
        for (std::uint64_t wait : waits) {
            workbook::PrivateServer service = workbook::PrivateServer::counter_service(std::chrono::microseconds(wait));
            measure(service, "counter service", wait, requests);
        }
    } catch (const std::exception& failure) {
        std::cerr << "workbook-counter-latency: " << failure.what() << '\n';
        return 1;
    }
    return 0;
}
