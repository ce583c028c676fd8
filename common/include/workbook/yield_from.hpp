/// \file
/// \brief Delegation, PEP 380's `yield from`, for Generator: yield_from() and the awaiter that
///        links a subgenerator's frames into its delegator's chain.
#pragma once

#include "workbook/detail/generator_promise.hpp"
#include "workbook/generator_class.hpp"
#include "workbook/generator_error.hpp"

#include <coroutine>
#include <exception>
#include <utility>

namespace workbook {

/// \cond detail
namespace detail {

// What yield_from() returns: the subgenerator, on its way into the delegator's frame.
template <typename Y, typename S, typename R>
struct Delegation {
    Generator<Y, S, R> generator;
};

// Lives in the delegator's frame for as long as it delegates, and owns the subgenerator's frame.
template <typename Y, typename S, typename R>
class DelegationAwaiter {
public:
    explicit DelegationAwaiter(Delegation<Y, S, R>&& delegation) noexcept
        : sub_(&Access::promise(delegation.generator)), frame_(Access::release(delegation.generator)) {}
    DelegationAwaiter(const DelegationAwaiter&) = delete;
    DelegationAwaiter& operator=(const DelegationAwaiter&) = delete;
    ~DelegationAwaiter() {
        if (frame_) sub_->destroy_chain();
    }

    bool await_ready() const noexcept { return sub_->state_ == State::done; }

    // Makes the subgenerator's leaf the chain's leaf and suspends; the root's loop resumes it.
    template <typename P>
    void await_suspend(std::coroutine_handle<P> delegator) noexcept {
        PromiseBase<Y, S>& parent = delegator.promise();
        PromiseBase<Y, S>& root = *parent.root_;
        PromiseBase<Y, S>& sub = *sub_;
        // A started subgenerator may itself be delegating: its whole chain now reports to our root.
        PromiseBase<Y, S>* leaf = sub.leaf_;
        for (PromiseBase<Y, S>* frame = leaf; frame != &sub; frame = frame->parent_) frame->root_ = &root;
        sub.root_ = &root;
        sub.leaf_ = &sub;
        sub.parent_ = &parent;
        sub.owner_ = &frame_;
        sub.state_ = State::delegated;
        sub.value_ = nullptr;
        if constexpr (!std::is_void_v<S>) sub.sent_.clear();  // its leaf's pending co_yield gets None
        root.leaf_ = leaf;
        root.leaf_handle_ = leaf->self_;
    }

    R await_resume() {
        auto& sub = *sub_;
        if (!frame_.done()) [[unlikely]] fail(ignored_exit);  // it yielded while being closed
        if (sub.error_) std::rethrow_exception(std::exchange(sub.error_, nullptr));
        if (sub.closing_) throw GeneratorExit{};  // closed cleanly: now the exit reaches us (PEP 380)
        if constexpr (!std::is_void_v<R>) {
            if (!sub.result_) fail("yield_from() a generator that finished without returning");
            return std::move(*sub.result_);
        }
    }

private:
    typename Generator<Y, S, R>::promise_type* sub_;
    std::coroutine_handle<> frame_;
};

}  // namespace detail
/// \endcond

/// Delegation, PEP 380's `yield from`: inside a `Generator<Y, S, R>` body,
/// `R2 r = co_yield workbook::yield_from(std::move(sub));` runs `sub` (a `Generator<Y, S, R2>`, owned
/// by the delegator from now on) until it finishes. Meanwhile its values go straight to the caller,
/// and send(), throw_into() and close() go straight to it (to the innermost of nested delegations);
/// its return value becomes the value of the `co_yield`, and an exception it raises is raised there.
/// A subgenerator that has already started receives `S{}` (None) first; a finished one returns its
/// result at once. Delegating to a generator that is executing (itself, directly or not) is
/// GeneratorError "generator already executing".
///
/// \code
/// workbook::Generator<std::pair<int, int>> subloop(int i) {
///     for (int j = 0; j < 3; ++j) co_yield {i, j};
/// }
/// workbook::Generator<std::pair<int, int>> pairs() {
///     for (int i = 0; i < 3; ++i) co_yield workbook::yield_from(subloop(i));
/// }
/// \endcode
template <typename Y, typename S, typename R>
detail::Delegation<Y, S, R> yield_from(Generator<Y, S, R>&& sub) {
    if (!sub) detail::fail("yield_from() an empty generator");
    if (detail::Access::promise(sub).executing()) detail::fail(detail::already_executing);
    return {std::move(sub)};
}


}  // namespace workbook
