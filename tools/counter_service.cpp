// `workbook-counter-service --socket PATH --wait US`: the slow counter the chapters can call out to
// (`--counter service`), a small server speaking Redis's protocol on a Unix socket. It prints
// `ready` once it accepts connections, and exits cleanly on SIGTERM or SIGINT.
#include "workbook/counter_service.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

constexpr const char* usage = "usage: workbook-counter-service --socket PATH [--wait US]";

int usage_error(const std::string& message) {
    std::cerr << "workbook-counter-service: " << message << "; " << usage << '\n';
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket_path;
    std::uint64_t wait_us = 0;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage << "\n\n"
                         "Serves counters on the Unix socket PATH, in the part of Redis's protocol the workbook\n"
                         "uses: PING, INCR key, INCRBY key N, GET key, DEL key (any other command gets an error\n"
                         "reply), so redis-cli, hiredis and Python's redis package talk to it as to Redis.\n"
                         "Every INCR and INCRBY is answered US microseconds after it arrived (default 0), without\n"
                         "holding up other requests; pipelined replies come back in order.\n"
                         "Prints 'ready' once it accepts connections; SIGTERM or SIGINT stop it, and it\n"
                         "removes its socket. PATH must not exist yet.\n"
                         "Exit status: 0 stopped by a signal, 1 the service failed, 2 bad usage.\n";
            return 0;
        }
        if ((arg == "--socket" || arg == "--wait") && i + 1 == argc) return usage_error(std::string(arg) + " needs a value");
        if (arg == "--socket") {
            socket_path = argv[++i];
            continue;
        }
        if (arg == "--wait") {
            std::string_view text = argv[++i];
            auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), wait_us);
            if (text.empty() || error != std::errc{} || end != text.data() + text.size() || wait_us > 3'600'000'000)
                return usage_error("--wait needs a whole number of microseconds (at most an hour), got '" + std::string(text) + "'");
            continue;
        }
        return usage_error("unknown option '" + std::string(arg) + "'");
    }
    if (socket_path.empty()) return usage_error("--socket PATH is required");

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
