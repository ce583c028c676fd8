// Chapter 08's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see scheduler.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter08 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter08::chapter, argc, argv); }
