// The result an exercise's test program writes for `./workbook check` (exercise_main.cpp), one
// test case per outcome, run on the sample exercise (reporter_sample.cpp).
#include "workbook/support/run_program.hpp"
#include "trace.hpp"  // prints a vector of lines whole when a check fails

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using workbook::support::run_program;

struct Result {
    int status = -1;                 // the sample's exit status, or 128 + signal
    std::vector<std::string> lines;  // the result file's lines
    std::string err;                 // its standard error
};

// A fresh folder for the result file, removed afterwards.
struct Folder {
    std::string path;
    Folder() {
        char name[] = "/tmp/workbook-reporter-test-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path = name;
    }
    ~Folder() {
        ::unlink((path + "/result").c_str());
        ::rmdir(path.c_str());
    }
};

// Runs the sample's test cases that `filter` names (doctest's -tc), with the given environment.
Result run_sample(const std::string& filter, const char* time_limit = nullptr, const char* result_path = "") {
    Folder folder;
    std::string path = result_path && *result_path ? result_path : folder.path + "/result";
    ::setenv("WORKBOOK_CHECK_RESULT", path.c_str(), 1);
    if (time_limit) ::setenv("WORKBOOK_CHECK_TIME_LIMIT", time_limit, 1);
    auto run = run_program(WORKBOOK_REPORTER_SAMPLE, {"--no-colors=true", "-tc=" + filter});
    ::unsetenv("WORKBOOK_CHECK_RESULT");
    ::unsetenv("WORKBOOK_CHECK_TIME_LIMIT");
    Result result{run.status, {}, run.err};
    std::ifstream file(path);
    for (std::string line; std::getline(file, line);) result.lines.push_back(line);
    return result;
}

using Lines = Trace;

}  // namespace

TEST_CASE("when every test case passes, the result is done") {
    auto result = run_sample("*that passes,*forked child*");
    CHECK(result.status == 0);
    CHECK(result.lines == Lines{"done"});
}

TEST_CASE("a forked child that crashes writes nothing: the result is its parent's") {
    auto result = run_sample("*forked child*");
    CHECK(result.status == 0);
    CHECK(result.lines == Lines{"done"});
    CHECK(result.err.find("crashed") == std::string::npos);
}

TEST_CASE("when no test case passes and the first failure is a TODO, the result is not started, with it") {
    auto result = run_sample("*reaches its TODO");
    CHECK(result.status == 1);
    CHECK(result.lines == Lines{"not started: TODO: write sample()"});

    auto in_check = run_sample("*TODO inside a check");
    CHECK(in_check.lines == Lines{"not started: TODO: write sample_value()"});
}

TEST_CASE("a TODO after a passing test case is failing: the exercise is begun, not done") {
    auto result = run_sample("*that passes,*reaches its TODO");
    CHECK(result.status == 1);
    CHECK(result.lines == Lines{"failing: 1 of 2 test cases pass; the first that fails:",
                                "\"sample: a test case that reaches its TODO\"",
                                "the test case THREW exception: TODO: write sample()"});
}

TEST_CASE("a failing check is reported with its test case, its place, the values it saw and what was logged") {
    auto result = run_sample("*that passes,*check fails");
    CHECK(result.status == 1);
    CHECK(result.lines == Lines{"failing: 1 of 2 test cases pass; the first that fails:",
                                "\"sample: a test case whose check fails\"",
                                "exercises/support/reporter_sample.cpp:26: CHECK( seen == \"abc\" ) is NOT correct!",
                                "values: CHECK( ab == abc )",
                                "logged: seen is what the code under test saw"});
}

TEST_CASE("an exception out of a test case is its failure, on one line") {
    auto result = run_sample("*that throws");
    CHECK(result.status == 1);
    CHECK(result.lines == Lines{"failing: 0 of 1 test cases pass; the first that fails:",
                                "\"sample: a test case that throws\"",
                                "the test case THREW exception: the input\\nwas refused"});
}

TEST_CASE("a crash is reported with its signal and the test case, and the program still dies of it") {
    auto result = run_sample("*that passes,*crashes");
    CHECK(result.status == 128 + SIGSEGV);
    CHECK(result.lines == Lines{"crashed: SIGSEGV (invalid memory access) in test case",
                                "\"sample: a test case that crashes\""});
    CHECK(result.err.find("crashed: SIGSEGV (invalid memory access) in test case\n"
                          "\"sample: a test case that crashes\"\n") != std::string::npos);
}

// Waiting for the watchdog is the point here: a 1-second limit, and a test case that never ends.
TEST_CASE("a test case still running at the time limit is reported as timed out, by name") {
    auto result = run_sample("*that passes,*blocks forever", "1");
    CHECK(result.status == 128 + SIGALRM);
    CHECK(result.lines == Lines{"timed out: a test case still ran after 1 second (a deadlock? a loop that never ends?)",
                                "\"sample: a test case that blocks forever\""});
}

TEST_CASE("a malformed time limit or an unwritable result path is refused with one line and status 2") {
    for (const char* limit : {"0", "ten", "5s", "-1", "99999999999"}) {
        CAPTURE(limit);
        auto result = run_sample("*that passes", limit);
        CHECK(result.status == 2);
        CHECK(result.err == "exercise tests: WORKBOOK_CHECK_TIME_LIMIT must be a whole number of seconds from 1 "
                            "to 86400, not '" + std::string(limit) + "'\n");
        CHECK(result.lines.empty());
    }
    auto unwritable = run_sample("*that passes", nullptr, "/no/such/folder/result");
    CHECK(unwritable.status == 2);
    CHECK(unwritable.err == "exercise tests: cannot write the result to /no/such/folder/result: "
                            "No such file or directory\n");
}
