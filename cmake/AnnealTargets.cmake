# anneal_module(<name> SOURCES ... [DEPENDS ...] [PRIVATE_DEPENDS ...])
# One library target per module, anneal_<name>, with the repository root as include root.
set(ANNEAL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Woverloaded-virtual)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false positives inside its own AVX-512 intrinsics when Eigen is inlined at -O2.
  list(APPEND ANNEAL_WARNINGS -Wno-maybe-uninitialized)
endif()
if(ANNEAL_WERROR)
  list(APPEND ANNEAL_WARNINGS -Werror)
endif()

# Kernels are compiled for the CPU that builds them (AVX2/AVX-512 where present): anneal is built
# where it runs, as HPC codes are. Turn off for a binary that must run on older CPUs.
option(ANNEAL_NATIVE "Optimise for the building machine's CPU (-march=native)" ON)
if(ANNEAL_NATIVE)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()

function(anneal_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${ANNEAL_WARNINGS}>)
endfunction()

function(anneal_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  set(target anneal_${name})
  if(ARG_SOURCES)
    add_library(${target} ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
    anneal_warnings(${target})
  else()
    # A module that has no code yet still takes its place in the dependency order.
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${ARG_DEPENDS})
  endif()
  add_library(anneal::${name} ALIAS ${target})
endfunction()
