# CMake toolchain file: cross build for aarch64-linux-gnu with Debian's cross compiler
# (apt-get install g++-aarch64-linux-gnu; tools/arm/setup-cross.sh does it). Used by tools/arm/cmake-check.sh:
#   npx cmake-js rebuild --arch arm64 --CDCMAKE_TOOLCHAIN_FILE=$PWD/cmake/aarch64-linux-gnu.cmake
set(MMIO_CROSS_TRIPLE aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
