// The cold paths of workbook::Greenlet: the errors, with readable type names.
#include "workbook/greenlet.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace workbook::detail::greenlets {

namespace {

// "std::__cxx11::basic_string<...>" rather than "NSt7__cxx1112basic_stringI...", for messages.
std::string type_name(const std::type_info& type) {
    if (type == typeid(void)) return "nothing";
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name{abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free};
    return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

}  // namespace

void fail(const char* what) { throw GreenletError(what); }

void die(const char* what) noexcept {
    std::fprintf(stderr, "workbook::Greenlet: %s\n", what);
    std::terminate();
}

void check_arrival(Transfer transfer, const std::type_info& expected, std::exception_ptr& error) {
    if (transfer.type == nullptr) std::rethrow_exception(std::exchange(error, nullptr));
    if (*transfer.type == expected) return;  // the same type, with its type_info in another library
    throw GreenletError("greenlet received " + type_name(*transfer.type) + ", expected " + type_name(expected));
}

bool is_greenlet_exit(const std::exception_ptr& error) noexcept {
    if (!error) return false;
    try {
        std::rethrow_exception(error);
    } catch (const GreenletExit&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace workbook::detail::greenlets
