{
  "targets": [
    {
      "target_name": "mmio",
      "sources": [
        "native/addon.cc",
        "native/region.cc",
        "native/map_file.cc",
        "native/accessors.cc",
        "native/block_io.cc",
        "native/poll.cc",
        "native/poll_timer.cc",
        "native/uio_irq.cc",
        "native/port_io.cc",
        "native/ofd_lock.cc",
        "native/fault_guard.cc",
        "native/vfio.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["_FILE_OFFSET_BITS=64", "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc!": ["-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-O2", "-Wall", "-Wextra"],
      "cflags": ["-fno-exceptions"]
    }
  ]
}
