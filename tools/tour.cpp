// `workbook run [CHAPTER...]`: the tour. Runs the chosen chapters (default: all, in the talk's
// order) on one book, printing each chapter's output as its own program would, then a summary
// table of counts and time per event, the comparison the whole talk is about.
#include "workbook/book.hpp"
#include "workbook/command_line.hpp"
#include "workbook/registry.hpp"
#include "workbook/runner.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

namespace {

const workbook::Chapter* find_chapter(std::string_view name) {
    int number = 0;
    auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), number);
    bool numeric = error == std::errc{} && end == name.data() + name.size();
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        if ((numeric && chapter->number == number) || chapter->slug == name) return chapter;
    }
    return nullptr;
}

std::string chapter_list() {
    std::string names;
    for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
        names += (names.empty() ? "" : ", ") + std::to_string(chapter->number);
    }
    return names;
}

struct Row {
    const workbook::Chapter* chapter;
    workbook::RunResult result{};
    std::string status;  // "agrees", or what went wrong
};

}  // namespace

int main(int argc, char** argv) {
    const char* program = "workbook run";
    CLI::App app{"The tour: runs the chosen chapters (default: all, in order) on one book, printing each\n"
                 "chapter's own output, then a summary of counts and time per event.",
                 program};
    app.footer("CHAPTER is a number (1, 01) or a folder name (01_serial); chapters here: " + chapter_list() +
               ".\nThe options are each chapter's own (see any chapter's --help); --batch,\n"
               "--in-flight and --variant reach only the chapters that take them.");
    workbook::Options options;
    workbook::declare_options(app, options, nullptr);
    app.get_option("CHAPTER")->check(CLI::Validator(
        [](const std::string& name) {
            return find_chapter(name) ? std::string()
                                      : (name.empty() ? "''" : name) + " is not a chapter here (chapters: " +
                                            chapter_list() + ")";
        },
        ""));
    // A variant no chapter has would reach none of them: a mistyped name, not a choice.
    app.get_option("--variant")->check(CLI::Validator(
        [](const std::string& name) {
            std::string names;
            for (const workbook::Chapter* chapter : workbook::registered_chapters()) {
                if (!chapter->variants.empty() && chapter->count_for(name) != nullptr) return std::string();
                for (const workbook::Variant& variant : chapter->variants)
                    names += (names.empty() ? "" : ", ") + std::string(variant.name);
            }
            return (name.empty() ? "''" : name) + " is a variant of no chapter here (they have " + names + ")";
        },
        ""));
    if (auto status = workbook::handle_command_line(app, argc, argv)) return *status;
    std::vector<const workbook::Chapter*> chosen;
    for (const auto& name : options.positional) chosen.push_back(find_chapter(name));
    if (chosen.empty()) chosen.assign(workbook::registered_chapters().begin(), workbook::registered_chapters().end());

    std::optional<workbook::Book> book;
    try {
        book = workbook::Book::open(options.book);
    } catch (const workbook::BookError& error) {
        std::cerr << program << ": " << error.what() << '\n';
        return 2;
    }

    // Slow counters (--counter, --work): one backend for every chapter, stopped at exit.
    std::optional<workbook::CounterBackend> counters;
    try {
        if (options.counters.calls_out()) counters.emplace(options.counters);
    } catch (const workbook::UsageError& error) {
        std::cerr << program << ": " << error.what() << '\n';
        return 2;
    } catch (const std::exception& error) {
        std::cerr << program << ": " << error.what() << '\n';
        return 1;
    }

    std::vector<Row> rows;
    for (const workbook::Chapter* chapter : chosen) {
        Row row{chapter, {}, {}};
        workbook::Options mine = options;  // --batch, --in-flight, --variant only where the chapter takes them
        if (!chapter->takes_batch) mine.batch = 0;
        if (!chapter->takes_in_flight) mine.in_flight = 0;
        if (chapter->count_for(options.variant) == nullptr) mine.variant.clear();
        std::ostringstream out;
        try {
            if (!options.json && chapter->demonstrate != nullptr) {
                chapter->demonstrate(out);
                out << '\n';
            }
            row.result = workbook::run_and_report(*chapter, book->events(), book->size(), book->name(), mine, out,
                                                  counters ? &*counters : nullptr);
            auto expected = workbook::reference_count(book->events().first(row.result.events));
            row.status = row.result.counts == expected ? "agrees" : "DISAGREES";
        } catch (const std::exception& error) {
            std::cerr << chapter->slug << ": " << error.what() << '\n';
            row.status = "FAILED";
        }
        std::cout << (options.json || rows.empty() ? "" : "\n") << out.str() << std::flush;
        rows.push_back(row);
    }

    bool all_good = true;
    for (const Row& row : rows) all_good = all_good && row.status == "agrees";
    if (!options.json) {
        const Row* first = rows.front().chapter->number == 1 && rows.front().status == "agrees" ? &rows.front() : nullptr;
        std::printf("\nSummary: %s, %zu events\n", book->name().c_str(), book->size());
        // Columns as wide as their longest entry, so that no mechanism's name pushes a row out of line.
        int slug_width = 7, mechanism_width = 9;  // "chapter", "mechanism"
        for (const Row& row : rows) {
            slug_width = std::max(slug_width, static_cast<int>(row.chapter->slug.size()));
            mechanism_width = std::max(mechanism_width, static_cast<int>(row.chapter->mechanism.size()));
        }
        std::printf("%-*s %-*s %10s %5s %12s %10s  %s\n", slug_width, "chapter", mechanism_width, "mechanism", "events",
                    "runs", "ns/event", first ? "vs 01" : "", "counts");
        for (const Row& row : rows) {
            std::string ratio;
            if (first && row.status == "agrees") {
                char text[32];
                double times = row.result.seconds_per_event() / first->result.seconds_per_event();
                std::snprintf(text, sizeof text, times < 100 ? "%.1fx" : "%.0fx", times);
                ratio = text;
            }
            std::printf("%-*.*s %-*.*s %10llu %5d %12.1f %10s  %s\n", slug_width,
                        static_cast<int>(row.chapter->slug.size()), row.chapter->slug.data(), mechanism_width,
                        static_cast<int>(row.chapter->mechanism.size()), row.chapter->mechanism.data(), static_cast<unsigned long long>(row.result.events),
                        row.result.runs, row.result.seconds_per_event() * 1e9, ratio.c_str(),
                        row.status == "agrees" ? "agree with the reference count" : row.status.c_str());
        }
    }
    return all_good ? 0 : 1;
}
