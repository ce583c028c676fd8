// For tests that need a real redis-server: optional on a learner's machine (the case reports itself
// skipped), required in CI (CI set), where a missing package must fail rather than skip.
#pragma once

#include "workbook/servers.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace workbook::testing {

// Whether CI is set (to anything but "", "0" or "false").
inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && *ci && std::strcmp(ci, "false") != 0 && std::strcmp(ci, "0") != 0;
}

// Whether a private redis-server starts here; any failure but "not installed" is a failure.
inline bool have_redis_server() {
    try {
        workbook::PrivateServer::redis();
        return true;
    } catch (const workbook::ServerError& missing) {
        if (std::string(missing.what()).find("is not installed") == std::string::npos) throw;
        return false;
    }
}

// True when redis-server is there; otherwise the case says it is skipped, or fails in CI.
inline bool redis_or_skip() {
    static const bool present = have_redis_server();
    if (!present) {
        if (in_ci()) FAIL("redis-server is missing, and CI must run this test (Debian package redis-server)");
        MESSAGE("skipped: redis-server is not installed (Debian package redis-server)");
    }
    return present;
}

}  // namespace workbook::testing
