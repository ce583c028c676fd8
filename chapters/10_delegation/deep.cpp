// Chapter 10's variant deep: it adds to the step levels of pass-through delegation, free per event.
//
// Each send still resumes the innermost generator directly (the root keeps its handle), so an event
// costs the same under 1000 more levels as under none; only making the chain costs per level.
#include "delegation.hpp"

#include <utility>

namespace workbook::chapter10 {

//! [nested]
Counting<LetterTypes> nested(int depth, Counting<LetterTypes> counter) {
    if (depth == 0) co_return co_yield yield_from(std::move(counter));
    co_return co_yield yield_from(nested(depth - 1, std::move(counter)));
}
//! [nested]

}  // namespace workbook::chapter10
