// The CPU burner behind --work: a loop that runs, and a calibration that maps time to iterations.
#include "workbook/burn.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

TEST_CASE("The burner's loop computes a result that depends on every iteration") {
    CHECK(workbook::burn_iterations(0, 7) == 7);
    CHECK(workbook::burn_iterations(1000) == workbook::burn_iterations(1000));
    CHECK(workbook::burn_iterations(1000) != workbook::burn_iterations(1001));
    CHECK(workbook::burn_iterations(2, 1) == (1 * 6364136223846793005ULL + 1442695040888963407ULL) * 6364136223846793005ULL + 1442695040888963407ULL);
}

TEST_CASE("A calibrated burner maps a duration to iterations in proportion, and nothing to no work") {
    workbook::CpuBurner burner = workbook::CpuBurner::calibrate(500us, 2);
    CHECK(burner.iterations_per_ns() > 0);
    CHECK(burner.iterations_for(0ns) == 0);
    CHECK(burner.iterations_for(-5ns) == 0);
    auto one = burner.iterations_for(1ms), two = burner.iterations_for(2ms);
    CHECK(one > 0);
    CHECK(two >= 2 * one - 1);
    CHECK(two <= 2 * one + 1);
    workbook::CpuBurner fixed(0.5);
    CHECK(fixed.iterations_for(1000ns) == 500);
    CHECK(fixed.burn(1000ns) == workbook::burn_iterations(500));
}

TEST_CASE("The process-wide burner is calibrated once") {
    const workbook::CpuBurner& first = workbook::CpuBurner::calibrated();
    const workbook::CpuBurner& again = workbook::CpuBurner::calibrated();
    CHECK(&first == &again);
    CHECK(first.iterations_per_ns() > 0);
    workbook::burn(10us);  // runs, and returns
}
