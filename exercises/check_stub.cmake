# Runs a shipped exercise stub's test program and passes only if it fails *cleanly*: exit status 1
# (doctest's "some test failed", not a signal, not a time-out) and the result its reporter writes
# for `./workbook check` is "not started: TODO: ..." (no test case passed, the first failure is the
# stub's TODO).
# Usage: cmake -DPROGRAM=<test program> -DRESULT=<result file> -DTIME_LIMIT=<seconds>
#              -DBACKSTOP=<seconds> -P check_stub.cmake
file(REMOVE ${RESULT})
execute_process(COMMAND ${CMAKE_COMMAND} -E env WORKBOOK_CHECK_RESULT=${RESULT} WORKBOOK_CHECK_TIME_LIMIT=${TIME_LIMIT}
                        ${PROGRAM} --no-colors=true
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output TIMEOUT ${BACKSTOP})
get_filename_component(name ${PROGRAM} NAME)
set(result "(none)")
if(EXISTS ${RESULT})
    file(READ ${RESULT} result)
endif()
if(NOT status STREQUAL "1")
    message(FATAL_ERROR "${name}: the stub should fail with exit status 1, got '${status}'; its result: ${result}\n${output}")
endif()
if(NOT result MATCHES "^not started: TODO: [^\n]+\n$")
    message(FATAL_ERROR "${name}: the stub fails, but its result is not \"not started: TODO: ...\": ${result}\n${output}")
endif()
string(STRIP "${result}" result)
message(STATUS "${name}: the stub fails cleanly: ${result}")
