// `workbook-counter-service --socket PATH --wait US`: the slow counter the chapters can call out to
// (`--counter service`), a small server speaking Redis's protocol on a Unix socket. It prints
// `ready` once it accepts connections, and exits cleanly on SIGTERM or SIGINT.
#include "workbook/command_line.hpp"
#include "workbook/counter_service.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(int argc, char** argv) {
    CLI::App app{"Serves counters on the Unix socket PATH, in the part of Redis's protocol the workbook uses:\n"
                 "PING, INCR key, INCRBY key N, GET key, DEL key (any other command gets an error reply), so\n"
                 "redis-cli, hiredis and Python's redis package talk to it as to Redis. Every INCR and INCRBY\n"
                 "is answered US microseconds after it arrived, without holding up other requests; pipelined\n"
                 "replies come back in order. Prints 'ready' once it accepts connections; SIGTERM or SIGINT\n"
                 "stop it, and it removes its socket. PATH must not exist yet.",
                 "workbook-counter-service"};
    workbook::apply_conventions(app);
    app.footer("Exit status: 0 stopped by a signal, 1 the service failed, 2 bad usage.");
    std::string socket_path;
    std::uint64_t wait_us = 0;
    app.add_option("--socket", socket_path, "listen on the Unix socket PATH")->type_name("PATH")->required();
    app.add_option("--wait", wait_us, "answer each INCR US microseconds after it arrived (default 0)")
        ->type_name("US")
        ->transform(workbook::whole_number(0, 3'600'000'000));
    if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;

    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    std::signal(SIGPIPE, SIG_IGN);  // a client that left is noticed by send()'s EPIPE, not a signal
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (::sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
        std::cerr << "workbook-counter-service: sigprocmask: " << std::strerror(errno) << '\n';
        return 1;
    }
    int stop_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC);
    if (stop_fd < 0) {
        std::cerr << "workbook-counter-service: signalfd: " << std::strerror(errno) << '\n';
        return 1;
    }
    try {
        workbook::CounterService service(socket_path, std::chrono::microseconds(wait_us));
        std::cout << "ready" << std::endl;  // the readiness handshake: the socket accepts connections
        service.run(stop_fd);
    } catch (const std::exception& failure) {
        std::cerr << "workbook-counter-service: " << failure.what() << '\n';
        return 1;
    }
    ::close(stop_fd);
    return 0;
}
