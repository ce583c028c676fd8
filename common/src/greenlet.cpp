// The cold paths of workbook::Greenlet: the errors, with readable type names.
#include "workbook/detail/greenlet_failures.hpp"
#include "workbook/detail/greenlet_transfer.hpp"
#include "workbook/greenlet_error.hpp"
#include "workbook/greenlet_exit.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>

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

std::exception_ptr no_argument_error(const std::type_info& sent) noexcept {
    return std::make_exception_ptr(
        GreenletError("greenlet's function takes no argument, but its first switch sent " + type_name(sent)));
}

void report_ignored(const char* kind, const void* greenlet, const std::exception_ptr& error) noexcept {
    std::string what;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& exception) {
        what = type_name(typeid(exception)) + ": " + exception.what();
    } catch (...) {
        const std::type_info* type = abi::__cxa_current_exception_type();
        what = type != nullptr ? type_name(*type) : std::string("an unknown exception");
    }
    std::fprintf(stderr, "%s: exception ignored in the greenlet at %p, raised while it was being destroyed: %s\n",
                 kind, greenlet, what.c_str());
    std::fflush(stderr);
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
