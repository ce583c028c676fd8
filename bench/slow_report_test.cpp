// `bench --slow`'s judgement of its rows, without running anything: which target a row is judged
// against and when it is met. No timing is measured.
#include "bench.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using namespace workbook::bench;

namespace {

SlowRow row(int chapter, std::string variant, std::size_t in_flight, double per_second, bool python = false) {
    SlowRow row;
    row.chapter = chapter;
    row.slug = chapter == 14 ? "14_async_await" : "01_serial";
    row.label = row.slug + (variant.empty() ? "" : " --variant " + variant);
    row.variant = std::move(variant);
    row.in_flight = in_flight;
    row.rule = BoundRule::in_flight;
    row.counter = SlowCounter{workbook::CounterKind::service, 0, 0};
    row.python = python;
    row.events = static_cast<std::uint64_t>(per_second);
    row.seconds = 1;
    return row;
}

const SlowRow& find_row(const SlowResults& results, int chapter, const std::string& variant, bool python = false) {
    for (const SlowRow& row : results.rows)
        if (row.chapter == chapter && row.variant == variant && row.python == python) return row;
    throw std::logic_error("no such row");
}

}  // namespace

TEST_CASE("chapter 14's Asio rows are judged against the workbook's loop at the same wait and in flight, within 1.5x either way") {
    struct Case {
        double own, asio;
        bool met;
    };
    for (const Case& c : {Case{1000, 800, true}, Case{800, 1000, true}, Case{1000, 500, false}, Case{500, 1000, false}}) {
        const double own = c.own, asio = c.asio;
        const bool met = c.met;
        CAPTURE(own);
        CAPTURE(asio);
        SlowResults results;
        results.machine.cores = 2;
        results.rows = {row(14, "", 1000, own), row(14, "asio", 1000, asio)};
        evaluate_slow(results);
        const SlowRow& judged = find_row(results, 14, "asio");
        CHECK(judged.target.find("within 1.5x") != std::string::npos);
        CHECK(judged.target.find("14_async_await") != std::string::npos);
        CHECK(judged.target_status == (met ? "met" : "missed"));
    }
}

TEST_CASE("chapter 14 at 100 in flight and wait 0 is judged against its Python peer: at least 3x its rate") {
    struct Case {
        double own, peer;
        bool met;
    };
    for (const Case& c : {Case{30000, 10000, true}, Case{29000, 10000, false}}) {
        const double own = c.own, peer = c.peer;
        const bool met = c.met;
        CAPTURE(own);
        SlowResults results;
        results.machine.cores = 2;
        SlowRow python = row(14, "", 100, peer, true);
        python.label = "14 async_await.py";
        results.rows = {row(14, "", 100, own), python};
        evaluate_slow(results);
        const SlowRow& judged = find_row(results, 14, "");
        CHECK(judged.target.find(">= 3x 14 async_await.py") != std::string::npos);
        CHECK(judged.target_status == (met ? "met" : "missed"));
    }
}
