# Runs a shipped exercise stub's test program and passes only if it fails *cleanly*: exit status 1
# (doctest's "some test failed", not a signal, not a timeout), its output names a TODO, and no test
# case passed (so `./workbook check` reports the exercise as "not started").
# Usage: cmake -DPROGRAM=<test program> -DTIMEOUT=<seconds> -P check_stub.cmake
execute_process(COMMAND ${PROGRAM} --no-colors=true
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output TIMEOUT ${TIMEOUT})
get_filename_component(name ${PROGRAM} NAME)
if(NOT status STREQUAL "1")
    message(FATAL_ERROR "${name}: the stub should fail with exit status 1, got '${status}'\n${output}")
endif()
if(NOT output MATCHES "TODO")
    message(FATAL_ERROR "${name}: the stub fails, but not with a TODO message\n${output}")
endif()
if(NOT output MATCHES "test cases: *[0-9]+ \\| *0 passed")
    message(FATAL_ERROR "${name}: some test case passes with the stub; each should fail on its TODO\n${output}")
endif()
message(STATUS "${name}: the stub fails cleanly with its TODO message")
