# The version and git commit are stamped into every output's /meta. The commit is read at build
# time, not configure time, so it stays true after new commits without a re-configure.
set(ANNEAL_VERSION_CPP ${PROJECT_BINARY_DIR}/generated/version_info.cpp)
add_custom_target(anneal_version_info
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUTPUT=${ANNEAL_VERSION_CPP}
          -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/write_version_info.cmake
  BYPRODUCTS ${ANNEAL_VERSION_CPP}
  COMMENT "Stamping version and git commit")
