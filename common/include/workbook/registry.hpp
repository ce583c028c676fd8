/// \file
/// \brief The registered chapters, for programs that run them all (the agreement test, the tour).
#pragma once

#include "workbook/runner.hpp"

#include <span>

namespace workbook {

/// Every chapter registered with `workbook_chapter()` in chapters/CMakeLists.txt, in order.
/// Defined by a file that `workbook_link_all_chapters()` generates for the program linking it.
std::span<const Chapter* const> registered_chapters();

}  // namespace workbook
