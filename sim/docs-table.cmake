# SPDX-License-Identifier: GPL-2.0-only
#
# cmake -DKHPSIM=... -DDOC=docs/profiles.md -P sim/docs-table.cmake: the block
# between the BEGIN/END markers of DOC equals `khpsim profiles --markdown`.
execute_process(COMMAND ${KHPSIM} profiles --markdown OUTPUT_VARIABLE table RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "khpsim profiles --markdown failed (${rc})")
endif()
file(READ ${DOC} doc)
set(begin "<!-- BEGIN khpsim profiles --markdown -->\n")
set(end "<!-- END khpsim profiles --markdown -->")
string(FIND "${doc}" "${begin}" b)
string(FIND "${doc}" "${end}" e)
if(b LESS 0 OR e LESS 0)
  message(FATAL_ERROR "${DOC}: the BEGIN/END markers of the rules table are missing")
endif()
string(LENGTH "${begin}" blen)
math(EXPR start "${b} + ${blen}")
math(EXPR len "${e} - ${start}")
string(SUBSTRING "${doc}" ${start} ${len} block)
if(NOT block STREQUAL table)
  message(FATAL_ERROR "${DOC}: the rules table differs from `khpsim profiles --markdown`; "
                      "run scripts/gen-profiles-doc")
endif()
message(STATUS "${DOC}: the rules table matches the code")
