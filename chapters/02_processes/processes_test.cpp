// Chapter 02's own tests: the counts, and what a process per event must never do: leave a child
// behind, hang or half-succeed when fork fails, or leave a zombie when interrupted.
#include "processes.hpp"

#include "books.hpp"
#include "child_testing.hpp"
#include "counter_testing.hpp"
#include "errors.hpp"

#include "workbook/book.hpp"
#include "workbook/runner.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <sys/wait.h>

using workbook::chapter02::count_with_processes;
using workbook::chapter02::Start;
using workbook::testing::error_of;
using workbook::testing::every_byte_value;
using workbook::testing::KillServerOnceCounting;
using workbook::testing::local_work;
using workbook::testing::service_counter;
using workbook::testing::in_child;
using workbook::testing::interrupt_mid_run;
using workbook::testing::allow_only_more_processes;
using workbook::testing::no_child_remains;

TEST_CASE("a process per event counts every byte value into the right counter, with fork and with vfork") {
    auto bytes = every_byte_value();
    for (Start start : {Start::fork, Start::vfork}) {
        CHECK(count_with_processes(bytes, start) == workbook::reference_count(bytes));
    }
    CHECK(count_with_processes({}, Start::fork) == workbook::LetterTypes{});
}

TEST_CASE("no child process remains after a run") {
    REQUIRE(no_child_remains());
    auto book = workbook::Book::default_book(200);
    for (Start start : {Start::fork, Start::vfork}) {
        CHECK(count_with_processes(book.events(), start) == workbook::reference_count(book.events()));
        CHECK(no_child_remains());
    }
}

TEST_CASE("a failed fork stops the run with a clear error and leaves no child behind") {
    for (Start start : {Start::fork, Start::vfork}) {
        INFO("vfork: ", start == Start::vfork);
        auto run = in_child([start](std::string& message) {
            if (message = allow_only_more_processes(0); !message.empty()) return 2;
            auto book = workbook::Book::default_book(100);
            try {
                count_with_processes(book.events(), start);
                message = "the run succeeded although no process could be started";
                return 3;
            } catch (const workbook::ChapterError& error) {
                message = error.what();
            }
            return no_child_remains() ? 0 : 4;
        });
        CHECK(run.message == std::string("cannot start the process for event 1 of 100: ") +
                                 (start == Start::fork ? "fork" : "vfork") + " failed: Resource temporarily unavailable");
        CHECK(WIFEXITED(run.status));
        CHECK(WEXITSTATUS(run.status) == 0);
    }
}

TEST_CASE("Ctrl-C or SIGTERM mid-run reaps the running child, then dies of that signal, leaving no orphan") {
    struct Case {
        Start start;
        int signal;
        bool whole_group;  // Ctrl-C signals the whole foreground process group; `kill PID` one process
    };
    auto book = workbook::Book::default_book(1'000'000);  // minutes of work: it cannot end before the signal
    for (Case c : {Case{Start::fork, SIGINT, true}, Case{Start::vfork, SIGINT, true}, Case{Start::fork, SIGTERM, false},
                   Case{Start::vfork, SIGTERM, false}}) {
        INFO("vfork: ", c.start == Start::vfork, ", signal ", c.signal, ", to the whole group: ", c.whole_group);
        int status = interrupt_mid_run([&] { count_with_processes(book.events(), c.start); }, c.signal, c.whole_group);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == c.signal);
        CHECK(no_child_remains());
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {}  // so that one failure does not fail the next case
    }
}

TEST_CASE("with the counter service each child makes its event's call, and the service counts the book exactly, one or eight in flight") {
    workbook::CounterBackend backend(service_counter());
    workbook::Settings settings;
    settings.counters = &backend;
    auto book = workbook::Book::default_book(300);
    for (std::size_t in_flight : {1, 8}) {
        INFO("in flight: ", in_flight);
        settings.in_flight = in_flight;
        backend.reset();
        CHECK(count_with_processes(book.events(), Start::fork, settings) == workbook::reference_count(book.events()));
        CHECK(backend.totals() == workbook::reference_count(book.events()));
    }
}

TEST_CASE("several children in flight count every event once, with local counters and with --work, and none remains") {
    auto bytes = every_byte_value();
    const workbook::CounterBackend work(local_work(1000));
    for (const workbook::CounterBackend* counters : {static_cast<const workbook::CounterBackend*>(nullptr), &work}) {
        for (std::size_t in_flight : {1, 3, 8, 300}) {
            INFO("work: ", counters != nullptr, ", in flight: ", in_flight);
            workbook::Settings settings;
            settings.counters = counters;
            settings.in_flight = in_flight;
            CHECK(count_with_processes(bytes, Start::fork, settings) == workbook::reference_count(bytes));
            CHECK(no_child_remains());
        }
    }
}

TEST_CASE("the counter service killed mid-run stops the run with one error naming it, and no child remains") {
    static const auto book = workbook::Book::default_book(1'000'000);  // minutes of work: it cannot end first
    for (std::size_t in_flight : {1, 8}) {
        INFO("in flight: ", in_flight);
        REQUIRE(no_child_remains());
        std::string error;
        {
            workbook::CounterBackend backend(service_counter());
            workbook::Settings settings;
            settings.counters = &backend;
            settings.in_flight = in_flight;
            KillServerOnceCounting killer(backend);
            error = error_of([&] { count_with_processes(book.events(), Start::fork, settings); });
            CHECK(killer.killed());
        }  // the backend reaps its server's keeper
        // In the child's own words: the connection closed under it, or the socket was already gone.
        CHECK_MESSAGE((error.find(") could not call the counter service: the counter service closed the connection") != std::string::npos ||
                       error.find(") could not call the counter service: cannot connect to the counter service") != std::string::npos),
                      error);
        CHECK(error.rfind("the process for event ", 0) == 0);
        CHECK(no_child_remains());
    }
}

TEST_CASE("vfork refuses a counter that calls out and more than one child in flight, with a usage error saying why") {
    auto bytes = every_byte_value();
    workbook::CounterBackend service(service_counter());
    workbook::Settings calls_out;
    calls_out.counters = &service;
    workbook::Settings eight;
    eight.in_flight = 8;
    const char* why = "--variant vfork: its child borrows the parent's memory, so it can neither make a counter call "
                      "of its own nor run beside another (use --variant fork)";
    for (const workbook::Settings* settings : {&calls_out, &eight}) {
        CHECK_THROWS_WITH_AS(count_with_processes(bytes, Start::vfork, *settings), why, workbook::UsageError);
    }
    CHECK(service.totals() == workbook::LetterTypes{});  // refused before any child started
}
