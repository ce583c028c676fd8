// Chapter 04's failures: a worker's exception reaches the caller as an error, and no thread outlives the run.
#include "threads.hpp"

#include <exception>
#include <string>

namespace workbook::chapter04 {

// What ended the worker, as an error naming it.
void ThreadTuple::rethrow_failure() {
    try {
        std::rethrow_exception(failure_);
    } catch (const std::exception& error) {
        throw ChapterError("worker thread '" + std::string(name_) + "' failed: " + error.what());
    } catch (...) {
        throw ChapterError("worker thread '" + std::string(name_) + "' failed with an exception that is not a std::exception");
    }
}

// The queue refused a message: only a worker that failed closes its queue.
void ThreadTuple::failed() {
    join();
    throw ChapterError("worker thread '" + std::string(name_) + "' closed its queue");
}

ThreadTuple::~ThreadTuple() {
    queue_.close();  // a worker still waiting for messages ends; thread_ then joins it
}

}  // namespace workbook::chapter04
