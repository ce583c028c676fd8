#include "workbook/burn.hpp"

#include <algorithm>
#include <cmath>

namespace workbook {

std::uint64_t burn_iterations(std::uint64_t iterations, std::uint64_t seed) {
    std::uint64_t x = seed;
    for (std::uint64_t i = 0; i < iterations; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        __asm__ __volatile__("" : "+r"(x));  // x is "used" and "changed" here: the loop must run
    }
    return x;
}

CpuBurner CpuBurner::calibrate(std::chrono::microseconds round, int rounds) {
    using clock = std::chrono::steady_clock;
    const auto round_ns = std::max<std::int64_t>(1000, std::chrono::duration_cast<std::chrono::nanoseconds>(round).count());
    // Grow the count until one round takes long enough to time well.
    std::uint64_t iterations = 1024;
    double best = 0;
    for (int done = 0; done < std::max(1, rounds);) {
        auto start = clock::now();
        burn_iterations(iterations, static_cast<std::uint64_t>(done) + 1);
        auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start).count();
        if (elapsed < round_ns / 2) {
            iterations *= 2;
            continue;
        }
        best = std::max(best, static_cast<double>(iterations) / static_cast<double>(elapsed));
        ++done;
    }
    return CpuBurner(best);
}

const CpuBurner& CpuBurner::calibrated() {
    static const CpuBurner burner = calibrate();
    return burner;
}

std::uint64_t CpuBurner::iterations_for(std::chrono::nanoseconds work) const {
    if (work.count() <= 0) return 0;
    return static_cast<std::uint64_t>(std::llround(static_cast<double>(work.count()) * iterations_per_ns_));
}

}  // namespace workbook
