# SPDX-License-Identifier: GPL-2.0-only
#
# Tests of the real-kernel oracle (docs/oracle.md).  Include from
# sim/tests/CMakeLists.txt:   include(${CMAKE_CURRENT_SOURCE_DIR}/oracle.cmake)
#
#  oracle/real          scripts/oracle: every realisable scenario on Debian's
#                       6.1, 6.12 and 7.3 kernels in QEMU, compared with the
#                       model (label oracle; skipped, exit 77, when qemu,
#                       cpio or the kernel packages are unavailable)
# The emitted C of every scenario is compiled by unit/test_emit.
add_test(NAME oracle/real
         COMMAND ${PROJECT_SOURCE_DIR}/scripts/oracle --khpsim $<TARGET_FILE:khpsim>
                 --out ${CMAKE_BINARY_DIR}/oracle-out)
set_tests_properties(oracle/real PROPERTIES LABELS oracle SKIP_RETURN_CODE 77 TIMEOUT 3600)

# The exit status of `khpsim oracle` on the recorded guest logs of
# sim/tests/data/oracle/ (docs/oracle.md §4): 0 every step agrees, 1 a step
# that ran differs (also when another guest panicked), 3 no step differs but
# a guest did not complete (a panic before /init, here): an infrastructure
# failure, never 1.  Label cli: they run in scripts/test.
set(KHP_ORACLE_DATA ${PROJECT_SOURCE_DIR}/sim/tests/data/oracle)
file(GLOB KHP_ORACLE_DATA_SCENARIOS ${KHP_ORACLE_DATA}/*.json)
foreach(case IN ITEMS
    "agree|0|--log;guest-6.1.log;--log;guest-6.12.log;--log;guest-7.3.log"
    "panic|3|--log;guest-6.1.log;--log;guest-7.3-panic-early.log;--kernel;7.3"
    "timeout|3|--log;guest-7.3-timeout.log;--package;linux-binary-7.3.4+deb13-amd64=7.3.4-1~bpo13+1;--boots;3"
    "truncated|3|--log;guest-6.12-truncated.log"
    "differ|1|--log;guest-6.12-differ.log"
    "differ-and-panic|1|--log;guest-6.12-differ.log;--log;guest-6.1-panic.log"
    "classify-good|0|--classify;guest-6.1.log;guest-7.3.log"
    "classify-panic|3|--classify;guest-6.1.log;guest-7.3-panic-early.log")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 status)
  list(SUBLIST parts 2 -1 args)
  set(argv "")
  foreach(a IN LISTS args)
    if(a MATCHES "^guest-")
      list(APPEND argv ${KHP_ORACLE_DATA}/${a})
    else()
      list(APPEND argv ${a})
    endif()
  endforeach()
  if(NOT name MATCHES "^classify")
    list(APPEND argv ${KHP_ORACLE_DATA_SCENARIOS})
  endif()
  add_test(NAME cli/oracle-exit-${name}
           COMMAND sh -c "\"$0\" oracle \"$@\" >/dev/null; test $? -eq ${status}"
                   $<TARGET_FILE:khpsim> ${argv})
  set_tests_properties(cli/oracle-exit-${name} PROPERTIES LABELS cli)
endforeach()

# scripts/oracle with a stand-in for QEMU that replays those logs: a guest
# that panics or hangs is booted again, one that never completes gives exit
# 3, a difference exit 1 (sim/tests/oracle-retry.sh).
add_test(NAME cli/oracle-retry
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/oracle-retry.sh $<TARGET_FILE:khpsim>)
set_tests_properties(cli/oracle-retry PROPERTIES LABELS cli SKIP_RETURN_CODE 77 TIMEOUT 300)
