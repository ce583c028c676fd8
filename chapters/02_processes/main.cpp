// Chapter 02's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see processes.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter02 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter02::chapter, argc, argv); }
