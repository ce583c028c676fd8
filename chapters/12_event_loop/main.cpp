// Chapter 12's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see hub.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter12 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter12::chapter, argc, argv); }
