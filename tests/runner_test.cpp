#include "workbook/runner.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace {

workbook::LetterTypes count_by_reference(workbook::Events events, const workbook::Settings&);

// A chapter that takes every option: a batch, and variants.
const workbook::Chapter every_option{
    .number = 97,
    .slug = "97_every_option",
    .title = "Count letters with every option",
    .mechanism = "reference count",
    .takes_batch = true,
    .variants = {{"fiber", count_by_reference, "one way"}, {"ucontext", count_by_reference, "another"}},
};

workbook::Options parse(std::vector<const char*> args, const workbook::Chapter* chapter = &every_option) {
    args.insert(args.begin(), "program");
    return workbook::parse_options(static_cast<int>(args.size()), args.data(), chapter);
}

std::string usage_error(std::vector<const char*> args, const workbook::Chapter* chapter = &every_option) {
    try {
        (void)parse(std::move(args), chapter);
    } catch (const workbook::UsageError& error) {
        return error.what();
    }
    return "no error";
}

int calls = 0;
workbook::LetterTypes count_by_reference(workbook::Events events, const workbook::Settings&) {
    ++calls;
    return workbook::reference_count(events);
}

const workbook::Chapter fake{
    .number = 99,
    .slug = "99_fake",
    .title = "Count letters the fake way",
    .mechanism = "reference count",
    .count = count_by_reference,
    .default_runs = 3,
};

const unsigned char sample[] = {'a', 'b', '!', 'E', 'z', ' '};

// A chapter with two variants, each counting a different (wrong) way, to see which one ran.
const workbook::Chapter two_ways{
    .number = 98,
    .slug = "98_two_ways",
    .title = "Count letters two ways",
    .mechanism = "reference count",
    .default_runs = 1,
    .variants = {{"vowels-only", [](workbook::Events events, const workbook::Settings&) {
                      return workbook::LetterTypes{workbook::reference_count(events).vowels, 0, 0};
                  }, "counts only the vowels"},
                 {"others-only", [](workbook::Events events, const workbook::Settings&) {
                      return workbook::LetterTypes{0, 0, workbook::reference_count(events).others};
                  }, "counts only the others"}},
};

}  // namespace

TEST_CASE("options are parsed with their values, in either spelling") {
    auto options = parse({"--book", "pg100.txt", "--runs=4", "--limit", "0", "--json", "--batch", "64", "--variant=ucontext"});
    CHECK(options.book == "pg100.txt");
    CHECK(options.runs == 4);
    CHECK(options.limit == 0);
    CHECK(options.limit_given);
    CHECK(options.json);
    CHECK(options.batch == 64);
    CHECK(options.variant == "ucontext");
    CHECK_FALSE(parse({}).limit_given);
    CHECK(parse({"--book", "-"}).book == "-");
}

TEST_CASE("the last of a repeated option wins, and numbers are decimal whatever their leading zeros") {
    auto options = parse({"--runs", "2", "--runs", "5", "--limit", "010", "--json", "--json"});
    CHECK(options.runs == 5);
    CHECK(options.limit == 10);
    CHECK(options.json);
}

TEST_CASE("--help is noted, not an error") {
    CHECK(parse({"--help"}).help);
    CHECK(parse({"-h"}).help);
    CHECK_FALSE(parse({}).help);
}

TEST_CASE("the tour's options take chapters as arguments; a chapter's take none") {
    CHECK(parse({"1", "09_weightless"}, nullptr).positional == std::vector<std::string>{"1", "09_weightless"});
    CHECK(usage_error({"7"}) == "not expected: 7");
}

TEST_CASE("malformed options are usage errors that name the option, the value and the rule") {
    CHECK(usage_error({"--runs", "x"}) == "--runs: x is not a whole number from 1 to 1000000");
    CHECK(usage_error({"--runs", "0"}) == "--runs: 0 is not a whole number from 1 to 1000000");
    CHECK(usage_error({"--runs", "-3"}) == "--runs: -3 is not a whole number from 1 to 1000000");
    CHECK(usage_error({"--runs", "1000001"}) == "--runs: 1000001 is not a whole number from 1 to 1000000");
    CHECK(usage_error({"--limit", "12abc"}) == "--limit: 12abc is not a whole number of at least 0");
    CHECK(usage_error({"--limit", "0x10"}) == "--limit: 0x10 is not a whole number of at least 0");
    CHECK(usage_error({"--limit", "99999999999999999999"}) ==
          "--limit: 99999999999999999999 is not a whole number of at least 0");
    CHECK(usage_error({"--batch", "0"}) == "--batch: 0 is not a whole number of at least 1");
    CHECK(usage_error({"--runs"}) == "--runs: 1 required N missing");
    CHECK(usage_error({"--book", ""}) == "--book: '' is not a book: give a path, or - for standard input");
    CHECK(usage_error({"--json=yes"}) == "--json: takes no value, got 'yes'");
    CHECK(usage_error({"--json=true"}) == "--json: takes no value, got 'true'");
    CHECK(usage_error({"--frobnicate"}) == "not expected: --frobnicate");
    CHECK(usage_error({"--variant", "spawn"}) == "--variant: spawn is not a variant of 97_every_option (it has fiber, ucontext)");
}

TEST_CASE("a chapter's command line has only the options it takes") {
    CHECK(usage_error({"--batch", "64"}, &fake) == "not expected: --batch 64");
    CHECK(usage_error({"--variant", "fiber"}, &fake) == "not expected: --variant fiber");
    CHECK(usage_error({"--in-flight", "8"}, &fake) ==
          "--in-flight: 99_fake makes one counter call at a time, as its step of the talk does, so it cannot keep 8 waiting "
          "(only 02_processes, 12_event_loop, 13_deferreds, 14_async_await take --in-flight)");
    CHECK(parse({"--in-flight", "1"}, &fake).in_flight == 1);  // one at a time is what it does anyway
    CHECK(usage_error({"--in-flight", "x"}, &fake) == "--in-flight: x is not a whole number from 1 to 1000000");
    CHECK(parse({"--batch", "64", "--variant", "ucontext"}).batch == 64);
}

TEST_CASE("a chapter's result is printed as the talk's three lines") {
    workbook::Options options;
    std::ostringstream out;
    calls = 0;
    auto result = workbook::run_and_report(fake, sample, sizeof sample, "sample", options, out);
    CHECK(calls == 3);  // the chapter's default number of runs
    CHECK(result.counts == workbook::LetterTypes{2, 2, 2});
    std::istringstream lines(out.str());
    std::string title, counts, runs, extra;
    std::getline(lines, title);
    std::getline(lines, counts);
    std::getline(lines, runs);
    CHECK(title == "Count letters the fake way");
    CHECK(counts == "vowels=2 consonants=2 others=2");
    CHECK(runs.starts_with("3 runs in "));
    CHECK(runs.ends_with(" seconds"));
    CHECK_FALSE(std::getline(lines, extra));  // nothing more: the whole book was counted
}

TEST_CASE("a run on a prefix says so and projects the time for the whole book") {
    workbook::Options options;
    options.limit = 2;
    options.limit_given = true;
    options.runs = 1;
    std::ostringstream out;
    auto result = workbook::run_and_report(fake, sample, sizeof sample, "sample", options, out);
    CHECK(result.events == 2);
    CHECK(result.counts == workbook::LetterTypes{1, 1, 0});
    CHECK(out.str().find("1 run in ") != std::string::npos);
    CHECK(out.str().find("(only the first 2 of 6 events; --limit 0 counts them all: ") != std::string::npos);
}

TEST_CASE("--json prints one object with the counts and the timing") {
    workbook::Options options;
    options.json = true;
    options.runs = 2;
    std::ostringstream out;
    workbook::run_and_report(fake, sample, sizeof sample, "a \"quoted\" name", options, out);
    std::string text = out.str();
    CHECK(text.starts_with("{\"chapter\":99,\"slug\":\"99_fake\","));
    CHECK(text.ends_with("}\n"));
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    auto json = nlohmann::json::parse(text);
    CHECK(json["book"] == "a \"quoted\" name");
    CHECK(json["title"] == "Count letters the fake way");
    CHECK(json["variant"] == "");
    CHECK(json["book_events"] == 6);
    CHECK(json["events"] == 6);
    CHECK(json["runs"] == 2);
    CHECK(json["seconds"].get<double>() >= 0);
    CHECK(json["vowels"] == 2);
    CHECK(json["consonants"] == 2);
    CHECK(json["others"] == 2);
}

TEST_CASE("runs that disagree are a chapter error, not a result") {
    static int run = 0;
    run = 0;
    workbook::Chapter flaky = fake;
    flaky.count = [](workbook::Events events, const workbook::Settings&) {
        auto counts = workbook::reference_count(events);
        if (++run == 2) ++counts.others;
        return counts;
    };
    workbook::Options options;
    std::ostringstream out;
    CHECK_THROWS_WITH_AS(workbook::run_and_report(flaky, sample, sizeof sample, "sample", options, out),
                         "run 2 counted vowels=2 consonants=2 others=3 but run 1 counted vowels=2 consonants=2 others=2",
                         workbook::ChapterError);
}

TEST_CASE("the usage line lists only the options a chapter takes") {
    CHECK(workbook::usage(&fake, "99_fake") == "usage: 99_fake [--book PATH|-] [--runs N] [--limit N] [--counter KIND] [--wait US] [--work NS] [--redis SOCKET] [--json] [--help]");
    workbook::Chapter batched = fake;
    batched.takes_batch = true;
    batched.count = nullptr;
    batched.variants = {{"fiber", count_by_reference, "one way"}, {"ucontext", count_by_reference, "another"}};
    CHECK(workbook::usage(&batched, "x") ==
          "usage: x [--book PATH|-] [--runs N] [--limit N] [--batch N] [--variant NAME] [--counter KIND] [--wait US] [--work NS] [--redis SOCKET] [--json] [--help]");
}

TEST_CASE("the runner calls the count function of the variant named, the first variant's by default") {
    workbook::Options options;
    std::ostringstream out;
    CHECK(workbook::run_and_report(two_ways, sample, sizeof sample, "sample", options, out).counts ==
          workbook::LetterTypes{2, 0, 0});
    options.variant = "others-only";
    CHECK(workbook::run_and_report(two_ways, sample, sizeof sample, "sample", options, out).counts ==
          workbook::LetterTypes{0, 0, 2});
    options.json = true;
    out.str("");
    workbook::run_and_report(two_ways, sample, sizeof sample, "sample", options, out);
    CHECK(out.str().find("\"variant\":\"others-only\"") != std::string::npos);
}

TEST_CASE("a variant the chapter does not have is a usage error naming the variants it has") {
    workbook::Options options;
    options.variant = "vowel-only";
    std::ostringstream out;
    CHECK_THROWS_WITH_AS(workbook::run_and_report(two_ways, sample, sizeof sample, "sample", options, out),
                         "--variant: vowel-only is not a variant of 98_two_ways (it has vowels-only, others-only)",
                         workbook::UsageError);
    CHECK_THROWS_WITH_AS(workbook::run_and_report(fake, sample, sizeof sample, "sample", options, out),
                         "--variant: vowel-only is not a variant of 99_fake (it has none)", workbook::UsageError);
    CHECK(out.str() == "");
}
