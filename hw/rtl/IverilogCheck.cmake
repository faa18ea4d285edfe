# Compiles RTL with Icarus Verilog (cmake -DIVERILOG=<path> "-DARGS=<arguments>" -P IverilogCheck.cmake).
# Fails on a non-zero exit status and on any message: Icarus reports unsupported constructs as
# "sorry" warnings while still exiting 0, and those must not go unnoticed.
execute_process(COMMAND ${IVERILOG} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
  message(FATAL_ERROR "iverilog ${ARGS}\nexit status ${rc}\n${out}${err}")
endif()
message(STATUS "iverilog: compiled cleanly")
