#include "workbook/servers.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <random>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <utility>

namespace workbook {
namespace {

std::int64_t now_ms() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

// A private directory for the server's socket, short enough for a socket path (108 bytes).
std::string make_private_directory() {
    std::string base = "/tmp";
    if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir && *tmpdir && std::strlen(tmpdir) < 60) base = tmpdir;
    std::string pattern = base + "/workbook-server-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw ServerError(system_error("cannot create a private directory in " + base));
    return pattern;
}

std::string find_program(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/bin:/usr/sbin:/bin";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string folder = path.substr(start, end - start);
        if (!folder.empty()) {
            std::string candidate = folder + "/" + name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        start = end + 1;
    }
    return {};
}

// Ends a forked child at once: no atexit handlers, no stdio flush (a copy of the parent's unwritten
// output), not even a sanitizer's, which _exit() would run.
[[noreturn]] void exit_now(int status) {
    ::syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

// Closes every descriptor from 3 up except those in `keep` (a forked child's cleanup: system calls only).
void close_all_but(std::array<int, 3> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned next = 3;
    for (int fd : keep) {
        if (fd < 3) continue;
        if (static_cast<unsigned>(fd) > next) ::close_range(next, static_cast<unsigned>(fd) - 1, 0);
        next = static_cast<unsigned>(fd) + 1;
    }
    ::close_range(next, ~0U, 0);
}

// The keeper, in the forked child: only async-signal-safe calls from here on, since the parent may
// have other threads. Starts the server, waits for the lifeline to close, SIGTERM or the server's
// exit, stops the server, removes its files and directory.
[[noreturn]] void keeper(char* const* argv, int lifeline, int alive, int ready, const char* directory, const char* socket,
                         const char* log, int stop_ms) {
    ::setpgid(0, 0);
    close_all_but({lifeline, alive, ready});
    sigset_t watched;
    sigemptyset(&watched);
    sigaddset(&watched, SIGCHLD);
    sigaddset(&watched, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &watched, nullptr);
    int signals = ::signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK);
    pid_t keeper_pid = ::getpid();
    pid_t server = signals < 0 ? -1 : ::fork();
    if (server == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != keeper_pid) exit_now(127);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction default_action{};
        default_action.sa_handler = SIG_DFL;
        for (int signal : {SIGTERM, SIGINT, SIGPIPE, SIGHUP}) ::sigaction(signal, &default_action, nullptr);
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(ready >= 0 ? ready : null, 1);
        ::execv(argv[0], argv);
        const char message[] = "cannot run the server program: ";
        (void)!::write(2, message, sizeof message - 1);
        (void)!::write(2, argv[0], std::strlen(argv[0]));
        (void)!::write(2, "\n", 1);
        exit_now(127);
    }
    if (ready >= 0) ::close(ready);
    int status = 0;
    if (server > 0) {
        (void)!::write(alive, &server, sizeof server);
        pollfd fds[2] = {{lifeline, POLLIN, 0}, {signals, POLLIN, 0}};
        bool stopping = false, reaped = false;
        std::int64_t deadline = 0;
        while (!reaped) {
            int timeout = stopping ? static_cast<int>(std::max<std::int64_t>(0, deadline - now_ms())) : -1;
            int ready_count = ::poll(fds, 2, timeout);
            if (ready_count < 0 && errno != EINTR) break;
            bool stop_now = fds[0].revents != 0;
            if (fds[1].revents != 0) {
                signalfd_siginfo info;
                while (::read(signals, &info, sizeof info) == sizeof info)
                    if (info.ssi_signo == SIGTERM) stop_now = true;
            }
            if (::waitpid(server, &status, WNOHANG) == server) reaped = true;
            if (reaped) break;
            if (stop_now && !stopping) {
                stopping = true;
                fds[0].fd = -1;
                deadline = now_ms() + stop_ms;
                ::kill(server, SIGTERM);
            } else if (stopping && ready_count == 0) {
                ::kill(server, SIGKILL);
                while (::waitpid(server, &status, 0) < 0 && errno == EINTR) {}
                reaped = true;
            }
        }
    }
    ::unlink(socket);
    if (*log) ::unlink(log);
    ::rmdir(directory);
    exit_now(server > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 126);
}

bool wait_readable(int fd, std::int64_t deadline_ms) {
    for (;;) {
        pollfd fd_poll{fd, POLLIN, 0};
        int timeout = static_cast<int>(std::max<std::int64_t>(0, deadline_ms - now_ms()));
        int ready = ::poll(&fd_poll, 1, timeout);
        if (ready > 0) return true;
        if (ready == 0) return false;
        if (errno != EINTR) return false;
    }
}

std::string last_line_of(const std::string& path) {
    std::ifstream file(path);
    std::string line, last;
    while (std::getline(file, line))
        if (!line.empty()) last = line;
    return last;
}

}  // namespace

std::string counter_service_program() {
    std::array<char, 4096> self{};
    ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
    if (n <= 0) throw ServerError(system_error("cannot find the running program (/proc/self/exe)"));
    std::string program(self.data(), static_cast<std::size_t>(n));
    program = program.substr(0, program.rfind('/') + 1) + "workbook-counter-service";
    if (::access(program.c_str(), X_OK) != 0)
        throw ServerError("the counter service program " + program + " is missing; build it with the chapters "
                          "(cmake --build build/default --target workbook-counter-service)");
    return program;
}

PrivateServer PrivateServer::counter_service(std::chrono::microseconds wait, std::string program, ServerDeadlines deadlines) {
    if (program.empty()) program = counter_service_program();
    PrivateServer server;
    server.name_ = "the counter service";
    server.directory_ = make_private_directory();
    server.socket_ = server.directory_ + "/counter.sock";
    server.start(program, {"--socket", server.socket_, "--wait", std::to_string(wait.count())}, true, deadlines);
    return server;
}

PrivateServer PrivateServer::redis(ServerDeadlines deadlines, std::string name) {
    std::string program = name.find('/') == std::string::npos ? find_program(name) : (::access(name.c_str(), X_OK) == 0 ? name : "");
    if (program.empty())
        throw ServerError(name + " is not installed (it is in the Debian package redis-server: apt-get install redis-server)");
    PrivateServer server;
    server.name_ = "Redis";
    server.directory_ = make_private_directory();
    server.socket_ = server.directory_ + "/redis.sock";
    server.log_ = server.directory_ + "/redis.log";
    server.start(program,
                 {"--port", "0", "--unixsocket", server.socket_, "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                  "--daemonize", "no", "--dir", server.directory_, "--logfile", server.log_},
                 false, deadlines);
    return server;
}

void PrivateServer::start(const std::string& program, const std::vector<std::string>& args, bool says_ready,
                          ServerDeadlines deadlines) {
    deadlines_ = deadlines;
    std::vector<std::string> words{program};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    int lifeline[2], alive[2], ready[2] = {-1, -1};
    if (::pipe2(lifeline, O_CLOEXEC) != 0) throw ServerError(system_error("pipe"));
    if (::pipe2(alive, O_CLOEXEC) != 0) {
        ::close(lifeline[0]), ::close(lifeline[1]);
        throw ServerError(system_error("pipe"));
    }
    if (says_ready && ::pipe2(ready, O_CLOEXEC) != 0) {
        for (int fd : {lifeline[0], lifeline[1], alive[0], alive[1]}) ::close(fd);
        throw ServerError(system_error("pipe"));
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        keeper(argv.data(), lifeline[0], alive[1], ready[1], directory_.c_str(), socket_.c_str(), log_.c_str(),
               static_cast<int>(deadlines.stop.count()));
    }
    int error = errno;
    ::close(lifeline[0]);
    ::close(alive[1]);
    if (says_ready) ::close(ready[1]);
    lifeline_ = lifeline[1];
    keeper_alive_ = alive[0];
    if (pid < 0) {
        if (says_ready) ::close(ready[0]);
        errno = error;
        std::string message = system_error("cannot start " + name_ + " (fork)");
        stop();
        throw ServerError(message);
    }
    keeper_pid_ = pid;
    ::setpgid(pid, pid);  // also done by the keeper: whichever runs first
    std::int64_t deadline = now_ms() + deadlines.start.count();
    std::string failure;
    if (!wait_readable(keeper_alive_, deadline) || ::read(keeper_alive_, &server_pid_, sizeof server_pid_) != sizeof server_pid_) {
        failure = "cannot start " + name_ + ": its keeper process failed";
    } else if (says_ready) {
        std::string said;
        while (said.find('\n') == std::string::npos) {
            if (!wait_readable(ready[0], deadline)) {
                failure = name_ + " (" + program + ") did not say 'ready' within " + std::to_string(deadlines.start.count()) + " ms";
                break;
            }
            char buffer[64];
            ssize_t n = ::read(ready[0], buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                failure = name_ + " (" + program + ") exited before it was ready (its message, if any, is above)";
                break;
            }
            said.append(buffer, static_cast<std::size_t>(n));
        }
        if (failure.empty() && said != "ready\n") failure = name_ + " (" + program + ") said '" + said.substr(0, said.find('\n')) + "', not 'ready'";
        ::close(ready[0]);
    } else {
        // redis-server has no readiness message on a pipe: it is ready when it answers PING.
        for (;;) {
            try {
                connect({std::chrono::milliseconds(500), std::chrono::milliseconds(1000)}).ping();
                break;
            } catch (const CounterError& refused) {
                pollfd keeper_poll{keeper_alive_, POLLIN, 0};
                if (::poll(&keeper_poll, 1, 0) > 0) {
                    std::string reason = last_line_of(log_);
                    failure = name_ + " (" + program + ") exited before it was ready" + (reason.empty() ? "" : ": " + reason);
                    break;
                }
                if (now_ms() >= deadline) {
                    failure = name_ + " (" + program + ") did not answer PING within " + std::to_string(deadlines.start.count()) + " ms: " + refused.what();
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        }
    }
    if (!failure.empty()) {
        stop();
        throw ServerError(failure);
    }
}

PrivateServer::PrivateServer(PrivateServer&& other) noexcept
    : name_(std::move(other.name_)), directory_(std::move(other.directory_)), socket_(std::move(other.socket_)),
      log_(std::move(other.log_)), keeper_pid_(std::exchange(other.keeper_pid_, -1)),
      server_pid_(std::exchange(other.server_pid_, -1)), lifeline_(std::exchange(other.lifeline_, -1)),
      keeper_alive_(std::exchange(other.keeper_alive_, -1)), deadlines_(other.deadlines_) {
    other.directory_.clear();
}

PrivateServer::~PrivateServer() { stop(); }

void PrivateServer::stop() noexcept {
    if (lifeline_ >= 0) ::close(lifeline_);
    lifeline_ = -1;
    if (keeper_pid_ > 0) {
        ::kill(keeper_pid_, SIGTERM);  // also when a forked child of ours still holds the lifeline
        // The keeper gives the server deadlines_.stop before SIGKILL; past that and a margin, it is stuck.
        if (!wait_readable(keeper_alive_, now_ms() + deadlines_.stop.count() + 2000)) ::kill(-keeper_pid_, SIGKILL);
        while (::waitpid(keeper_pid_, nullptr, 0) < 0 && errno == EINTR) {}
        keeper_pid_ = -1;
    }
    if (keeper_alive_ >= 0) ::close(keeper_alive_);
    keeper_alive_ = -1;
    if (!directory_.empty()) {
        // Normally the keeper has removed them; not if it was killed.
        ::unlink(socket_.c_str());
        if (!log_.empty()) ::unlink(log_.c_str());
        ::rmdir(directory_.c_str());
        directory_.clear();
    }
}

CounterClient PrivateServer::connect(ClientTimeouts timeouts) const { return CounterClient(socket_, name_, timeouts); }

KeyNamespace::KeyNamespace(CounterClient& client, std::string prefix) : client_(client), prefix_(std::move(prefix)) {}

KeyNamespace::~KeyNamespace() {
    for (const std::string& key : keys_) {
        try {
            client_.del(key);
        } catch (const std::exception&) {
            return;  // the server is gone, and its keys with it, or the client is busy: nothing to do
        }
    }
}

std::string KeyNamespace::key(std::string_view name) {
    std::string key = prefix_ + std::string(name);
    if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) keys_.push_back(key);
    return key;
}

std::string KeyNamespace::unique_prefix() {
    char host[256] = "host";
    ::gethostname(host, sizeof host - 1);
    std::random_device random;
    std::uint64_t bits = (static_cast<std::uint64_t>(random()) << 32) ^ random();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
    return "workbook:" + std::string(host) + ":" + std::to_string(::getpid()) + ":" + hex + ":";
}

}  // namespace workbook
