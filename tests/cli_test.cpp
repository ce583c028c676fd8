// Every chapter's program, run as a learner runs it: the options, the errors and the exit codes.
// The programs come from the same registration as the agreement test.
#include "workbook/support/run_program.hpp"
#include "workbook/book.hpp"
#include "workbook/command_line.hpp"
#include "workbook/registry.hpp"
#include "workbook/runner.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using workbook::support::run_program;

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

TEST_CASE("a malformed option is one line naming the option, the value and the rule, then the usage; exit status 2") {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"--runs", "ten"}, "--runs: ten is not a whole number from 1 to 1000000"},
        {{"--limit", "-1"}, "--limit: -1 is not a whole number of at least 0"},
        {{"--limit"}, "--limit: 1 required N missing"},
        {{"--bogus"}, "not expected: --bogus"},
    };
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        for (const auto& test : cases) {
            INFO(chapter->slug, " ", test.args.front());
            auto run = run_program(program_of(*chapter), test.args);
            CHECK(run.status == 2);
            CHECK(run.out == "");
            CHECK(lines_in(run.err) == 1);
            CHECK(run.err == std::string(chapter->slug) + ": " + test.message + "; " +
                                 workbook::usage(chapter, chapter->slug) + "\n");
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
        CHECK(run.out.find("\nusage: " + workbook::usage(chapter, chapter->slug).substr(7) + "\n") != std::string::npos);
        for (const char* option : {"--book PATH|-", "--runs N", "--limit N", "--json", "-h,--help"})
            CHECK(run.out.find(std::string("\n  ") + option + " ") != std::string::npos);
        CHECK(run.out.find("(default " + std::to_string(chapter->default_runs) + "; at most 1000000)") != std::string::npos);
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
            // Under AddressSanitizer, the first swapcontext prints ASan's own one-line caveat: not the chapter's.
            std::string err = run.err;
            if (err.starts_with("==") && err.find("WARNING: ASan doesn't fully support makecontext/swapcontext") != std::string::npos)
                err.erase(0, err.find('\n') + 1);
            CHECK(err == "");
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
        // A chapter without variants has no --variant at all.
        std::string expected = std::string(chapter->slug) + ": not expected: --variant no-such-way";
        if (!chapter->variants.empty()) {
            expected = std::string(chapter->slug) + ": --variant: no-such-way is not a variant of " +
                       std::string(chapter->slug) + " (it has ";
            for (const workbook::Variant& variant : chapter->variants)
                expected += std::string(variant.name) + (&variant == &chapter->variants.back() ? ")" : ", ");
        }
        CHECK(run.err.starts_with(expected + "; usage: "));
    }
}

TEST_CASE("--batch is an option only of the chapters that batch") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--batch", "0"});
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err.starts_with(std::string(chapter->slug) +
                                  (chapter->takes_batch ? ": --batch: 0 is not a whole number of at least 1; usage: "
                                                        : ": not expected: --batch 0; usage: ")));
        auto help = run_program(program_of(*chapter), {"--help"});
        CHECK((help.out.find("\n  --batch N ") != std::string::npos) == chapter->takes_batch);
    }
}

TEST_CASE("--in-flight is an option only of the chapters that keep several calls waiting; the others say why, exit status 2") {
    std::string takers;
    for (const workbook::Chapter* chapter : workbook::registered_chapters())
        if (chapter->takes_in_flight) takers += (takers.empty() ? "" : ", ") + std::string(chapter->slug);
    CHECK(takers == workbook::detail::chapters_taking_in_flight);  // the list the error names is the true one
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--in-flight", "8", "--limit", "10", "--runs", "1"});
        auto help = run_program(program_of(*chapter), {"--help"});
        CHECK((help.out.find("\n  --in-flight N ") != std::string::npos) == chapter->takes_in_flight);
        if (chapter->takes_in_flight) {
            CHECK(run.status == 0);
            CHECK(run.err == "");
            continue;
        }
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(lines_in(run.err) == 1);
        CHECK(run.err == std::string(chapter->slug) + ": --in-flight: " + std::string(chapter->slug) +
                             " makes one counter call at a time, as its step of the talk does, so it cannot keep 8 waiting (only " +
                             std::string(workbook::detail::chapters_taking_in_flight) + " take --in-flight); " +
                             workbook::usage(chapter, chapter->slug) + "\n");
        CHECK(workbook::usage(chapter, chapter->slug).find("--in-flight") == std::string::npos);
    }
}

TEST_CASE("a flag given a value is refused, naming the flag and the value") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--json=yes"});
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(run.err.starts_with(std::string(chapter->slug) + ": --json: takes no value, got 'yes'; usage: "));
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
    CHECK(unknown.err.starts_with("workbook run: CHAPTER: 99 is not a chapter here (chapters: 1, 2"));
    CHECK(lines_in(unknown.err) == 1);
    auto variant = run_program(WORKBOOK_BIN_DIR "/workbook-tour", {"--variant", "no-such-way"});
    CHECK(variant.status == 2);
    CHECK(variant.err.starts_with("workbook run: --variant: no-such-way is a variant of no chapter here (they have "));
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

TEST_CASE("a counter option that does not go with --counter is one line saying why, exit status 2") {
    const std::string program = WORKBOOK_BIN_DIR "/09_weightless";
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    for (const Case& test : std::vector<Case>{
             {{"--wait", "10"}, "--wait is for --counter service"},
             {{"--counter", "redis", "--wait", "10"}, "--wait is for --counter service"},
             {{"--redis", "/tmp/r.sock"}, "--redis is for --counter redis"},
             {{"--counter", "postgres"}, "--counter: postgres is not a counter kind (local, service, redis)"},
             {{"--counter", "service", "--wait", "-1"}, "--wait: -1 is not a whole number"},
             {{"--work", "x"}, "--work: x is not a whole number"},
         }) {
        INFO(test.args.front(), " ", test.args.back());
        auto run = run_program(program, test.args);
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(lines_in(run.err) == 1);
        CHECK(run.err.find(test.says) != std::string::npos);
    }
}

TEST_CASE("every chapter with --counter service --wait 10 gives the reference counts and names its counter") {
    auto book = workbook::Book::default_book();
    const auto expected = workbook::reference_count(book.events().first(300));
    std::ostringstream counts;
    counts << expected;
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--counter", "service", "--wait", "10", "--limit", "300", "--runs", "2"});
        CHECK(run.status == 0);
        CHECK(run.err == "");
        CHECK(run.out.find("\n" + counts.str() + "\n") != std::string::npos);
        const std::string in_flight = chapter->takes_in_flight && chapter->default_in_flight > 1
                                          ? ", " + std::to_string(chapter->default_in_flight) + " calls in flight"
                                          : "";
        CHECK(run.out.find("(counters: the counter service (wait 10 us)" + in_flight + ")") != std::string::npos);
    }
}

TEST_CASE("--in-flight is an option only of the chapters that keep calls waiting, each with its own default") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto help = run_program(program_of(*chapter), {"--help"});
        const auto at = help.out.find("\n  --in-flight N ");
        REQUIRE((at != std::string::npos) == chapter->takes_in_flight);
        if (!chapter->takes_in_flight) continue;
        const std::string line = help.out.substr(at, help.out.find('\n', at + 1) - at);
        CHECK_MESSAGE(line.ends_with("(default " + std::to_string(chapter->default_in_flight) + ")"), line);
        auto run = run_program(program_of(*chapter), {"--limit", "50", "--runs", "1", "--json"});
        CHECK(run.status == 0);
        CHECK(run.out.find("\"in_flight\":" + std::to_string(chapter->default_in_flight) + ",") != std::string::npos);
        auto given = run_program(program_of(*chapter), {"--limit", "50", "--runs", "1", "--json", "--in-flight", "3"});
        CHECK(given.out.find("\"in_flight\":3,") != std::string::npos);
    }
}

TEST_CASE("--stack-size is an option only of the chapters whose waits are greenlets: a size in bytes, K or M, at least 16K") {
    auto book = workbook::Book::default_book();
    std::ostringstream counts;
    counts << workbook::reference_count(book.events().first(300));
    int takers = 0;
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        const std::string slug(chapter->slug);
        auto help = run_program(program_of(*chapter), {"--help"});
        const auto at = help.out.find("\n  --stack-size BYTES\n");  // too long for its column: the help follows below
        REQUIRE((at != std::string::npos) == chapter->takes_stack_size);
        if (!chapter->takes_stack_size) {
            auto run = run_program(program_of(*chapter), {"--stack-size", "32K"});
            CHECK(run.status == 2);
            CHECK(run.err.starts_with(slug + ": not expected: --stack-size 32K; usage: "));
            continue;
        }
        ++takers;
        CHECK(help.out.find("default 256K") != std::string::npos);
        const std::string usage = workbook::usage(chapter, chapter->slug);
        for (const std::string& bad : std::vector<std::string>{"8K", "16383", "2048M"}) {
            auto run = run_program(program_of(*chapter), {"--stack-size", bad});
            CHECK(run.status == 2);
            CHECK(run.out == "");
            CHECK(lines_in(run.err) == 1);
            CHECK(run.err == slug + ": --stack-size: " + bad +
                                 " is not a stack size from 16384 (16K, the least a greenlet needs) to 1073741824 (1024M); " +
                                 usage + "\n");
        }
        for (const std::string& bad : std::vector<std::string>{"32X", "0x8000", "+32K", "1e5", "32K2", ""}) {
            auto run = run_program(program_of(*chapter), {"--stack-size", bad});
            CHECK(run.status == 2);
            CHECK(lines_in(run.err) == 1);
            CHECK(run.err == slug + ": --stack-size: " + (bad.empty() ? "''" : bad) +
                                 " is not a number of bytes, or of KiB or MiB with K or M after it; " + usage + "\n");
        }
        // A small valid size counts the book; the size is rounded up to a whole page, as reserved.
        const std::vector<std::pair<std::string, std::string>> sizes = {
            {"32K", "32768"}, {"32KiB", "32768"}, {"1m", "1048576"}, {"20000", "20480"}, {"016384", "16384"}};
        for (const auto& size : sizes) {
            const std::string& given = size.first;  // not a structured binding: INFO captures it
            const std::string& reserved = size.second;
            auto run = run_program(program_of(*chapter), {"--stack-size", given, "--counter", "service", "--wait", "10",
                                                          "--in-flight", "100", "--limit", "300", "--runs", "1", "--json"});
            INFO(given, ": ", run.err);
            CHECK(run.status == 0);
            CHECK(run.err == "");
            CHECK(run.out.find("\"stack_size\":" + reserved + ",") != std::string::npos);
        }
        auto defaults = run_program(program_of(*chapter), {"--limit", "50", "--runs", "1", "--json"});
        CHECK(defaults.out.find("\"stack_size\":262144,") != std::string::npos);
        auto talk = run_program(program_of(*chapter), {"--stack-size", "16K", "--counter", "service", "--wait", "10",
                                                       "--in-flight", "100", "--limit", "300", "--runs", "2"});
        CHECK(talk.status == 0);
        CHECK(talk.out.find("\n" + counts.str() + "\n") != std::string::npos);
    }
    CHECK(takers == 1);  // 12_event_loop
}

TEST_CASE("with --json, a chapter that can tell when all its calls kept at once were waiting reports it") {
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        INFO(chapter->slug);
        auto run = run_program(program_of(*chapter), {"--counter", "service", "--wait", "10", "--limit", "300",
                                                      "--runs", "2", "--json"});
        CHECK(run.status == 0);
        // Chapter 12 tells; the others that keep calls waiting may; those that make one call at a time do not.
        if (chapter->number == 12) CHECK(run.out.find("\"all_started_seconds\":") != std::string::npos);
        if (!chapter->takes_in_flight) CHECK(run.out.find("all_started_seconds") == std::string::npos);
    }
}
