// Every chapter's program, run as a learner runs it: the options, the errors and the exit codes.
// The programs come from the same registration as the agreement test.
#include "run_program.hpp"
#include "workbook/registry.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using workbook::testing::run_program;

namespace {

std::string program_of(const workbook::Chapter& chapter) { return WORKBOOK_BIN_DIR "/" + std::string(chapter.slug); }

std::size_t lines_in(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("every chapter prints the talk's three lines for a small run") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--limit", "1000", "--runs", "2"});
        CHECK(run.status == 0);
        CHECK(run.err == "");
        // A demonstration, if the chapter has one, comes first; the three lines come last,
        // followed by the note that only a prefix was counted.
        auto at = run.out.find(std::string(chapter->title) + "\n");
        REQUIRE(at != std::string::npos);
        std::string tail = run.out.substr(at);
        CHECK(lines_in(tail) == 4);
        CHECK(tail.find("\nvowels=") != std::string::npos);
        CHECK(tail.find("\n2 runs in ") != std::string::npos);
        CHECK(tail.find("(only the first 1000 of 5590193 events;") != std::string::npos);
    }
}

TEST_CASE("a missing book is one line on stderr naming path and reason, exit status 2, no output") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--book", "/no/such/file"});
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err == std::string(chapter->slug) + ": cannot read book '/no/such/file': No such file or directory\n");
    }
}

TEST_CASE("a directory given as the book is refused with exit status 2") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--book", "/"});
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err == std::string(chapter->slug) + ": cannot read book '/': Is a directory\n");
    }
}

TEST_CASE("a malformed option is one line with the usage, exit status 2, no output") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        for (auto args : {std::vector<std::string>{"--runs", "ten"}, {"--limit"}, {"--bogus"}}) {
            auto run = run_program(program_of(*chapter), args);
            CHECK(run.status == 2);
            CHECK(run.out == "");
            CHECK(lines_in(run.err) == 1);
            CHECK(run.err.find("; usage: " + std::string(chapter->slug) + " [--book PATH|-]") != std::string::npos);
        }
    }
}

TEST_CASE("--help explains the options and exits 0") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--help"});
        CHECK(run.status == 0);
        CHECK(run.err == "");
        CHECK(run.out.starts_with(std::string(chapter->title) + "\n"));
        CHECK(run.out.find("--limit N") != std::string::npos);
        CHECK(run.out.find("Exit status:") != std::string::npos);
    }
}

TEST_CASE("--help lists each variant of a chapter with its description, the first as the default") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        if (chapter->variants.empty()) continue;
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--help"});
        CHECK(run.status == 0);
        CHECK(run.out.find("(default " + std::string(chapter->variants.front().name) + "):\n") != std::string::npos);
        for (const workbook::Variant& variant : chapter->variants) {
            INFO(variant.name);
            auto at = run.out.find("  " + std::string(variant.name) + " ");
            REQUIRE(at != std::string::npos);
            CHECK(run.out.substr(at, run.out.find('\n', at) - at).ends_with(" " + std::string(variant.description)));
        }
    }
}

TEST_CASE("each variant runs when named, and --json names it") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        for (const workbook::Variant& variant : chapter->variants) {
            INFO(chapter->slug, " --variant ", variant.name);
            auto run = run_program(program_of(*chapter),
                                   {"--variant", std::string(variant.name), "--limit", "100", "--runs", "1", "--json"});
            CHECK(run.status == 0);
            CHECK(run.err == "");
            CHECK(run.out.find(",\"variant\":\"" + std::string(variant.name) + "\",") != std::string::npos);
        }
    }
}

TEST_CASE("an unknown variant is one line naming the chapter's variants, exit status 2, no output") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--variant", "no-such-way"});
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(lines_in(run.err) == 1);
        std::string expected = std::string(chapter->slug) + ": chapter " + std::string(chapter->slug) +
                               " has no variant 'no-such-way'";
        if (!chapter->variants.empty()) {
            expected += " (it has: ";
            for (const workbook::Variant& variant : chapter->variants)
                expected += std::string(variant.name) + (&variant == &chapter->variants.back() ? ")" : ", ");
        }
        CHECK(run.err.starts_with(expected + "; usage: "));
    }
}

TEST_CASE("a book on standard input is counted like the same book from a file") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--book", "-", "--runs", "1", "--json"}, "Hello, World!\r\n");
        CHECK(run.status == 0);
        CHECK(run.out.find("\"book\":\"<stdin>\",\"book_events\":15,\"events\":15,") != std::string::npos);
        CHECK(run.out.find("\"vowels\":3,\"consonants\":7,\"others\":5}") != std::string::npos);
    }
}

TEST_CASE("the tour rejects an unknown chapter and an unreadable book with exit status 2") {
    auto unknown = run_program(WORKBOOK_BIN_DIR "/workbook-tour", {"99"});
    CHECK(unknown.status == 2);
    CHECK(unknown.out == "");
    CHECK(unknown.err.starts_with("workbook run: no chapter '99' (chapters: 1"));
    auto missing = run_program(WORKBOOK_BIN_DIR "/workbook-tour", {"1", "--book", "/no/such/file"});
    CHECK(missing.status == 2);
    CHECK(missing.out == "");
    CHECK(missing.err == "workbook run: cannot read book '/no/such/file': No such file or directory\n");
}

TEST_CASE("the tour runs a chapter and ends with a summary that says the counts agree") {
    auto run = run_program(WORKBOOK_BIN_DIR "/workbook-tour", {"1", "--runs", "1", "--limit", "5000"});
    CHECK(run.status == 0);
    CHECK(run.out.starts_with("Count letters with callout to counter object\n"));
    CHECK(run.out.find("\nSummary: <default book>, 5590193 events\n") != std::string::npos);
    CHECK(run.out.find("01_serial") != std::string::npos);
    CHECK(run.out.find("agree with the reference count") != std::string::npos);
}
