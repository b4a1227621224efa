#include "poll_timer.h"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "region.h"

namespace mmio {

struct PollTimer {
  uv_poll_t poll;
  int fd = -1;
  napi_env env = nullptr;
  napi_ref dispatch = nullptr;
  napi_async_context async = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  struct Sleep {
    uint32_t id;
    uint64_t earliest;  // CLOCK_MONOTONIC ns
    uint64_t latest;
  };
  std::vector<Sleep> pending;  // few entries (one per pending poll): linear scans are the cheapest
  uint64_t armed = 0;          // the expiry the timerfd holds, 0 if disarmed
  bool stale = false;          // fired and not yet re-set: the descriptor stays readable until timerfd_settime
  bool dispatching = false;    // inside OnExpired: arm once at the end, not per new sleep
};

namespace {

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uv_handle_t* AsHandle(PollTimer* t) { return reinterpret_cast<uv_handle_t*>(&t->poll); }

// Set the timerfd for the nearest `latest` (or disarm it), and hold the loop open only while sleeps are pending.
// timerfd_settime also resets the expiry count, which clears the descriptor's readability.
void Arm(PollTimer* t) {
  uint64_t next = 0;
  for (const auto& s : t->pending) {
    if (next == 0 || s.latest < next) next = s.latest;
  }
  if (next != t->armed || t->stale) {
    struct itimerspec spec = {};
    if (next != 0) {
      spec.it_value.tv_sec = static_cast<time_t>(next / 1000000000ULL);
      spec.it_value.tv_nsec = static_cast<long>(next % 1000000000ULL);
    }
    timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &spec, nullptr);
    t->armed = next;
    t->stale = false;
  }
  if (next != 0) uv_ref(AsHandle(t));
  else uv_unref(AsHandle(t));
}

void OnExpired(uv_poll_t* handle, int, int) {
  PollTimer* t = static_cast<PollTimer*>(handle->data);
  t->stale = true;
  const uint64_t now = NowNs();
  std::vector<uint32_t> due;
  for (size_t i = 0; i < t->pending.size();) {
    if (t->pending[i].earliest <= now) {
      due.push_back(t->pending[i].id);
      t->pending[i] = t->pending.back();
      t->pending.pop_back();
    } else {
      i++;
    }
  }
  if (!due.empty()) {
    t->dispatching = true;
    napi_handle_scope scope;
    napi_open_handle_scope(t->env, &scope);
    napi_value fn, global;
    napi_get_reference_value(t->env, t->dispatch, &fn);
    napi_get_global(t->env, &global);
    for (uint32_t id : due) {
      napi_value arg;
      napi_create_uint32(t->env, id, &arg);
      // As libuv's own callbacks run: microtasks (the poll's next read, its next sleep) run after it.
      if (napi_make_callback(t->env, t->async, global, fn, 1, &arg, nullptr) == napi_pending_exception) {
        napi_value error;
        napi_get_and_clear_last_exception(t->env, &error);
        napi_fatal_exception(t->env, error);
      }
    }
    napi_close_handle_scope(t->env, scope);
    t->dispatching = false;
  }
  Arm(t);
}

void OnClosedAtTeardown(uv_handle_t* h) {
  PollTimer* t = static_cast<PollTimer*>(h->data);
  napi_async_cleanup_hook_handle hook = t->hook;
  close(t->fd);
  delete t;  // the references die with the environment
  napi_remove_async_cleanup_hook(hook);
}

// Environment teardown (process exit, a worker ending): close the handle; Node waits for the close callback.
void OnTeardown(napi_async_cleanup_hook_handle, void* arg) {
  PollTimer* t = static_cast<PollTimer*>(arg);
  EnvState* state = GetEnvState(t->env);
  if (state != nullptr && state->poll_timer == t) state->poll_timer = nullptr;
  uv_poll_stop(&t->poll);
  uv_close(AsHandle(t), OnClosedAtTeardown);
}

PollTimer* Current(napi_env env) {
  EnvState* state = GetEnvState(env);
  return state == nullptr ? nullptr : state->poll_timer;
}

napi_value ThrowNotReady(napi_env env) {
  napi_throw_error(env, "ERR_INVALID_STATE", "pollSleep: pollSleepInit has not run in this environment");
  return nullptr;
}

}  // namespace

napi_value PollSleepInit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pollSleepInit: dispatch must be a function");
    return nullptr;
  }
  EnvState* state = GetEnvState(env);
  if (state == nullptr) return ThrowNotReady(env);
  if (state->poll_timer != nullptr) {
    napi_throw_error(env, "ERR_INVALID_STATE", "pollSleepInit: already initialised in this environment");
    return nullptr;
  }
  const int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    napi_throw_error(env, "ERR_POLL_TIMER", "timerfd_create failed");
    return nullptr;
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  PollTimer* t = new PollTimer();
  t->fd = fd;
  t->env = env;
  if (uv_poll_init(loop, &t->poll, fd) != 0) {
    close(fd);
    delete t;
    napi_throw_error(env, "ERR_POLL_TIMER", "uv_poll_init failed on the poll timer");
    return nullptr;
  }
  t->poll.data = t;
  napi_create_reference(env, argv[0], 1, &t->dispatch);
  napi_value name;
  napi_create_string_utf8(env, "mmio:readX_poll_timeout sleep", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &t->async);
  // Started once and kept started (no epoll_ctl per sleep); it holds the loop open only while armed.
  uv_poll_start(&t->poll, UV_READABLE, OnExpired);
  uv_unref(AsHandle(t));
  napi_add_async_cleanup_hook(env, OnTeardown, t, &t->hook);
  state->poll_timer = t;
  return nullptr;
}

napi_value PollSleep(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t id = 0;
  double min_us = 0, max_us = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 3 ||
      napi_get_value_uint32(env, argv[0], &id) != napi_ok || napi_get_value_double(env, argv[1], &min_us) != napi_ok ||
      napi_get_value_double(env, argv[2], &max_us) != napi_ok || !(min_us >= 0) || !(max_us >= min_us) ||
      max_us > 9007199254740991.0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pollSleep: bad arguments");
    return nullptr;
  }
  PollTimer* t = Current(env);
  if (t == nullptr) return ThrowNotReady(env);
  const uint64_t now = NowNs();
  // At least 1 ns: an expiry of 0 would disarm the timer.
  const uint64_t earliest = now + static_cast<uint64_t>(min_us * 1000.0);
  const uint64_t latest = now + static_cast<uint64_t>(max_us * 1000.0) + 1;
  t->pending.push_back({id, earliest, latest});
  if (!t->dispatching) Arm(t);
  return nullptr;
}

napi_value PollSleepCancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "pollSleepCancel: bad arguments");
    return nullptr;
  }
  PollTimer* t = Current(env);
  if (t == nullptr) return nullptr;
  for (size_t i = 0; i < t->pending.size(); i++) {
    if (t->pending[i].id == id) {
      t->pending[i] = t->pending.back();
      t->pending.pop_back();
      break;
    }
  }
  if (!t->dispatching) Arm(t);
  return nullptr;
}

}  // namespace mmio
