// Runs a program and captures what it prints: for the tests of whole programs and for the bench,
// which runs the talk's Python programs, Google Benchmark and gnuplot.
#pragma once

#include <string>
#include <vector>

namespace workbook::support {

// What a program printed, and how it ended.
struct ProgramRun {
    int status = -1;  // exit status, or 128 + signal
    std::string out;  // standard output
    std::string err;  // standard error
};

// Runs `program` (searched on PATH when the name has no slash) with `args`, feeds it `input` on
// standard input (an empty input is an empty standard input), and waits for it. Both outputs are
// drained while the input is fed, so no pipe fills up and blocks the child. Throws
// std::runtime_error when the program cannot be started.
ProgramRun run_program(const std::string& program, const std::vector<std::string>& args,
                       const std::string& input = "");

}  // namespace workbook::support
