// A greenlet's function, its type erased: what it takes, what it returns, and where its result
// waits for the parent.
#pragma once

#include "workbook/detail/greenlet_transfer.hpp"

#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace workbook::detail::greenlets {

// The signature of a greenlet's function, read from its call operator (lambdas, function objects
// with one non-template operator()) or its type (function pointers).
template <typename F>
struct Signature : Signature<decltype(&F::operator())> {};
template <typename R, typename... A>
struct Signature<R (*)(A...)> {
    using result = R;
    using arguments = std::tuple<A...>;
};
template <typename R, typename... A>
struct Signature<R (*)(A...) noexcept> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...)> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) noexcept> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const noexcept> : Signature<R (*)(A...)> {};

// A greenlet's function, its type erased, and the slot its result waits in for the parent.
class Run {
public:
    explicit Run(bool takes_argument) noexcept : takes_argument(takes_argument) {}
    virtual ~Run() = default;
    const bool takes_argument;  // false: a value sent to start it is refused (no_argument_error)
    // Calls the function with the value `start` brought; returns what goes to the parent.
    virtual Transfer call(Transfer start, std::exception_ptr& error) = 0;
};

// The function's argument, if any, as received: a value moved out of the sender's keeping.
template <typename Arguments>
struct Argument {
    static_assert(std::tuple_size_v<Arguments> == 0, "a greenlet's function takes at most one argument (use a struct)");
    template <typename F>
    static decltype(auto) call_with(F& f, Transfer start, std::exception_ptr& error) {
        receive<void>(start, error);
        return std::invoke(f);
    }
};
template <typename A>
struct Argument<std::tuple<A>> {
    template <typename F>
    static decltype(auto) call_with(F& f, Transfer start, std::exception_ptr& error) {
        auto value = receive<std::remove_cvref_t<A>>(start, error);
        return std::invoke(f, static_cast<A&&>(value));
    }
};

template <typename F>
class RunOf final : public Run {
    using Result = typename Signature<F>::result;
    using Arguments = typename Signature<F>::arguments;
    static_assert(!std::is_reference_v<Result>, "a greenlet's function must return a value, not a reference");

public:
    explicit RunOf(F f) : Run(std::tuple_size_v<Arguments> != 0), f_(std::move(f)) {}

    Transfer call(Transfer start, std::exception_ptr& error) override {
        if constexpr (std::is_void_v<Result>) {
            Argument<Arguments>::call_with(f_, start, error);
            return {};
        } else {
            // Kept here, off the stack that is about to be freed, until the parent moves it out.
            result_.emplace(Argument<Arguments>::call_with(f_, start, error));
            return {&*result_, &typeid(Result)};
        }
    }

private:
    F f_;
    [[no_unique_address]] std::conditional_t<std::is_void_v<Result>, std::tuple<>, std::optional<Result>> result_;
};

}  // namespace workbook::detail::greenlets
