# The body of the cross toolchain files cmake/aarch64-linux-gnu.cmake and cmake/arm-linux-gnueabihf.cmake:
# Debian's cross compiler for the GNU triple MMIO_CROSS_TRIPLE, which they set before including this file (use
# them, not this file, as CMAKE_TOOLCHAIN_FILE). The processor is the triple's first part (aarch64, arm).
if(NOT MMIO_CROSS_TRIPLE)
  message(FATAL_ERROR "set MMIO_CROSS_TRIPLE first: use cmake/aarch64-linux-gnu.cmake or cmake/arm-linux-gnueabihf.cmake")
endif()
string(REGEX REPLACE "-.*" "" _mmio_cross_cpu "${MMIO_CROSS_TRIPLE}")
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${_mmio_cross_cpu})
set(CMAKE_C_COMPILER ${MMIO_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${MMIO_CROSS_TRIPLE}-g++)
set(CMAKE_AR ${MMIO_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_STRIP ${MMIO_CROSS_TRIPLE}-strip CACHE FILEPATH "")
# Headers and libraries come from the compiler's own multiarch directories; never look in the host's.
set(CMAKE_FIND_ROOT_PATH /usr/${MMIO_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
