// Tests of exercise 01. Run them with `./workbook check 01`.
#include "dispatch.hpp"

#include "workbook/book.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace {

workbook::Events events(std::string_view text) {
    return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

// A callable that records the events it receives and counts how often it was copied: dispatch()
// must call the caller's own object, as chapter 01's std::function never could (it copies).
struct Recorder {
    std::string seen;
    static inline int copies = 0;
    Recorder() = default;
    Recorder(const Recorder& other) : seen(other.seen) { ++copies; }
    Recorder& operator=(const Recorder&) = delete;
    void operator()(unsigned char c) { seen += static_cast<char>(c); }
};

}  // namespace

TEST_CASE("dispatch hands every event to the callable of its class, in book order") {
    Recorder vowel, consonant, other;
    exercise01::dispatch(events("Hi, yE!"), vowel, consonant, other);
    CHECK_MESSAGE(vowel.seen == "iE", "vowels are aeiouAEIOU");
    CHECK_MESSAGE(consonant.seen == "Hy", "consonants are the other ASCII letters");
    CHECK_MESSAGE(other.seen == ", !", "others are every other byte");
}

TEST_CASE("dispatch calls the callables it is given, never copies of them") {
    Recorder vowel, consonant, other;
    Recorder::copies = 0;
    exercise01::dispatch(events("banana split"), vowel, consonant, other);
    CHECK_MESSAGE(Recorder::copies == 0, "take the callables by reference and call them directly");
    CHECK(vowel.seen == "aaai");
    CHECK(consonant.seen == "bnnsplt");
}

TEST_CASE("dispatch accepts lambdas written in the call") {
    int vowels = 0, consonants = 0, others = 0;
    exercise01::dispatch(
        events("Tea for two"), [&](unsigned char) { ++vowels; }, [&](unsigned char) { ++consonants; },
        [&](unsigned char) { ++others; });
    CHECK(vowels == 4);
    CHECK(consonants == 5);
    CHECK(others == 2);
}

TEST_CASE("dispatch classifies every byte value, bytes above 127 included") {
    unsigned char all[256];
    for (int i = 0; i < 256; ++i) all[i] = static_cast<unsigned char>(i);
    workbook::LetterTypes counts;
    exercise01::dispatch(
        all, [&](unsigned char) { counts.add(workbook::Letter::vowel); },
        [&](unsigned char) { counts.add(workbook::Letter::consonant); },
        [&](unsigned char) { counts.add(workbook::Letter::other); });
    CHECK(counts == workbook::LetterTypes{10, 42, 204});
}

TEST_CASE("inline_count agrees with the reference count") {
    CHECK(exercise01::inline_count({}) == workbook::LetterTypes{});
    CHECK(exercise01::inline_count(events("Hi, yE!")) == workbook::LetterTypes{2, 2, 3});
    auto book = workbook::Book::default_book(100'000);
    CHECK(exercise01::inline_count(book.events()) == workbook::reference_count(book.events()));
}

// Not a check, a measurement, so it is skipped by default. Run it with
//   ./build/default/bin/exercise_01_serial --no-skip -tc="measure*"
// It prints chapter 01's cost per event (a call through std::function) next to yours.
namespace {
[[gnu::noinline]] void call_through_function(workbook::Events book, const std::function<void(unsigned char)>& vowel,
                                             const std::function<void(unsigned char)>& consonant,
                                             const std::function<void(unsigned char)>& other) {
    exercise01::dispatch(book, vowel, consonant, other);
}

template <typename Count>
double best_ns_per_event(workbook::Events book, Count count) {
    double best = 1e300;
    for (int run = 0; run < 5; ++run) {
        auto start = std::chrono::steady_clock::now();
        auto counts = count();
        std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
        CHECK(counts == workbook::reference_count(book));
        best = std::min(best, took.count() / static_cast<double>(book.size()));
    }
    return best;
}
}  // namespace

TEST_CASE("measure: the cost per event of a call through std::function and of an inlined call" *
          doctest::skip()) {
    auto book = workbook::Book::default_book();
    auto through_function = best_ns_per_event(book.events(), [&] {
        workbook::Counter vowel{"vowel"}, consonant{"consonant"}, other{"other"};
        call_through_function(book.events(), std::ref(vowel), std::ref(consonant), std::ref(other));
        return workbook::LetterTypes{vowel.count, consonant.count, other.count};
    });
    auto inlined = best_ns_per_event(book.events(), [&] { return exercise01::inline_count(book.events()); });
    std::printf("best of 5 on the default book (%zu events):\n", book.size());
    std::printf("  call through std::function (chapter 01): %.2f ns per event\n", through_function);
    std::printf("  inline_count (dispatch as a template):   %.2f ns per event\n", inlined);
}
