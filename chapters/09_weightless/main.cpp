// Chapter 09's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see weightless.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter09 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter09::chapter, argc, argv); }
