// Chapter 11's behaviour: its demonstration traces, and the count on both kinds of greenlet.
#include "workbook/greenlet.hpp"
#include "workbook/runner.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string_view>

namespace workbook::chapter11 {
extern const Chapter chapter;
}

using workbook::chapter11::chapter;

TEST_CASE("the demonstration prints greenlet's ping-pong and the talk's direct coroutines") {
    std::ostringstream out;
    chapter.demonstrate(out);
    CHECK(out.str() == "12 56 34\nA x C a B c D b");
}

TEST_CASE("both variants count every event once and leave no counter's stack behind") {
    std::string_view text = "Enter HAMLET, reading.\r\n\xE9t\xE9!";
    workbook::Events book{reinterpret_cast<const unsigned char*>(text.data()), text.size()};
    for (auto variant : chapter.variants) {
        INFO("variant ", variant);
        workbook::Settings settings;
        settings.variant = variant;
        CHECK(chapter.count(book, settings) == workbook::reference_count(book));
    }
    CHECK(workbook::Greenlet::stacks_in_use() == 0);
    CHECK(workbook::UcontextGreenlet::stacks_in_use() == 0);
}
