// Chapter 07's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see co_trampoline.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter07 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter07::chapter, argc, argv); }
