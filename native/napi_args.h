/*
 * Argument helpers shared by the N-API entry points of the fused kernels
 * (napi_fused.c, napi_elementwise.c): a call's arguments, typed arrays checked for
 * type and length, int32 sizes checked against a lower bound. The first problem
 * throws (a TypeError or RangeError with a terse message; src/tensor/native.ts gives
 * the friendly ones) and sets `bad`, after which every helper returns 0 / NULL.
 * No allocation and no property lookups: these run once per kernel call.
 */
#ifndef FTLEDGER_NAPI_ARGS_H
#define FTLEDGER_NAPI_ARGS_H

#include <node_api.h>
#include <stdint.h>

#define MAX_ARGS 14

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int bad; /* an exception is pending */
} Args;

static inline int start(napi_env env, napi_callback_info cbi, Args* a, size_t want) {
  a->env = env;
  a->bad = 0;
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, cbi, &a->argc, a->argv, NULL, NULL) != napi_ok || a->argc != want) {
    napi_throw_type_error(env, NULL, "ftledger_native: wrong number of arguments to a fused kernel");
    return 0;
  }
  return 1;
}

static inline void fail(Args* a, const char* msg) {
  if (!a->bad) napi_throw_range_error(a->env, NULL, msg);
  a->bad = 1;
}

/* Typed array argument i of the given type with at least `need` elements; NULL if
 * `optional` and the argument is null. */
static inline void* arr(Args* a, size_t i, napi_typedarray_type want, int64_t need, int optional) {
  if (a->bad) return NULL;
  if (optional) {
    napi_valuetype t;
    if (napi_typeof(a->env, a->argv[i], &t) == napi_ok && (t == napi_null || t == napi_undefined)) return NULL;
  }
  napi_typedarray_type type;
  size_t len;
  void* data;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, &len, &data, NULL, NULL) != napi_ok || type != want) {
    napi_throw_type_error(a->env, NULL, "ftledger_native: a fused kernel got a buffer of the wrong type");
    a->bad = 1;
    return NULL;
  }
  if ((int64_t)len < need) fail(a, "ftledger_native: a fused kernel buffer is too short for its shape");
  return data;
}

static inline float* f32(Args* a, size_t i, int64_t need) { return arr(a, i, napi_float32_array, need, 0); }

static inline int32_t int_arg(Args* a, size_t i, int32_t lo) {
  int32_t v = 0;
  if (a->bad) return 0;
  if (napi_get_value_int32(a->env, a->argv[i], &v) != napi_ok) {
    napi_throw_type_error(a->env, NULL, "ftledger_native: a fused kernel got a non-number size");
    a->bad = 1;
    return 0;
  }
  if (v < lo) fail(a, "ftledger_native: a fused kernel size is out of range");
  return v;
}

static inline double num_arg(Args* a, size_t i) {
  double v = 0;
  if (!a->bad && napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) {
    napi_throw_type_error(a->env, NULL, "ftledger_native: a fused kernel got a non-number argument");
    a->bad = 1;
  }
  return v;
}

static inline void oom(Args* a) { napi_throw_error(a->env, NULL, "ftledger_native: out of memory for kernel scratch"); }

#endif
