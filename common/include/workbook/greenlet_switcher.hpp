/// \file
/// \brief Switcher, the primitive a greenlet type swaps stacks with: Boost.Context or `swapcontext`.
#pragma once

namespace workbook {

/// The primitive that swaps the stacks: what a switch costs depends on it.
///
/// \code
/// static_assert(workbook::Greenlet::switcher == workbook::Switcher::fiber);
/// \endcode
enum class Switcher {
    fiber,     ///< `boost::context::fiber`: saves a few registers in user space, no system call
    ucontext,  ///< POSIX `swapcontext`: also saves the signal mask, one system call per switch
};

}  // namespace workbook
