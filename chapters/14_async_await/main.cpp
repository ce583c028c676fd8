// Chapter 14's program. The runner parses the options, loads the book, runs the chapter and
// prints the talk's three lines.
#include "workbook/runner.hpp"

namespace workbook::chapter14 {
extern const Chapter chapter;
}

int main(int argc, char** argv) { return workbook::run_chapter(workbook::chapter14::chapter, argc, argv); }
