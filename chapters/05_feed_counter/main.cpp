// Chapter 05's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines; see feed_counter.cpp for the chapter itself.
#include "workbook/runner.hpp"

namespace workbook::chapter05 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter05::chapter, argc, argv); }
