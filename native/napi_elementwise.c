/*
 * N-API entry points for the memory-bound ops of a training step (fused.h), registered
 * by ftledger_native.c:
 *
 *   ropeForward(x, positions, cos, sin, H, HS)         x (N, H·HS), N = positions.length
 *   ropeBackward(dx, positions, cos, sin, H, HS)
 *   residualForward(out, x, y, n)
 *   residualBackward(dx, dy, dout, n)
 *   embeddingForward(out, tokens, wte, C)               N = tokens.length, V = wte.length / C
 *   embeddingBackward(dwte, dout, tokens, C)
 *
 * src/tensor/native.ts checks every argument and gives the friendly errors (aliasing
 * included); the checks here are the last line of defence against reading or writing
 * out of bounds (lengths, positions past the table, token ids past the vocabulary).
 */
#include <node_api.h>
#include <stdint.h>

#include "fused.h"
#include "napi_args.h"

/* Int32Array argument i: its data and length (no minimum). */
static int32_t* ints(Args* a, size_t i, size_t* len) {
  if (a->bad) return NULL;
  napi_typedarray_type type;
  void* data;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, len, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(a->env, NULL, "ftledger_native: expected an Int32Array");
    a->bad = 1;
    return NULL;
  }
  return data;
}

static int all_below(const int32_t* v, size_t n, int64_t limit) {
  for (size_t i = 0; i < n; i++)
    if (v[i] < 0 || v[i] >= limit) return 0;
  return 1;
}

/* rope(x, positions, cos, sin, H, HS) with the rotation's sign */
static napi_value rope(napi_env env, napi_callback_info cbi, int sign) {
  Args a;
  if (!start(env, cbi, &a, 6)) return NULL;
  size_t N = 0;
  const int32_t* pos = ints(&a, 1, &N);
  const int32_t H = int_arg(&a, 4, 1), HS = int_arg(&a, 5, 2);
  if (!a.bad && (HS % 2 != 0 || (int64_t)N * H * HS > INT32_MAX)) fail(&a, "ftledger_native.rope: HS must be even and N·H·HS < 2^31");
  float* x = f32(&a, 0, (int64_t)N * H * HS);
  /* the tables' length decides how many positions they cover */
  size_t ncos = 0, nsin = 0;
  napi_typedarray_type tc = napi_float64_array, ts = napi_float64_array;
  double *cos = NULL, *sin = NULL;
  if (!a.bad && (napi_get_typedarray_info(env, a.argv[2], &tc, &ncos, (void**)&cos, NULL, NULL) != napi_ok ||
                 napi_get_typedarray_info(env, a.argv[3], &ts, &nsin, (void**)&sin, NULL, NULL) != napi_ok ||
                 tc != napi_float64_array || ts != napi_float64_array)) {
    napi_throw_type_error(env, NULL, "ftledger_native.rope: cos and sin must be Float64Arrays");
    return NULL;
  }
  if (a.bad) return NULL;
  const int64_t maxPos = (int64_t)(ncos < nsin ? ncos : nsin) / (HS / 2);
  if (!all_below(pos, N, maxPos)) {
    fail(&a, "ftledger_native.rope: a position is outside the cos/sin tables");
    return NULL;
  }
  fl_rope(x, pos, cos, sin, (int)N, H, HS, sign);
  return NULL;
}

static napi_value ropeForward(napi_env env, napi_callback_info cbi) { return rope(env, cbi, 1); }
static napi_value ropeBackward(napi_env env, napi_callback_info cbi) { return rope(env, cbi, -1); }

static napi_value residualForward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 4)) return NULL;
  const int32_t n = int_arg(&a, 3, 0);
  float *out = f32(&a, 0, n), *x = f32(&a, 1, n), *y = f32(&a, 2, n);
  if (a.bad) return NULL;
  fl_residual_forward(out, x, y, n);
  return NULL;
}

static napi_value residualBackward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 4)) return NULL;
  const int32_t n = int_arg(&a, 3, 0);
  float *dx = f32(&a, 0, n), *dy = f32(&a, 1, n), *dout = f32(&a, 2, n);
  if (a.bad) return NULL;
  fl_residual_backward(dx, dy, dout, n);
  return NULL;
}

/* embedding(table, rows, tokens, C): table (V, C) with V = its length / C; rows (N, C) */
static napi_value embedding(napi_env env, napi_callback_info cbi, int backward) {
  Args a;
  if (!start(env, cbi, &a, 4)) return NULL;
  size_t N = 0;
  const int32_t* tokens = ints(&a, backward ? 2 : 1, &N);
  const int32_t C = int_arg(&a, 3, 1);
  if (!a.bad && (int64_t)N * C > INT32_MAX) fail(&a, "ftledger_native.embedding: N·C must be below 2^31");
  float* rows = f32(&a, backward ? 1 : 0, (int64_t)N * C);
  size_t tlen = 0;
  float* table = NULL;
  napi_typedarray_type type = napi_float32_array;
  if (!a.bad && (napi_get_typedarray_info(env, a.argv[backward ? 0 : 2], &type, &tlen, (void**)&table, NULL, NULL) != napi_ok ||
                 type != napi_float32_array)) {
    napi_throw_type_error(env, NULL, "ftledger_native.embedding: the table must be a Float32Array");
    return NULL;
  }
  if (a.bad) return NULL;
  if (!all_below(tokens, N, (int64_t)tlen / C)) {
    fail(&a, "ftledger_native.embedding: a token id is outside the table");
    return NULL;
  }
  if (backward) fl_embedding_backward(table, rows, tokens, (int)N, C);
  else fl_embedding_forward(rows, tokens, table, (int)N, C);
  return NULL;
}

static napi_value embeddingForward(napi_env env, napi_callback_info cbi) { return embedding(env, cbi, 0); }
static napi_value embeddingBackward(napi_env env, napi_callback_info cbi) { return embedding(env, cbi, 1); }

napi_status fl_register_elementwise(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"ropeForward", NULL, ropeForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ropeBackward", NULL, ropeBackward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"residualForward", NULL, residualForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"residualBackward", NULL, residualBackward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"embeddingForward", NULL, embeddingForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"embeddingBackward", NULL, embeddingBackward, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
