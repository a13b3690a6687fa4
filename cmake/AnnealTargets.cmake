# anneal_module(<name> SOURCES ... [DEPENDS ...] [PRIVATE_DEPENDS ...])
# One library target per module, anneal_<name>, with the repository root as include root.
set(ANNEAL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Woverloaded-virtual)
if(ANNEAL_WERROR)
  list(APPEND ANNEAL_WARNINGS -Werror)
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
