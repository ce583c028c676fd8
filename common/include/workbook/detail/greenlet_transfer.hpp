// What one switch between greenlets carries, and how the receiver takes it.
#pragma once

#include <exception>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace workbook::detail::greenlets {

// What one switch carries: the address of the value sent and its type. The value lives with the
// sender (in its suspended frame, or in a finished greenlet's result slot), which cannot change
// before the receiver has moved it out; so a switch copies two pointers, whatever the type.
// `type == nullptr` means an exception is on its way instead (in Runtime::error).
struct Transfer {
    void* value = nullptr;
    const std::type_info* type = &typeid(void);  // typeid(void): nothing was sent
};

// Out of line, what arrives unexpectedly: an exception (rethrown), or a value whose type_info is
// another object than typeid(R) (accepted if the types are equal, else GreenletError).
void check_arrival(Transfer transfer, const std::type_info& expected, std::exception_ptr& error);

// Delivers what a switch brought as an R: the value (moved out of the sender's keeping), or the
// exception raised. R = void accepts anything and drops it, like ignoring what `switch()` returns.
template <typename R>
R receive(Transfer transfer, std::exception_ptr& error) {
    if constexpr (std::is_void_v<R>) {
        if (transfer.type == nullptr) [[unlikely]] check_arrival(transfer, typeid(void), error);
    } else {
        if (transfer.type != &typeid(R)) [[unlikely]] check_arrival(transfer, typeid(R), error);
        return std::move(*static_cast<R*>(transfer.value));
    }
}

}  // namespace workbook::detail::greenlets
