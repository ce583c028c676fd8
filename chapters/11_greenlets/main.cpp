// Chapter 11's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see greenlets.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter11 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter11::chapter, argc, argv); }
