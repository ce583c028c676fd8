// The chapter programs, run as a learner runs them, when their slow counter fails under them: the
// private counter service or redis-server killed mid-run, and Ctrl-C (SIGINT to the program's
// process group, as a terminal sends it). The rules (README.md, "Slow counters"): a server that dies
// is one line on stderr naming it and what happened, exit status 1, no hang; Ctrl-C ends the program
// as SIGINT does (a shell shows status 130); afterwards no process of the run, no server, no socket
// and no private directory is left. The Python peers of chapters 12 and 13 keep the same promise
// when they are SIGKILLed: the keeper of their private server removes it.
//
// Each case waits for states it observes in /proc (the server's process exists, a connection of the
// run's beside the runner's own), never for a while; the deadlines only turn a hang into a failure.
#include "observe.hpp"
#include "redis_testing.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

using namespace std::chrono_literals;
using workbook::testing::eventually;

namespace {

// Long enough that no chapter ends before its server is killed: at 1 ms per call, hours.
const std::vector<std::string> endless = {"--limit", "0", "--runs", "1"};

// The whole of a /proc file, or as much as could be read: "" once the process has gone. (Not an
// ifstream, which throws when the process ends between the open and the read.)
std::string slurp(const std::string& path) {
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return text;
}

bool exists(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

// Every process here and its parent, from /proc/PID/stat.
std::map<pid_t, pid_t> parents() {
    std::map<pid_t, pid_t> parent;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return parent;
    while (dirent* entry = ::readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        std::string stat = slurp("/proc/" + std::string(entry->d_name) + "/stat");
        auto name_end = stat.rfind(") ");
        if (name_end == std::string::npos) continue;
        int ppid = 0;
        if (std::sscanf(stat.c_str() + name_end + 2, "%*c %d", &ppid) == 1) parent[static_cast<pid_t>(pid)] = ppid;
    }
    ::closedir(proc);
    return parent;
}

std::vector<pid_t> descendants_of(pid_t root) {
    auto parent = parents();
    std::vector<pid_t> found{root};
    for (std::size_t i = 0; i < found.size(); ++i)
        for (auto [pid, ppid] : parent)
            if (ppid == found[i]) found.push_back(pid);
    found.erase(found.begin());
    return found;
}

std::vector<std::string> arguments_of(pid_t pid) {
    std::string text = slurp("/proc/" + std::to_string(pid) + "/cmdline");
    std::vector<std::string> words;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = text.find('\0', at);
        if (end == std::string::npos) end = text.size();
        words.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return words;
}

std::size_t sockets_of(pid_t pid) {
    std::size_t sockets = 0;
    std::string folder = "/proc/" + std::to_string(pid) + "/fd";
    DIR* fds = ::opendir(folder.c_str());
    if (fds == nullptr) return 0;
    while (dirent* entry = ::readdir(fds)) {
        char target[256] = {};
        if (::readlink((folder + "/" + entry->d_name).c_str(), target, sizeof target - 1) > 0 &&
            std::strncmp(target, "socket:", 7) == 0)
            ++sockets;
    }
    ::closedir(fds);
    return sockets;
}

// The private server of a running chapter, as /proc shows it.
struct Server {
    pid_t pid = -1;
    std::string socket;     // from its command line
    std::string directory;  // the socket's private directory
};

// The server among `chapter`'s descendants (a child of its keeper), once it has exec'd its program.
std::optional<Server> server_of(pid_t chapter) {
    for (pid_t pid : descendants_of(chapter)) {
        std::string comm = slurp("/proc/" + std::to_string(pid) + "/comm");
        if (!comm.empty() && comm.back() == '\n') comm.pop_back();
        if (comm != "workbook-counte" && comm != "redis-server") continue;  // comm holds 15 characters
        auto words = arguments_of(pid);
        for (std::size_t i = 0; i + 1 < words.size(); ++i) {
            if (words[i] == "--socket" || words[i] == "--unixsocket")
                return Server{pid, words[i + 1], words[i + 1].substr(0, words[i + 1].rfind('/'))};
        }
    }
    return std::nullopt;
}

// Orphans of a chapter (a keeper or worker it left) are re-parented to this process while it lives,
// so that the test sees them, and reaps them, instead of init.
struct Subreaper {
    Subreaper() { REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) == 0); }
    ~Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL); }
    Subreaper(const Subreaper&) = delete;
    Subreaper& operator=(const Subreaper&) = delete;
};

bool no_child_remains() {
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

// Reaps every child of this process (orphans included) until none is left; false if one is still
// there after the deadline (and then it is killed, so that the next case starts clean).
bool reap_all_within(std::chrono::seconds deadline) {
    bool ended = eventually(
        [] {
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
            return no_child_remains();
        },
        deadline);
    if (!ended) {
        for (pid_t pid : descendants_of(::getpid())) ::kill(pid, SIGKILL);
        while (::waitpid(-1, nullptr, 0) > 0) {}
    }
    return ended;
}

// A chapter program started as a shell starts a job: in a process group of its own, its outputs
// captured.
class Job {
public:
    // `slug` names a chapter program in the build's bin/, or is a program's absolute path.
    Job(const std::string& slug, std::vector<std::string> args)
        : program_(slug.starts_with('/') ? slug : WORKBOOK_BIN_DIR "/" + slug) {
        int out[2], err[2];
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
        args.insert(args.begin(), program_);
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        int spawned = ::posix_spawn(&pid_, program_.c_str(), &actions, &attributes, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
        ::close(out[1]);
        ::close(err[1]);
        out_ = out[0];
        err_ = err[0];
        REQUIRE_MESSAGE(spawned == 0, "cannot start ", program_, ": ", std::strerror(spawned));
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        REQUIRE(pidfd_ >= 0);
    }
    ~Job() {
        if (pid_ > 0 && !ended_) {
            ::kill(-pid_, SIGKILL);
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
        }
        for (int fd : {out_, err_, pidfd_})
            if (fd >= 0) ::close(fd);
    }
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    pid_t pid() const { return pid_; }

    // Waits until the program has ended, reading what it prints; false if it is still running after
    // `deadline` (a hang). Its outputs are read until the program itself has ended: a process it
    // left behind holding them does not keep this waiting.
    bool finish(std::chrono::seconds deadline) {
        const auto give_up = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            pollfd fds[3] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
            drain(fds[0], out_, out);
            drain(fds[1], err_, err);
            if (fds[2].revents != 0) break;
        }
        int wait_status = 0;
        while (::waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {}
        ended_ = true;
        status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
        for (int fd : {out_, err_}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
        pollfd last[2] = {{out_, POLLIN, POLLIN}, {err_, POLLIN, POLLIN}};
        drain(last[0], out_, out);
        drain(last[1], err_, err);
        return true;
    }

    int status = -1;  // exit status, or 128 + signal, as a shell shows it
    std::string out, err;

private:
    static void drain(pollfd& fd, int& descriptor, std::string& into) {
        if (descriptor < 0 || fd.revents == 0) return;
        char buffer[4096];
        for (;;) {
            ssize_t n = ::read(descriptor, buffer, sizeof buffer);
            if (n > 0) {
                into.append(buffer, static_cast<std::size_t>(n));
                if (static_cast<std::size_t>(n) < sizeof buffer) return;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) {
                ::close(descriptor);
                descriptor = -1;
            }
            return;
        }
    }

    std::string program_;
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1, pidfd_ = -1;
    bool ended_ = false;
};

// Starts `slug` with `args`, waits until its private server runs and a connection of the run's
// own (beside the runner's) has reached it, then does `strike` to it; returns the ended job and its
// server. Every child of the run, orphans included, has been reaped when it returns.
struct Outcome {
    int status = -1;
    std::string out, err;
    Server server;
    bool hung = false;
    bool left_processes = false;  // a process of the run was still there when the program had ended
};

// `connections`: the server's sockets that show the run under way (its listening one among them).
template <typename Strike>
Outcome run_and_strike(const std::string& slug, const std::vector<std::string>& args, Strike strike,
                       std::size_t connections = 3) {
    Outcome outcome;
    REQUIRE(no_child_remains());
    {
        Job job(slug, args);
        std::optional<Server> server;
        REQUIRE_MESSAGE(eventually([&] { return (server = server_of(job.pid())).has_value(); }), slug, ": no server seen");
        // The listening socket, the runner's own connection and at least one of the run's.
        REQUIRE_MESSAGE(eventually([&] { return sockets_of(server->pid) >= connections; }), slug, ": no counter call seen");
        outcome.server = *server;
        strike(job, *server);
        outcome.hung = !job.finish(30s);
        outcome.status = job.status;
        outcome.out = job.out;
        outcome.err = job.err;
    }
    outcome.left_processes = !no_child_remains();
    return outcome;
}

void check_nothing_left(const Outcome& outcome) {
    CHECK_MESSAGE(!exists(outcome.server.socket), outcome.server.socket);
    CHECK_MESSAGE(!exists(outcome.server.directory), outcome.server.directory);
    CHECK(::kill(outcome.server.pid, 0) < 0);
    CHECK(errno == ESRCH);
}

void kill_server(Job&, const Server& server) { REQUIRE(::kill(server.pid, SIGKILL) == 0); }

void check_server_death(const std::string& slug, const Outcome& outcome, const std::string& server_name) {
    CHECK_FALSE(outcome.hung);
    CHECK(outcome.status == 1);
    CHECK(outcome.out == "");
    CHECK(std::count(outcome.err.begin(), outcome.err.end(), '\n') == 1);
    CHECK(outcome.err.starts_with(slug + ": "));
    CHECK_MESSAGE(outcome.err.find(server_name) != std::string::npos, outcome.err);
    // What happened to it, in the client's words, wherever the call was made.
    // (A process or thread that connects only after the server has gone cannot connect instead.)
    CHECK_MESSAGE((outcome.err.find(server_name + " closed the connection") != std::string::npos ||
                   outcome.err.find("cannot connect to " + server_name) != std::string::npos),
                  outcome.err);
    // The program reaped its keeper, server and workers before it ended.
    CHECK_FALSE(outcome.left_processes);
    check_nothing_left(outcome);
}

struct ChapterRun {
    std::string slug;
    std::vector<std::string> args;
};

std::vector<ChapterRun> service_runs() {
    std::vector<std::string> service = {"--counter", "service", "--wait", "1000"};
    service.insert(service.end(), endless.begin(), endless.end());
    auto with = [&](std::vector<std::string> more) {
        more.insert(more.begin(), service.begin(), service.end());
        return more;
    };
    return {{"01_serial", service}, {"02_processes", with({"--in-flight", "8"})}, {"03_pools", service},
            {"04_threads", service}, {"11_greenlets", service}};
}

}  // namespace

TEST_CASE("the counter service killed mid-run: one line naming it and what happened, exit status 1, nothing left") {
    Subreaper subreaper;
    for (const ChapterRun& run : service_runs()) {
        INFO(run.slug);
        Outcome outcome = run_and_strike(run.slug, run.args, kill_server);
        check_server_death(run.slug, outcome, "the counter service");
        CHECK(reap_all_within(30s));
    }
}

TEST_CASE("a private Redis killed mid-run: one line naming it and what happened, exit status 1, nothing left") {
    if (!workbook::testing::redis_or_skip()) return;
    Subreaper subreaper;
    for (const std::string slug : {"01_serial", "04_threads", "09_weightless"}) {
        INFO(slug);
        std::vector<std::string> args = {"--counter", "redis"};
        args.insert(args.end(), endless.begin(), endless.end());
        Outcome outcome = run_and_strike(slug, args, kill_server);
        check_server_death(slug, outcome, "Redis");
        CHECK(reap_all_within(30s));
    }
}

TEST_CASE("Ctrl-C mid-run ends the program as SIGINT does (status 130), its workers and its server with it, nothing left") {
    Subreaper subreaper;
    for (const ChapterRun& run : service_runs()) {
        INFO(run.slug);
        Outcome outcome = run_and_strike(run.slug, run.args, [](Job& job, const Server&) {
            REQUIRE(::kill(-job.pid(), SIGINT) == 0);  // the whole foreground group, as a terminal does
        });
        CHECK_FALSE(outcome.hung);
        CHECK(outcome.status == 128 + SIGINT);
        CHECK(outcome.out == "");
        CHECK_MESSAGE(outcome.err == "", outcome.err);
        // The server's keeper is in a process group of its own, out of Ctrl-C's reach: it stops the
        // server and removes its directory once the program has gone. Wait for it, then look.
        CHECK(reap_all_within(30s));
        check_nothing_left(outcome);
    }
}

TEST_CASE("a Python peer killed by SIGKILL mid-run leaves no server, socket or private directory: its keeper removes them") {
    ::setenv("WORKBOOK_COUNTER_SERVICE", WORKBOOK_BIN_DIR "/workbook-counter-service", 1);
    const std::string source = WORKBOOK_SOURCE_DIR "/chapters/";
    const std::pair<std::string, std::string> peers[] = {{WORKBOOK_PYTHON3_GEVENT, source + "12_event_loop/event_loop.py"},
                                                         {WORKBOOK_PYTHON3_TWISTED, source + "13_deferreds/deferreds.py"},
                                                         {WORKBOOK_PYTHON3_ASYNCIO, source + "14_async_await/async_await.py"}};
    Subreaper subreaper;
    for (const auto& entry : peers) {
        const std::string& python = entry.first;  // not a structured binding: INFO captures it
        const std::string& peer = entry.second;
        INFO(peer);
        if (python.empty() && std::getenv("CI") == nullptr) {
            MESSAGE("no python3 here has what ", peer, " imports: skipped");
            continue;
        }
        REQUIRE(python.starts_with('/'));
        std::vector<std::string> args = {peer, "--counter", "service", "--wait", "1000"};
        args.insert(args.end(), endless.begin(), endless.end());
        // The server's listening socket and the peer's connection: the peer is counting.
        Outcome outcome = run_and_strike(python, args, [](Job& job, const Server&) {
            REQUIRE(::kill(job.pid(), SIGKILL) == 0);  // no `finally`, no atexit runs in the peer
        }, 2);
        CHECK_FALSE(outcome.hung);
        CHECK(outcome.status == 128 + SIGKILL);
        // The keeper, orphaned to this process, stops the server and removes its directory, then
        // ends: once every child here has ended, nothing of the run may be left.
        CHECK(reap_all_within(30s));
        check_nothing_left(outcome);
    }
}
