// Chapter 13's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see deferreds.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter13 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter13::chapter, argc, argv); }
