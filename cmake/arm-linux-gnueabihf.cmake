# CMake toolchain file: cross build for arm-linux-gnueabihf with Debian's cross compiler
# (apt-get install g++-arm-linux-gnueabihf; tools/arm/setup-cross.sh does it), e.g.:
#   npx cmake-js rebuild --arch arm --CDCMAKE_TOOLCHAIN_FILE=$PWD/cmake/arm-linux-gnueabihf.cmake
set(MMIO_CROSS_TRIPLE arm-linux-gnueabihf)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-cross.cmake)
