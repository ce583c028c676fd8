/// \file
/// \brief Generator, a C++20 coroutine with Python's generator protocol: `next`, `send`, `throw`,
///        `close`, return values and delegation (`yield from`), PEP 342 and PEP 380 carried over.
///
/// One chain of delegating generators is driven through its outermost ("root") generator, but every
/// resume goes straight to the innermost ("leaf") frame, whose handle the root keeps (the design of
/// cppcoro's recursive_generator), so a resume costs the same at any depth. When delegation starts or
/// a subgenerator finishes, the frame suspends and the root's loop resumes the new leaf: the talk's
/// trampoline. Symmetric transfer would do the same only where the compiler turns it into a tail
/// call; g++ 12 does not under -fsanitize=address or thread, and a chain 3,000 deep then overflows
/// the stack. With the loop a chain 10,000 deep never grows the native stack, in any build.
///
/// What it promises, rule by rule, with where each rule comes from (PEP 342, PEP 380, CPython) and
/// the test that proves it: \ref promises. The two rules most easily missed:
///
/// - send() into a finished generator reports completion (an empty optional), as next() does:
///   PEP 342's `send()` raises `StopIteration` there, exactly like `next()`. Only sending into a
///   generator that has not started is an error (PEP 342: `TypeError`, "can't send non-None value to
///   a just-started generator").
/// - Destroying a suspended generator closes it first: PEP 342's `__del__` is "a wrapper for
///   close()". GeneratorExit is raised at its pending `co_yield`, innermost first under delegation,
///   so its handlers run. If the body yields again or raises anything but GeneratorExit, the
///   destructor writes one line to stderr, as CPython's "Exception ignored in" does, and goes on.
///
/// This header is the entry point: include it, and every part comes with it. The parts, by role:
///
/// - generator_class.hpp: Generator itself (next, send, throw_into, close, result, iteration) and
///   prime(), the talk's `@coroutine`.
/// - yield_from.hpp: delegation, yield_from() and the awaiter that links a subgenerator's frames
///   into its delegator's chain.
/// - generator_error.hpp: GeneratorExit and GeneratorError.
/// - `detail/generator_promise.hpp`: the promise machinery, the frame-side half of the protocol:
///   states, the chain's links and the root's per-resume slots, the resume loop.
#pragma once

#include "workbook/detail/generator_promise.hpp"
#include "workbook/generator_class.hpp"
#include "workbook/generator_error.hpp"
#include "workbook/yield_from.hpp"
