/*
 * N-API entry points for the fused kernels (fused.h), registered by
 * ftledger_native.c:
 *
 *   rmsnormForward(out, rstd, inp, weight, N, C, eps)
 *   rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C)
 *   swigluForward(out, gate, up, n)
 *   swigluBackward(dgate, dup, dout, gate, up, n, accumulate)
 *   crossEntropyForward(result, logprobs, probs | null, logits, targets, mask | null, N, V)
 *       result: Float64Array(2) ← [loss, count]
 *   crossEntropyBackward(probs, targets, mask | null, count, N, V)
 *   attentionForward(out, att, q, key, value, Tq, Tk, qOffset, NH, KVH, HS)
 *   attentionBackward(dq, dkey, dvalue, dout, att, q, key, value, Tq, Tk, qOffset, NH, KVH, HS)
 *   attentionDecode(out, q, keys, values, rows, Tq, Tk, NH, KVH, HS)
 *       keys, values: arrays of Float32Array (one per sequence); rows, Tq, Tk: Int32Array
 *
 * src/tensor/native.ts checks every argument and gives the friendly errors; the
 * checks here are the last line of defence against reading or writing out of
 * bounds (lengths, shape ranges, target ids), so their messages are terse.
 * NOTE: per-call cost matters for attention (called per sequence); as in sgemm there
 * is no allocation and no property lookup here (attentionDecode, called once per layer
 * and decoding step for every sequence, makes one small allocation and reads its key and
 * value buffers out of two arrays).
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>

#include "fused.h"
#include "napi_args.h"

static napi_value rmsnormForward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 7)) return NULL;
  const int32_t N = int_arg(&a, 4, 0), C = int_arg(&a, 5, 1);
  const double eps = num_arg(&a, 6);
  const int64_t NC = (int64_t)N * C;
  float *out = f32(&a, 0, NC), *rstd = f32(&a, 1, N), *inp = f32(&a, 2, NC), *w = f32(&a, 3, C);
  if (a.bad) return NULL;
  fl_rmsnorm_forward(out, rstd, inp, w, N, C, (float)eps);
  return NULL;
}

static napi_value rmsnormBackward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 8)) return NULL;
  const int32_t N = int_arg(&a, 6, 0), C = int_arg(&a, 7, 1);
  const int64_t NC = (int64_t)N * C;
  float *dinp = f32(&a, 0, NC), *dw = f32(&a, 1, C), *dout = f32(&a, 2, NC), *inp = f32(&a, 3, NC);
  float *w = f32(&a, 4, C), *rstd = f32(&a, 5, N);
  if (a.bad) return NULL;
  if (fl_rmsnorm_backward(dinp, dw, dout, inp, w, rstd, N, C) != 0) oom(&a);
  return NULL;
}

static napi_value swigluForward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 4)) return NULL;
  const int32_t n = int_arg(&a, 3, 0);
  float *out = f32(&a, 0, n), *gate = f32(&a, 1, n), *up = f32(&a, 2, n);
  if (a.bad) return NULL;
  fl_swiglu_forward(out, gate, up, n);
  return NULL;
}

static napi_value swigluBackward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 7)) return NULL;
  const int32_t n = int_arg(&a, 5, 0);
  bool accumulate = true;
  if (!a.bad && napi_get_value_bool(env, a.argv[6], &accumulate) != napi_ok) {
    napi_throw_type_error(env, NULL, "ftledger_native.swigluBackward: accumulate must be a boolean");
    return NULL;
  }
  float *dgate = f32(&a, 0, n), *dup = f32(&a, 1, n), *dout = f32(&a, 2, n), *gate = f32(&a, 3, n), *up = f32(&a, 4, n);
  if (a.bad) return NULL;
  fl_swiglu_backward(dgate, dup, dout, gate, up, n, accumulate);
  return NULL;
}

static int targets_ok(const int32_t* t, int N, int V) {
  for (int n = 0; n < N; n++)
    if (t[n] < 0 || t[n] >= V) return 0;
  return 1;
}

static napi_value crossEntropyForward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 8)) return NULL;
  const int32_t N = int_arg(&a, 6, 0), V = int_arg(&a, 7, 1);
  const int64_t NV = (int64_t)N * V;
  double* result = arr(&a, 0, napi_float64_array, 2, 0);
  float* logprobs = f32(&a, 1, N);
  float* probs = arr(&a, 2, napi_float32_array, NV, 1);
  float* logits = f32(&a, 3, NV);
  int32_t* targets = arr(&a, 4, napi_int32_array, N, 0);
  float* mask = arr(&a, 5, napi_float32_array, N, 1);
  if (a.bad) return NULL;
  if (!targets_ok(targets, N, V)) {
    fail(&a, "ftledger_native.crossEntropyForward: a target id is outside [0, V)");
    return NULL;
  }
  fl_crossentropy_forward(logprobs, probs, logits, targets, mask, N, V, &result[0], &result[1]);
  return NULL;
}

static napi_value crossEntropyBackward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 6)) return NULL;
  const double count = num_arg(&a, 3);
  const int32_t N = int_arg(&a, 4, 0), V = int_arg(&a, 5, 1);
  float* probs = f32(&a, 0, (int64_t)N * V);
  int32_t* targets = arr(&a, 1, napi_int32_array, N, 0);
  float* mask = arr(&a, 2, napi_float32_array, N, 1);
  if (a.bad) return NULL;
  if (!targets_ok(targets, N, V)) {
    fail(&a, "ftledger_native.crossEntropyBackward: a target id is outside [0, V)");
    return NULL;
  }
  fl_crossentropy_backward(probs, targets, mask, count, N, V);
  return NULL;
}

/* Tq, Tk, qOffset, NH, KVH, HS from argument `first` on, checked for consistency. */
static fl_attention_shape shape_args(Args* a, size_t first) {
  fl_attention_shape s = {
      .Tq = int_arg(a, first, 0), .Tk = int_arg(a, first + 1, 0), .qOffset = int_arg(a, first + 2, 0),
      .NH = int_arg(a, first + 3, 1), .KVH = int_arg(a, first + 4, 1), .HS = int_arg(a, first + 5, 1),
  };
  if (!a->bad && (s.NH % s.KVH != 0 || (int64_t)s.NH * s.HS > INT32_MAX / 2 || (int64_t)s.Tq * s.Tk * s.NH > INT32_MAX))
    fail(a, "ftledger_native: attention shape out of range");
  return s;
}

static napi_value attentionForward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 11)) return NULL;
  const fl_attention_shape s = shape_args(&a, 5);
  const int64_t qn = (int64_t)s.Tq * s.NH * s.HS, kn = (int64_t)s.Tk * s.KVH * s.HS;
  float *out = f32(&a, 0, qn), *att = f32(&a, 1, (int64_t)s.NH * s.Tq * s.Tk), *q = f32(&a, 2, qn);
  float *key = f32(&a, 3, kn), *value = f32(&a, 4, kn);
  if (a.bad) return NULL;
  if (fl_attention_forward(&s, out, att, q, key, value) != 0) oom(&a);
  return NULL;
}

static napi_value attentionBackward(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 14)) return NULL;
  const fl_attention_shape s = shape_args(&a, 8);
  const int64_t qn = (int64_t)s.Tq * s.NH * s.HS, kn = (int64_t)s.Tk * s.KVH * s.HS;
  float *dq = f32(&a, 0, qn), *dkey = f32(&a, 1, kn), *dvalue = f32(&a, 2, kn), *dout = f32(&a, 3, qn);
  float *att = f32(&a, 4, (int64_t)s.NH * s.Tq * s.Tk), *q = f32(&a, 5, qn), *key = f32(&a, 6, kn), *value = f32(&a, 7, kn);
  if (a.bad) return NULL;
  if (fl_attention_backward(&s, dq, dkey, dvalue, dout, att, q, key, value) != 0) oom(&a);
  return NULL;
}

/* Element i of the JS array argument `at` as a Float32Array of at least `need` floats. */
static const float* f32_element(Args* a, size_t at, uint32_t i, int64_t need) {
  napi_value v;
  if (a->bad) return NULL;
  if (napi_get_element(a->env, a->argv[at], i, &v) != napi_ok) {
    fail(a, "ftledger_native: attentionDecode could not read a key or value buffer");
    return NULL;
  }
  napi_typedarray_type type;
  size_t len;
  void* data;
  if (napi_get_typedarray_info(a->env, v, &type, &len, &data, NULL, NULL) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(a->env, NULL, "ftledger_native: attentionDecode got a key or value buffer of the wrong type");
    a->bad = 1;
    return NULL;
  }
  if ((int64_t)len < need) fail(a, "ftledger_native: an attentionDecode key or value buffer is too short for its Tk");
  return data;
}

static napi_value attentionDecode(napi_env env, napi_callback_info cbi) {
  Args a;
  if (!start(env, cbi, &a, 10)) return NULL;
  const int32_t NH = int_arg(&a, 7, 1), KVH = int_arg(&a, 8, 1), HS = int_arg(&a, 9, 1);
  if (!a.bad && (NH % KVH != 0 || (int64_t)NH * HS > INT32_MAX / 2)) fail(&a, "ftledger_native: attention shape out of range");
  napi_typedarray_type type;
  size_t n = 0;
  void* rows_data = NULL;
  if (!a.bad && (napi_get_typedarray_info(env, a.argv[4], &type, &n, &rows_data, NULL, NULL) != napi_ok || type != napi_int32_array)) {
    napi_throw_type_error(env, NULL, "ftledger_native: attentionDecode rows must be an Int32Array");
    return NULL;
  }
  const int32_t *rows = rows_data, *Tq = arr(&a, 5, napi_int32_array, (int64_t)n, 0), *Tk = arr(&a, 6, napi_int32_array, (int64_t)n, 0);
  uint32_t nk = 0, nv = 0;
  if (!a.bad && (napi_get_array_length(env, a.argv[2], &nk) != napi_ok || napi_get_array_length(env, a.argv[3], &nv) != napi_ok || nk < n || nv < n))
    fail(&a, "ftledger_native: attentionDecode needs a key and a value buffer per sequence");
  if (a.bad || n == 0) return NULL;
  /* per call (a few dozen entries): nothing outlives the call, even if reading an element
   * ran JS that called back into this function */
  fl_decode_seq* seqs = malloc(n * sizeof *seqs);
  if (!seqs) {
    oom(&a);
    return NULL;
  }
  const int64_t qD = (int64_t)NH * HS, kD = (int64_t)KVH * HS;
  int64_t end = 0; /* rows of q and out used */
  for (uint32_t i = 0; i < n && !a.bad; i++) {
    if (rows[i] < 0 || Tq[i] < 1 || Tq[i] > 7 || Tk[i] < Tq[i] || (int64_t)Tq[i] * Tk[i] * NH > INT32_MAX) {
      fail(&a, "ftledger_native: an attentionDecode sequence's rows, Tq (1 … 7) or Tk is out of range");
      break;
    }
    if (rows[i] + (int64_t)Tq[i] > end) end = rows[i] + (int64_t)Tq[i];
    const float* key = f32_element(&a, 2, i, Tk[i] * kD);
    const float* value = f32_element(&a, 3, i, Tk[i] * kD);
    seqs[i] = (fl_decode_seq){.key = key, .value = value, .row = rows[i], .Tq = Tq[i], .Tk = Tk[i]};
  }
  float *out = f32(&a, 0, end * qD), *q = f32(&a, 1, end * qD);
  if (!a.bad && fl_attention_decode(seqs, (int)n, out, q, NH, KVH, HS) != 0) oom(&a);
  free(seqs);
  return NULL;
}

napi_status fl_register_fused(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"rmsnormForward", NULL, rmsnormForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rmsnormBackward", NULL, rmsnormBackward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"swigluForward", NULL, swigluForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"swigluBackward", NULL, swigluBackward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crossEntropyForward", NULL, crossEntropyForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crossEntropyBackward", NULL, crossEntropyBackward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionForward", NULL, attentionForward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionBackward", NULL, attentionBackward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionDecode", NULL, attentionDecode, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
