// The agreement test: every registered chapter, run on the same books, gives exactly the reference
// counts. Chapters join it by being registered in chapters/CMakeLists.txt; nothing here names them.
//
// A chapter whose default run covers only a prefix of the book (the process per event) is checked
// on that prefix of each book: the same events, far fewer of them.
#include "books.hpp"

#include "workbook/book.hpp"
#include "workbook/registry.hpp"
#include "workbook/runner.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// Under a sanitizer each event costs 5 to 50 times more, and a whole book finds nothing that the
// smaller books miss: the same code runs on the same byte values. So the sanitizer presets skip the
// whole-book cases (doctest reports them as skipped) and check the chapters that run on a prefix on
// a shorter one; the default and clang presets run everything.
#ifdef WORKBOOK_SANITIZED
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

// One way a chapter is checked: a variant (empty = its default) with settings.
struct Setting {
    std::string_view variant;
    workbook::Settings settings;
};

// The settings a chapter is checked with: its default, each of its variants, for chapters that
// batch, batches of 1, 7 and 4096 events (so a partial last batch is covered too), and for chapters
// that keep several calls in flight, 1 and 7 of them besides their default.
std::vector<Setting> settings_for(const workbook::Chapter& chapter) {
    std::vector<Setting> all(1);
    for (const workbook::Variant& variant : chapter.variants) all.emplace_back().variant = variant.name;
    if (chapter.takes_batch) {
        for (std::size_t batch : {1, 7, 4096}) all.emplace_back().settings.batch = batch;
    }
    if (chapter.takes_in_flight) {
        for (Setting& setting : all) setting.settings.in_flight = chapter.default_in_flight;
        for (std::size_t in_flight : {std::size_t{1}, std::size_t{7}})
            if (in_flight != chapter.default_in_flight) all.emplace_back().settings.in_flight = in_flight;
    }
    return all;
}

void check_every_chapter(const workbook::Book& book) {
    REQUIRE_FALSE(workbook::registered_chapters().empty());
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        auto events = book.events();
        std::uint64_t limit = chapter->default_limit;
        // A chapter slow by design (a process per event) is checked on a still shorter prefix under
        // a sanitizer, where each fork costs 5 to 20 ms.
        if (sanitized && limit != 0) limit = std::min<std::uint64_t>(limit, 300);
        if (limit != 0 && limit < events.size()) events = events.first(limit);
        const auto expected = workbook::reference_count(events);
        for (const Setting& setting : settings_for(*chapter)) {
            INFO(chapter->slug, " on ", book.name(), " (", events.size(), " events), variant '", setting.variant,
                 "', batch ", setting.settings.batch, ", in flight ", setting.settings.in_flight);
            const workbook::CountFunction count = chapter->count_for(setting.variant);
            REQUIRE((count != nullptr));
            CHECK(count(events, setting.settings) == expected);
        }
    }
}

using workbook::testing::every_byte_value;

const char* talk_book = std::getenv("WORKBOOK_TALK_BOOK");


}  // namespace

TEST_CASE("every chapter counts in one way, or in named and described variants, never both") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        if (chapter->variants.empty()) {
            CHECK((chapter->count != nullptr));
            continue;
        }
        CHECK((chapter->count == nullptr));
        CHECK(chapter->variants.size() >= 2);
        for (const workbook::Variant& variant : chapter->variants) {
            INFO("variant '", variant.name, "'");
            CHECK_FALSE(variant.name.empty());
            CHECK((variant.count != nullptr));
            CHECK_FALSE(variant.description.empty());
            CHECK((chapter->count_for(variant.name) == variant.count));
        }
    }
}

TEST_CASE("every chapter counts an empty book as no events") {
    check_every_chapter(workbook::Book::from_bytes({}, "empty book"));
}

TEST_CASE("every chapter classifies each of the 256 byte values once") {
    auto bytes = every_byte_value(1);
    check_every_chapter(workbook::Book::from_bytes(bytes, "256 byte values"));
}

TEST_CASE("every chapter agrees on all 256 byte values repeated, in shifting order") {
    auto bytes = every_byte_value(64);
    check_every_chapter(workbook::Book::from_bytes(bytes, "256 byte values x 64"));
}

TEST_CASE("every chapter agrees on a 64 KiB sample of the default book") {
    check_every_chapter(workbook::Book::default_book(64 * 1024));
}

TEST_CASE("every chapter agrees on the whole default book" * doctest::skip(sanitized)) {
    check_every_chapter(workbook::Book::default_book());
}

TEST_CASE("every chapter gives the talk's figures for the talk's book (WORKBOOK_TALK_BOOK)"
          * doctest::skip(sanitized || talk_book == nullptr || *talk_book == '\0')) {
    auto book = workbook::Book::open(talk_book);
    REQUIRE(workbook::reference_count(book.events()) == workbook::LetterTypes{1439242, 2365799, 1785152});
    check_every_chapter(book);
}

namespace {

bool redis_server_installed() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

// Every chapter, through its count function and Settings::counters, on a small book with the
// counter kind `asked`: the chapter's counts are the reference's, and the server counted the same.
void check_every_chapter_with(const workbook::CounterSettings& asked) {
    workbook::CounterBackend counters(asked);
    auto book = workbook::Book::default_book(300);
    const auto expected = workbook::reference_count(book.events());
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        for (Setting setting : settings_for(*chapter)) {
            INFO(chapter->slug, " with ", asked.describe(), ", variant '", setting.variant, "', batch ",
                 setting.settings.batch, ", in flight ", setting.settings.in_flight);
            setting.settings.counters = &counters;
            counters.reset();
            if (chapter->slug == "02_processes" && setting.variant == "vfork") {
                // A vforked child borrows the parent's memory: it cannot make a counter call, and says so.
                CHECK_THROWS_AS(chapter->count_for(setting.variant)(book.events(), setting.settings),
                                workbook::UsageError);
                continue;
            }
            CHECK(chapter->count_for(setting.variant)(book.events(), setting.settings) == expected);
            CHECK_NOTHROW(counters.check_totals(expected));
        }
    }
}

}  // namespace

TEST_CASE("every chapter agrees with the counter service (wait 50 us), and the service counted each event once") {
    workbook::CounterSettings asked;
    asked.kind = workbook::CounterKind::service;
    asked.wait_us = 50;
    check_every_chapter_with(asked);
}

TEST_CASE("every chapter agrees with a private redis-server, and Redis counted each event once") {
    if (!redis_server_installed() && std::getenv("CI") == nullptr) {
        MESSAGE("redis-server is not installed: skipped");
        return;
    }
    workbook::CounterSettings asked;
    asked.kind = workbook::CounterKind::redis;
    check_every_chapter_with(asked);
}

TEST_CASE("every chapter agrees with --work 1000 on local counters") {
    workbook::CounterSettings asked;
    asked.work_ns = 1000;
    check_every_chapter_with(asked);
}
