/// \file
/// \brief GreenletExit, the exception that ends a greenlet quietly: greenlet's `GreenletExit`.
#pragma once

namespace workbook {

/// Thrown into a suspended greenlet that is being destroyed (or by `throw_into()` with no
/// argument), like greenlet's `GreenletExit`: it unwinds the greenlet's stack so its destructors
/// run. A greenlet that lets it escape simply finishes; its parent receives nothing, not the
/// exception. Thrown into a greenlet that is not running any more (dead) or not yet (unstarted),
/// it is eaten there, as greenlet's `throw()` does (its test_throw.py, `test_kill`: "immediately
/// eaten by the already-dead greenlet"): the greenlet is dead and the throw becomes a switch with
/// nothing to its nearest live ancestor, so it returns at once when that is the thrower.
/// Deliberately not derived from `std::exception`, so `catch (const std::exception&)` does not
/// swallow it; a `catch (...)` inside a greenlet must rethrow it.
///
/// \code
/// workbook::Greenlet worker{[] {
///     try {
///         workbook::Greenlet::current().parent()->switch_to();
///     } catch (const workbook::GreenletExit&) {
///         std::puts("being destroyed");  // cleanup, then let it go on
///         throw;
///     }
/// }};
/// worker.switch_to();  // starts it; it suspends itself
/// // leaving the scope destroys `worker`: "being destroyed"
/// \endcode
struct GreenletExit {
    /// A short description, for messages; GreenletExit is not a `std::exception`.
    ///
    /// \code
    /// assert(std::string(workbook::GreenletExit{}.what()) == "greenlet exit");
    /// \endcode
    const char* what() const noexcept { return "greenlet exit"; }
};

}  // namespace workbook
