// A chapter's program run as a user runs it, for the tests of what it leaves behind when its
// server dies or the user presses Ctrl-C. Needs WORKBOOK_BIN_DIR, the folder of the built programs.
#pragma once

#include "child_testing.hpp"
#include "observe.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace workbook::testing {

/// A chapter's program (`WORKBOOK_BIN_DIR/program` with `arguments`), started as a shell starts a
/// foreground job: in a process group of its own, with a private TMPDIR (where its server's socket
/// lives) and its stderr on a pipe. This process is a child subreaper meanwhile, so that nothing
/// the program leaves can hide with init.
class RunningProgram {
public:
    RunningProgram(const std::string& program, std::vector<std::string> arguments) {
        arguments.insert(arguments.begin(), program);
        std::vector<char*> argv;
        for (std::string& argument : arguments) argv.push_back(argument.data());
        argv.push_back(nullptr);
        const std::string path = std::string(WORKBOOK_BIN_DIR) + "/" + program;
        program_ = program;
        REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
        REQUIRE(::mkdtemp(tmpdir_.data()) != nullptr);
        int err[2];
        REQUIRE(::pipe(err) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::setpgid(0, 0);
            ::setenv("TMPDIR", tmpdir_.c_str(), 1);
            ::dup2(err[1], 2);
            ::close(err[0]);
            std::signal(SIGINT, SIG_DFL);
            ::execv(path.c_str(), argv.data());
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);
        ::close(err[1]);
        err_ = err[0];
    }
    ~RunningProgram() {
        ::close(err_);
        std::filesystem::remove_all(tmpdir_);
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    }

    // The counter service's pid once the run is under way: the program holds two connections to
    // it (the runner's and its loop's), and the server runs under its keeper.
    pid_t server_once_counting() const {
        pid_t server = 0;
        CHECK(eventually([&] { return sockets() >= 2 && (server = grandchild()) != 0; }));
        return server;
    }
    // Waits for the program to end (at most a minute: a hang fails the test); its wait status.
    int wait() {
        int status = 0;
        ::alarm(60);
        REQUIRE(::waitpid(pid_, &status, 0) == pid_);
        ::alarm(0);
        return status;
    }
    std::string stderr_text() const {
        std::string text;
        char buffer[4096];
        for (ssize_t n; (n = ::read(err_, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
        return text;
    }
    // Reaps whatever the program orphaned, as init would; then nothing is left in its TMPDIR.
    bool nothing_left() const {
        ::alarm(60);
        while (::waitpid(-1, nullptr, 0) > 0) {}
        ::alarm(0);
        return no_child_remains() && std::filesystem::is_empty(tmpdir_);
    }
    pid_t pid() const { return pid_; }

    // Its counter service SIGKILLed once counting: the program exits 1 with one line naming the
    // service, and leaves nothing behind.
    void check_server_death_reported() {
        const pid_t server = server_once_counting();
        REQUIRE(server > 0);
        REQUIRE(::kill(server, SIGKILL) == 0);
        const int status = wait();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 1);
        const std::string err = stderr_text();
        CHECK_MESSAGE(err.starts_with(program_ + ": the counter service"), err);
        CHECK(std::count(err.begin(), err.end(), '\n') == 1);
        CHECK(nothing_left());
    }
    // Ctrl-C once counting (SIGINT to its process group): it dies of SIGINT and leaves nothing.
    void check_interrupted_cleanly() {
        REQUIRE(server_once_counting() > 0);
        REQUIRE(::kill(-pid_, SIGINT) == 0);
        const int status = wait();
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGINT);
        CHECK(nothing_left());
    }

private:
    std::size_t sockets() const {
        std::size_t count = 0;
        std::error_code error;
        for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", error))
            count += std::filesystem::read_symlink(fd, error).string().starts_with("socket:");
        return count;
    }
    pid_t grandchild() const {
        if (children_of(pid_) != 1) return 0;
        std::ifstream keeper("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children");
        pid_t keeper_pid = 0, server = 0;
        if (!(keeper >> keeper_pid)) return 0;
        std::ifstream servers("/proc/" + std::to_string(keeper_pid) + "/task/" + std::to_string(keeper_pid) + "/children");
        return servers >> server ? server : 0;
    }

    std::string tmpdir_ = std::filesystem::temp_directory_path() / "program-test-XXXXXX";
    std::string program_;
    pid_t pid_ = -1;
    int err_ = -1;
};

}  // namespace workbook::testing
