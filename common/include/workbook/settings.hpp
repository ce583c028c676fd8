/// \file
/// \brief workbook::Settings: the options a chapter's count function receives.
#pragma once

#include "workbook/progress.hpp"

#include <cstddef>

namespace workbook {

/// Options a chapter's count function receives, parsed by the runner. Which variant runs is not
/// among them: the runner calls that variant's own count function (Chapter::variants).
///
/// \code
/// workbook::Settings settings;
/// settings.batch = 4096;  // as `--batch 4096` would
/// auto book = workbook::Book::default_book(100'000);
/// for (const workbook::Chapter* chapter : workbook::registered_chapters())
///     if (chapter->takes_batch) std::cout << chapter->count_for()(book.events(), settings) << '\n';
/// \endcode
struct Settings {
    /// `--batch N`: events sent per message, for chapters that declare `takes_batch`
    /// (0 = the chapter's own default).
    std::size_t batch = 0;
    /// Set by the runner when progress should be shown (a long run, stderr a terminal).
    Progress* progress = nullptr;
};

}  // namespace workbook
