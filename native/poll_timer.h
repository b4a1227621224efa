// The sleep between the reads of readX_poll_timeout (include/linux/iopoll.h: usleep_range(min, max)), with
// microsecond resolution and without blocking the event loop or starting a thread.
//
// One timerfd (CLOCK_MONOTONIC, TFD_TIMER_ABSTIME) per environment (main thread or worker), watched by libuv
// (uv_poll), serves every pending sleep of that environment. Each sleep has a range [earliest, latest], as an
// hrtimer armed by usleep_range has: the timerfd is set for the nearest `latest`; when it fires, every sleep
// whose `earliest` has passed ends (the kernel's timer-range coalescing), so one wake-up serves many polls.
// A sleep never ends before its `earliest`. The handle keeps the loop alive only while a sleep is pending.
#pragma once

#include <node_api.h>

namespace mmio {

// pollSleepInit(dispatch: (id: number) => void): once per environment; dispatch(id) is called (as a libuv
// callback: microtasks run after it) when sleep `id` ends. Throws if the timerfd cannot be made.
napi_value PollSleepInit(napi_env env, napi_callback_info info);
// pollSleep(id: uint32, minUs: number, maxUs: number): end sleep `id` between minUs and maxUs from now
// (later if the loop is busy). minUs <= maxUs, both finite and >= 0 (lib/ has checked).
napi_value PollSleep(napi_env env, napi_callback_info info);
// pollSleepCancel(id): forget sleep `id` (no dispatch follows); unknown ids are ignored.
napi_value PollSleepCancel(napi_env env, napi_callback_info info);

}  // namespace mmio
