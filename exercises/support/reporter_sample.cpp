// A stand-in for an exercise's tests: one test case for each thing `./workbook check` reports.
// It is not a test itself: reporter_test.cpp runs it with a filter (-tc) that picks test cases
// and checks the result its reporter (exercise_main.cpp) writes.
#include "todo.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("sample: a test case that passes") { CHECK(1 + 1 == 2); }

TEST_CASE("sample: a test case that reaches its TODO") { exercises::todo("write sample()"); }

TEST_CASE("sample: a test case that reaches its TODO inside a check") {
    auto stub = [] { return exercises::todo("write sample_value()"), 0; };
    CHECK(stub() == 1);
}

TEST_CASE("sample: a test case whose check fails") {
    std::string seen = "ab";
    INFO("seen is what the code under test saw");
    CHECK(seen == "abc");
    CHECK(seen == "abcd");  // not reported: only the first failure is
}

TEST_CASE("sample: a test case that throws") { throw std::runtime_error("the input\nwas refused"); }

TEST_CASE("sample: a test case that crashes") { std::raise(SIGSEGV); }

TEST_CASE("sample: a test case that blocks forever") {
    for (;;) ::pause();  // only the watchdog's SIGALRM ends it
}

TEST_CASE("sample: a forked child that crashes reports nothing") {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) std::raise(SIGSEGV);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSEGV);
}
