// `workbook-counter-latency [--waits 0,100,1000] [--requests N]`: how close the counter service
// keeps to its --wait. For each wait it starts a private service and measures, from the client,
// N INCRs one after another (round trip: minimum, median, 99th percentile, maximum) and N INCRs
// pipelined on one connection (total time). With --redis, a private redis-server too, as a floor.
// A measurement to run by hand, not a test: its figures depend on the machine and its load.
#include "workbook/command_line.hpp"
#include "workbook/servers.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Starts a private counter service for each wait and prints, in microseconds, the round trip\n"
                 "of N sequential INCRs: minimum, median, 99th percentile, maximum, median minus the wait; and\n"
                 "the total time of N INCRs pipelined on one connection.",
                 "workbook-counter-latency"};
    workbook::apply_conventions(app);
    std::vector<std::uint64_t> waits{0, 100, 1000};
    std::size_t requests = 2000;
    bool with_redis = false;
    app.add_option("--waits", waits, "the services' waits, in microseconds (default 0,100,1000)")
        ->type_name("US,US,...")
        ->delimiter(',')
        ->transform(workbook::whole_number(0, 3'600'000'000));
    app.add_option("--requests", requests, "INCRs per measurement (default 2000)")
        ->type_name("N")
        ->transform(workbook::whole_number(1, 100'000'000));
    app.add_flag("--redis", with_redis, "measure a private redis-server too, as a floor");
    if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;
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
