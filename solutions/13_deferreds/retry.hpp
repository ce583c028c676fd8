// Exercise 13, solved: an errback that retries a failed request once.
#pragma once

#include "workbook/counter_client.hpp"
#include "workbook/deferred.hpp"
#include "workbook/failure.hpp"

#include <cstdint>
#include <functional>

namespace exercise13 {

// Makes `request` once; a CounterError makes it once more, and the chain waits for that retry
// (an errback that returns a Deferred pauses the chain until it fires). Any other error, and the
// retry's own error, go on down the errback branch.
inline workbook::Deferred<std::int64_t> retry_once(std::function<workbook::Deferred<std::int64_t>()> request) {
    return request().add_errback([request](const workbook::Failure& failure) {
        failure.trap<workbook::CounterError>();  // anything else is rethrown: no retry
        return request();
    });
}

}  // namespace exercise13
