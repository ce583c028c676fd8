// Chapter 03's own tests: batching changes nothing but the cost, KILL is what ends a worker, and a
// worker that dies, a fork that fails or a Ctrl-C never leaves the parent hanging or a child behind.
#include "pools.hpp"

#include "books.hpp"
#include "child_testing.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

using workbook::chapter03::Pool;
using workbook::chapter03::PoolOptions;
using workbook::chapter03::count_with_pool;
using workbook::chapter03::ProcTuple;
using workbook::testing::in_child;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::service_counter;
using workbook::testing::interrupt_mid_run;
using workbook::testing::allow_only_more_processes;
using workbook::testing::error_of;
using workbook::testing::eventually;
using workbook::testing::every_byte_value;
using workbook::testing::no_child_remains;
using workbook::testing::proc_line;
using workbook::testing::task_state;

namespace {

// The descriptor by which this process writes to the pipe that worker `pid` reads, -1 if none is
// found. A new worker closes every descriptor it inherited but its standard streams and its pipe's
// read end: once it has, that is its one descriptor from 3 up, and this process holds the other end.
int parents_end_of_pipe_read_by(pid_t pid) {
    std::string pipe;
    const bool closed_the_others = eventually([&] {
        std::vector<std::string> kept;
        std::error_code gone;  // a descriptor closed while the folder is read
        for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", gone)) {
            if (std::stoi(fd.path().filename().string()) >= 3) kept.push_back(std::filesystem::read_symlink(fd.path(), gone).string());
        }
        if (kept.size() == 1) pipe = kept.front();
        return kept.size() == 1;
    });
    if (!closed_the_others || pipe.rfind("pipe:", 0) != 0) return -1;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ignored;  // the iterator's own descriptor is gone by the time it is read
        if (std::filesystem::read_symlink(fd.path(), ignored).string() == pipe) return std::stoi(fd.path().filename().string());
    }
    return -1;
}

// True while thread `tid` of this process is asleep inside write(2) to descriptor `fd`: the kernel
// shows the system call a blocked thread is in, and its arguments, in /proc/self/task/TID/syscall.
bool blocked_writing(pid_t tid, int fd) {
    std::istringstream call(proc_line("/proc/self/task/" + std::to_string(tid) + "/syscall"));
    long number = -1;
    std::string first_argument;
    call >> number >> first_argument;
    return number == SYS_write && !first_argument.empty() && std::stol(first_argument, nullptr, 16) == fd &&
           task_state(::getpid(), tid) == 'S';
}

PoolOptions options_for(Pool pool, std::size_t batch = 1) {
    PoolOptions options;
    options.pool = pool;
    options.batch = batch;
    return options;
}

// Runs `count_with_pool` on a book large enough that the parent is still sending when `hook`
// strikes, and returns the error it reported ("" if none).
std::string failure_of(Pool pool, std::size_t batch, std::function<void(std::span<const pid_t>)> hook) {
    static const auto book = workbook::Book::default_book(2'000'000);
    PoolOptions options = options_for(pool, batch);
    options.on_started = std::move(hook);
    return error_of([&] { count_with_pool(book.events(), options); });
}

}  // namespace

TEST_CASE("--batch gives the same counts as unbatched, for the per-class workers and the shared pool") {
    auto bytes = every_byte_value(64);
    auto sample = workbook::Book::default_book(100'000);
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        for (std::size_t batch : {1, 2, 7, 4096, 5000, 1 << 20}) {
            INFO("shared pool: ", pool == Pool::shared, ", batch ", batch);
            CHECK(count_with_pool(bytes, options_for(pool, batch)) == workbook::reference_count(bytes));
            CHECK(count_with_pool(sample.events(), options_for(pool, batch)) == workbook::reference_count(sample.events()));
        }
        CHECK(count_with_pool({}, options_for(pool)) == workbook::LetterTypes{});
    }
}

TEST_CASE("no child process remains after a run") {
    REQUIRE(no_child_remains());
    auto book = workbook::Book::default_book(20'000);
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        CHECK(count_with_pool(book.events(), options_for(pool, 64)) == workbook::reference_count(book.events()));
        CHECK(no_child_remains());
    }
}

TEST_CASE("the KILL sentinel is what stops a worker: without it the worker waits, or fails at end-of-file") {
    workbook::processes::SharedCounters shared;
    {
        ProcTuple worker({"vowel", &shared[workbook::Letter::vowel]}, 4);
        for (unsigned char c : std::string("aeiouAEIOU")) worker.put(c);
        worker.flush();
        // It counts every event sent, then waits for more: asleep in its read, not ended.
        CHECK(eventually([&] { return worker.counter().value() == 10 && task_state(worker.pid()) == 'S'; }));
        CHECK(::waitpid(worker.pid(), nullptr, WNOHANG) == 0);
        worker.put_kill();
        CHECK_NOTHROW(worker.join());
        CHECK(no_child_remains());
    }
    CHECK(shared[workbook::Letter::vowel] == 10);
    {
        ProcTuple worker({"other", &shared[workbook::Letter::other]}, 1);
        worker.put('!');
        const auto pid = std::to_string(worker.pid());
        worker.close();
        const std::string expected = "worker 'other' (pid " + pid + ") failed: it exited with status 3 (its pipe closed before KILL)";
        CHECK_THROWS_WITH_AS(worker.join(), expected.c_str(), workbook::ChapterError);
        CHECK(no_child_remains());
    }
    CHECK(shared[workbook::Letter::other] == 1);
}

TEST_CASE("a worker killed mid-run is reported by name, not hung on, and no child remains") {
    for (std::size_t batch : {1, 4096}) {
        INFO("batch ", batch);
        pid_t victim = 0;
        auto error = failure_of(Pool::per_class, batch, [&](std::span<const pid_t> pids) {
            victim = pids[1];
            ::kill(victim, SIGKILL);
        });
        CHECK(error == "worker 'consonant' (pid " + std::to_string(victim) +
                           ") died during the run: it was killed by signal 9 (Killed)");
        CHECK(no_child_remains());
    }
}

TEST_CASE("a worker that dies while the parent is blocked on its full pipe is reported, not hung on") {
    std::thread killer;
    pid_t victim = 0;
    bool parent_was_blocked = false;
    auto error = failure_of(Pool::per_class, 1, [&](std::span<const pid_t> pids) {
        victim = pids[2];
        const int pipe = parents_end_of_pipe_read_by(victim);
        REQUIRE(pipe >= 0);
        ::kill(victim, SIGSTOP);  // its pipe fills up and the parent blocks writing to it...
        killer = std::thread([victim, pipe, parent = ::gettid(), &parent_was_blocked] {
            parent_was_blocked = eventually([&] { return blocked_writing(parent, pipe); });
            ::kill(victim, SIGKILL);  // ...until it dies
        });
    });
    killer.join();
    CHECK_MESSAGE(parent_was_blocked, "the parent never blocked writing to the stopped worker's pipe");
    CHECK(error == "worker 'other' (pid " + std::to_string(victim) + ") died during the run: it was killed by signal 9 (Killed)");
    CHECK(no_child_remains());
}

TEST_CASE("a shared-pool worker that dies is reported, whether the others go on or all are gone") {
    pid_t first = 0;
    auto one = failure_of(Pool::shared, 100, [&](std::span<const pid_t> pids) {
        first = pids[0];
        ::kill(first, SIGKILL);
    });
    CHECK(one == "pool worker 1 (pid " + std::to_string(first) + ") failed: it was killed by signal 9 (Killed)");
    CHECK(no_child_remains());

    auto all = failure_of(Pool::shared, 100, [&](std::span<const pid_t> pids) {
        first = pids[0];
        for (pid_t pid : pids) ::kill(pid, SIGKILL);
    });
    CHECK(all == "pool worker 1 (pid " + std::to_string(first) + ") failed: it was killed by signal 9 (Killed)");
    CHECK(no_child_remains());
}

TEST_CASE("a fork that fails while the workers start is reported, and the workers already started are reaped") {
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        INFO("shared pool: ", pool == Pool::shared);
        auto run = in_child([pool](std::string& message) {
            // One worker can start: the second worker's fork fails.
            if (message = allow_only_more_processes(1); !message.empty()) return 2;
            auto book = workbook::Book::default_book(1000);
            try {
                count_with_pool(book.events(), options_for(pool));
                message = "the run succeeded although only one worker could start";
                return 3;
            } catch (const workbook::ChapterError& error) {
                message = error.what();
            }
            return no_child_remains() ? 0 : 4;
        });
        CHECK(run.message == (pool == Pool::per_class ? "cannot start worker 'consonant'" : "cannot start pool worker 2") +
                                 std::string(": fork failed: Resource temporarily unavailable"));
        CHECK(WIFEXITED(run.status));
        CHECK(WEXITSTATUS(run.status) == 0);
    }
}

TEST_CASE("Ctrl-C or SIGTERM mid-run reaps every worker, then dies of that signal, leaving no orphan") {
    auto book = workbook::Book::default_book(3'000'000);  // seconds of work unbatched: it cannot end before the signal
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        for (auto how : {std::pair{SIGINT, true}, std::pair{SIGTERM, false}}) {
            const int signal = how.first;
            const bool whole_group = how.second;  // Ctrl-C signals the whole group; `kill PID` one process
            INFO("shared pool: ", pool == Pool::shared, ", signal ", signal, ", to the whole group: ", whole_group);
            const std::size_t workers = pool == Pool::per_class ? 3 : workbook::chapter03::shared_pool_size();
            int status = interrupt_mid_run([&] { count_with_pool(book.events(), options_for(pool)); }, signal, whole_group,
                                           workers);
            CHECK(WIFSIGNALED(status));
            CHECK(WTERMSIG(status) == signal);
            CHECK(no_child_remains());
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {}  // so that one failure does not fail the next case
        }
    }
}

TEST_CASE("with the counter service each worker calls it once per event, whatever the batch, and the service counts the book exactly") {
    workbook::CounterBackend backend(service_counter());
    auto book = workbook::Book::default_book(400);
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        for (std::size_t batch : {1, 64}) {
            INFO("shared pool: ", pool == Pool::shared, ", batch ", batch);
            PoolOptions options = options_for(pool, batch);
            options.counters = &backend;
            backend.reset();
            CHECK(count_with_pool(book.events(), options) == workbook::reference_count(book.events()));
            CHECK(backend.totals() == workbook::reference_count(book.events()));
        }
    }
}

TEST_CASE("with --work on local counters the workers count the same") {
    const workbook::CounterBackend work(local_work(1000));
    auto book = workbook::Book::default_book(400);
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        INFO("shared pool: ", pool == Pool::shared);
        PoolOptions options = options_for(pool, 16);
        options.counters = &work;
        CHECK(count_with_pool(book.events(), options) == workbook::reference_count(book.events()));
        CHECK(no_child_remains());
    }
}

TEST_CASE("the counter service killed mid-run is reported as a worker's failure naming it, and no child remains") {
    static const auto book = workbook::Book::default_book(1'000'000);  // a call per event: it cannot end first
    for (Pool pool : {Pool::per_class, Pool::shared}) {
        INFO("shared pool: ", pool == Pool::shared);
        REQUIRE(no_child_remains());
        std::string error;
        {
            workbook::CounterBackend backend(service_counter());
            PoolOptions options = options_for(pool, 64);
            options.counters = &backend;
            KillServerOnceCounting killer(backend);
            error = error_of([&] { count_with_pool(book.events(), options); });
            CHECK(killer.killed());
        }  // the backend reaps its server's keeper
        CHECK_MESSAGE(error.find("it exited with status 5 (its call to the counter service failed)") != std::string::npos, error);
        CHECK(error.rfind(pool == Pool::per_class ? "worker '" : "pool worker ", 0) == 0);
        CHECK(no_child_remains());
    }
}
