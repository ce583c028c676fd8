/// \file
/// \brief The registered chapters, for programs that run them all (the agreement test, the tour).
#pragma once

#include "workbook/chapter.hpp"

#include <span>

namespace workbook {

/// Every chapter registered with `workbook_chapter()` in chapters/CMakeLists.txt, in order.
/// Defined by a file that `workbook_link_all_chapters()` generates for the program linking it.
///
/// \code
/// // The agreement test, in short: every chapter counts like the reference.
/// auto book = workbook::Book::default_book(100'000);
/// for (const workbook::Chapter* chapter : workbook::registered_chapters())
///     assert(chapter->count_for()(book.events(), {}) == workbook::reference_count(book.events()));
/// \endcode
std::span<const Chapter* const> registered_chapters();

}  // namespace workbook
