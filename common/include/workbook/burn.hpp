// A CPU burner for `--work NS`: the talk's "computationally expensive" counter. A loop the
// optimiser cannot remove, calibrated once (iterations per nanosecond on this machine), so that
// burn(ns) costs about ns of CPU time without reading a clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace workbook {

/// Runs `iterations` steps of a dependent multiply-add chain and returns the result; each step
/// passes through an empty asm statement, so the compiler can neither drop nor fold the loop.
std::uint64_t burn_iterations(std::uint64_t iterations, std::uint64_t seed = 1);

/// A calibrated busy loop: burn(ns) costs about ns of CPU time, without reading a clock.
class CpuBurner {
public:
    /// Measures the loop's speed: several rounds of about `round` each, the fastest kept (a round
    /// slowed by another process would make every burn too short).
    static CpuBurner calibrate(std::chrono::microseconds round = std::chrono::microseconds(2000), int rounds = 3);
    /// The burner calibrated at the first call (later calls return the same one).
    static const CpuBurner& calibrated();

    /// A burner that runs `iterations_per_ns` loop steps per nanosecond (calibrate() measures it).
    explicit CpuBurner(double iterations_per_ns) : iterations_per_ns_(iterations_per_ns) {}

    /// The loop's measured speed, steps per nanosecond.
    double iterations_per_ns() const { return iterations_per_ns_; }
    /// How many iterations `work` takes.
    std::uint64_t iterations_for(std::chrono::nanoseconds work) const;
    /// Burns about `work` of CPU time; returns the loop's result (use it or ignore it).
    std::uint64_t burn(std::chrono::nanoseconds work) const { return burn_iterations(iterations_for(work)); }

private:
    double iterations_per_ns_;
};

/// CpuBurner::calibrated().burn(work).
inline void burn(std::chrono::nanoseconds work) { (void)CpuBurner::calibrated().burn(work); }

}  // namespace workbook
