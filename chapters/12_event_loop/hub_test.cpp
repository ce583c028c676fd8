// Chapter 12's own tests: the Waiter hands over a value or an error, before or during the wait; the
// hub's greenlets count every event once, with local counters and with the counter service, up to
// --in-flight of them waiting at once; a server killed mid-run fails the run naming it.
#include "hub.hpp"
#include "waiter.hpp"

#include "books.hpp"
#include "child_testing.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"
#include "observe.hpp"

#include "workbook/book.hpp"
#include "workbook/chapter.hpp"
#include "workbook/greenlet.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using workbook::Greenlet;
using workbook::chapter12::count_on_hub;
using workbook::chapter12::Waiter;
using workbook::testing::children_of;
using workbook::testing::error_of;
using workbook::testing::eventually;
using workbook::testing::no_child_remains;
using workbook::testing::every_byte_value;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::service_counter;

namespace {

// The most greenlets seen waiting on the hub at once in one run.
std::size_t most_waiting(workbook::Events book, const workbook::Settings& settings) {
    std::size_t most = 0;
    CHECK(count_on_hub(book, settings, [&most](std::size_t waiting) { most = std::max(most, waiting); }) ==
          workbook::reference_count(book));
    return most;
}

// Chapter 12's program counting the whole book with the counter service, started as a shell starts
// a foreground job, with a private TMPDIR (where its server's socket lives) and its stderr on a
// pipe. This process is a child subreaper meanwhile, so that nothing it leaves can hide with init.
class RunningProgram {
public:
    RunningProgram() {
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
            ::execl(WORKBOOK_BIN_DIR "/12_event_loop", "12_event_loop", "--counter", "service", "--wait", "100",
                    "--runs", "1", "--limit", "0", static_cast<char*>(nullptr));
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
    // it (the runner's and the hub's loop's), and the server runs under its keeper.
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

    std::string tmpdir_ = std::filesystem::temp_directory_path() / "hub-test-XXXXXX";
    pid_t pid_ = -1;
    int err_ = -1;
};

}  // namespace

TEST_CASE("a waiter resumes the greenlet waiting on it with the value the hub hands it") {
    Greenlet& main = Greenlet::current();
    Waiter* waiter = nullptr;
    Greenlet hub{[&] {
        CHECK(waiter->waiting());
        waiter->switch_to(42);
        main.switch_to();
    }};
    Waiter mine{hub};
    waiter = &mine;
    CHECK_FALSE(mine.waiting());
    CHECK(mine.get() == 42);
    CHECK_FALSE(mine.waiting());
}

TEST_CASE("a waiter raises the error the hub throws in the greenlet waiting on it") {
    Greenlet& main = Greenlet::current();
    Waiter* waiter = nullptr;
    Greenlet hub{[&] {
        waiter->throw_into(std::make_exception_ptr(std::runtime_error("the server has gone")));
        main.switch_to();
    }};
    Waiter mine{hub};
    waiter = &mine;
    CHECK_THROWS_WITH_AS(mine.get(), "the server has gone", std::runtime_error);
}

TEST_CASE("a value or an error handed over before the wait is kept, and get() returns it without switching") {
    Greenlet hub{[] { FAIL("get() switched to the hub"); }};
    Waiter waiter{hub};
    waiter.switch_to(7);
    CHECK(waiter.get() == 7);
    waiter.throw_into(std::make_exception_ptr(std::out_of_range("late")));
    CHECK_THROWS_AS(waiter.get(), std::out_of_range);
    CHECK_FALSE(hub.started());
}

TEST_CASE("the hub's greenlets count every event once with local counters, however many are in flight") {
    const auto bytes = every_byte_value(3);
    const workbook::Events book{bytes.data(), bytes.size()};
    for (std::size_t in_flight : {1, 2, 100, 1000}) {
        INFO("in flight: ", in_flight);
        workbook::Settings settings;
        settings.in_flight = in_flight;
        CHECK(most_waiting(book, settings) == std::min(in_flight, book.size()));
    }
    CHECK(count_on_hub({}, workbook::Settings{}) == workbook::LetterTypes{});
}

TEST_CASE("the hub counts the default book's first 200,000 events like the reference") {
    const auto book = workbook::Book::default_book(200'000);
    workbook::Settings settings;
    settings.in_flight = 100;
    CHECK(count_on_hub(book.events(), settings) == workbook::reference_count(book.events()));
}

TEST_CASE("with --work on local counters the hub counts the same") {
    const workbook::CounterBackend work(local_work(1000));
    const auto book = workbook::Book::default_book(300);
    workbook::Settings settings;
    settings.counters = &work;
    settings.in_flight = 10;
    CHECK(count_on_hub(book.events(), settings) == workbook::reference_count(book.events()));
}

TEST_CASE("with the counter service up to --in-flight calls wait at once, and the service counts each event once") {
    workbook::CounterBackend backend(service_counter(50));
    const auto book = workbook::Book::default_book(500);
    for (std::size_t in_flight : {1, 8, 100}) {
        INFO("in flight: ", in_flight);
        workbook::Settings settings;
        settings.counters = &backend;
        settings.in_flight = in_flight;
        backend.reset();
        CHECK(most_waiting(book.events(), settings) == in_flight);
        CHECK(backend.totals() == workbook::reference_count(book.events()));
    }
}

TEST_CASE("the counter service killed mid-run fails the run with one error naming it") {
    static const auto book = workbook::Book::default_book(1'000'000);  // a call per event: it cannot end first
    workbook::CounterBackend backend(service_counter());
    workbook::Settings settings;
    settings.counters = &backend;
    settings.in_flight = 100;
    KillServerOnceCounting killer(backend);
    const std::string error = error_of([&] { count_on_hub(book.events(), settings); });
    CHECK(killer.killed());
    CHECK_MESSAGE(error.rfind("the counter service", 0) == 0, error);
}

TEST_CASE("the program, its counter service killed mid-run, exits 1 with one line naming it, and leaves nothing") {
    RunningProgram program;
    const pid_t server = program.server_once_counting();
    REQUIRE(server > 0);
    REQUIRE(::kill(server, SIGKILL) == 0);
    const int status = program.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    const std::string err = program.stderr_text();
    CHECK_MESSAGE(err.starts_with("12_event_loop: the counter service"), err);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(program.nothing_left());
}

TEST_CASE("the program interrupted by Ctrl-C mid-run dies of SIGINT, and its counter service goes with its socket") {
    RunningProgram program;
    REQUIRE(program.server_once_counting() > 0);
    REQUIRE(::kill(-program.pid(), SIGINT) == 0);
    const int status = program.wait();
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGINT);
    CHECK(program.nothing_left());
}
