// The native spin behind readX_poll_timeout_atomic with a { mask, value } condition
// (include/linux/iopoll.h read_poll_timeout_atomic): ordered reads, the CPU's pause/yield hint between
// them, an optional busy delay, and a CLOCK_MONOTONIC deadline.
#pragma once

#include <napi.h>

namespace mmio {

// pollAtomic(handle, width, offset, mask: bigint, value: bigint, delayUs, timeoutUs) -> [met, lastValue: bigint]
// timeoutUs 0 waits forever. After the deadline, one last read decides, as in the kernel macro.
Napi::Value PollAtomic(const Napi::CallbackInfo& info);

}  // namespace mmio
