# CUDA is optional and chosen at run time: it is compiled when nvcc is found (ANNEAL_CUDA=AUTO),
# and a CUDA build still runs, and passes its tests, on a machine without a GPU.
set(ANNEAL_HAVE_CUDA OFF)
if(NOT ANNEAL_CUDA STREQUAL "OFF")
  # The toolkit's usual home, for machines where it is installed but not on the PATH.
  if(NOT DEFINED ENV{CUDACXX} AND NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Ampere and Hopper; override with -DCMAKE_CUDA_ARCHITECTURES=native on a GPU machine.
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    # CMake 3.25 knows no C++20 flag for nvcc; device code is written to C++17.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(ANNEAL_HAVE_CUDA ON)
  elseif(ANNEAL_CUDA STREQUAL "ON")
    message(FATAL_ERROR "ANNEAL_CUDA=ON but no CUDA compiler (nvcc) was found")
  endif()
endif()
message(STATUS "anneal: CUDA backend: ${ANNEAL_HAVE_CUDA}")
