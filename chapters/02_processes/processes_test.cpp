// Chapter 02's own tests: the counts, and what a process per event must never do: leave a child
// behind, hang or half-succeed when fork fails, or leave a zombie when interrupted.
#include "processes.hpp"

#include "books.hpp"
#include "child_testing.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <sys/wait.h>

using workbook::chapter02::count_with_processes;
using workbook::chapter02::Start;
using workbook::testing::every_byte_value;
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
