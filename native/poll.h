// The native spin behind readX_poll_timeout_atomic with a { mask, value } condition
// (include/linux/iopoll.h read_poll_timeout_atomic): ordered reads, the CPU's pause/yield hint between
// them, an optional busy delay, and a CLOCK_MONOTONIC deadline.
#pragma once

#include <node_api.h>

namespace mmio {

// pollAtomic(handle, width, offset, mask, value, delayUs, timeoutUs) -> the last value read
// mask, value and the result are numbers for widths 1, 2 and 4, bigints for 8. The caller tells a met condition
// from a timeout by testing the result, (last & mask) === value. timeoutUs 0 waits forever. After the deadline
// is noticed, one more read decides, as in the kernel macro; after a bus fault the region's fault word is set.
napi_value PollAtomic(napi_env env, napi_callback_info info);

}  // namespace mmio
