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
