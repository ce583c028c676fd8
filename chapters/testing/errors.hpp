// What a run reported: the message of the ChapterError it threw, "" if it threw none. An alarm
// fails the test (SIGALRM kills it) instead of letting a run that hangs block the test forever.
#pragma once

#include "workbook/chapter.hpp"

#include <string>
#include <unistd.h>

namespace workbook::testing {

template <typename Run>
std::string error_of(Run&& run, unsigned seconds = 60) {
    ::alarm(seconds);
    std::string error;
    try {
        run();
    } catch (const ChapterError& e) {
        error = e.what();
    }
    ::alarm(0);
    return error;
}

}  // namespace workbook::testing
