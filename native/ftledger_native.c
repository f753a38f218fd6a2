/*
 * ftledger_native: the `native` kernel backend, an N-API layer over OpenBLAS and our
 * own kernels (gemm.c, ops.c, attention.c on the thread pool of pool.c).
 *
 *   sgemm(c, a, b, M, N, K, lda, ldb, ldc, flags)   C (M, N) = / += op(A) · op(B)
 *   adamw(params, grads, m, v, mask, lr, b1, b2, eps, wd, step, gradScale)
 *   setNumThreads(n), getNumThreads(), setSerialBelow(mnk), config()
 *   setOwnGemm(on), setSpinMicros(us), misalignment(array), setBf16(on)
 *   the fused kernels of napi_fused.c (rmsnorm, swiglu, cross-entropy, attention) and
 *   napi_elementwise.c (rope, residual adds, embedding gather and scatter)
 *
 * Row-major throughout (cblas_sgemm with CblasRowMajor). flags: bit 0 transA, bit 1
 * transB, bit 2 accumulate (beta = 1 instead of 0). src/tensor/native.ts validates
 * shapes and leading dimensions and gives the friendly errors; the checks here are a
 * last line of defence against writing out of bounds, so their messages are terse.
 *
 * NOTE: keep the per-call path lean. The attention matmuls of a small model are a few
 * microseconds each, so this layer does no allocation and no JS object lookups: only
 * napi_get_cb_info, one napi_get_typedarray_info per buffer (it returns the data
 * pointer already advanced by the view's byteOffset) and napi_get_value_* per scalar.
 *
 * Which GEMM: OpenBLAS 0.3.21 runs its Haswell (AVX2) kernels here (see gemm.c), so
 * when this file is compiled for AVX-512 the products go to fl_gemm instead (about
 * 2× faster per thread, measured 180–190 vs 85–95 GFLOP/s on the training shapes);
 * setOwnGemm(false) sends them back to OpenBLAS. Products with M < 8 (decoding one
 * token) always go to OpenBLAS: fl_gemm would transpose a whole weight for them.
 *
 * bf16: setBf16(true) sends the products with M ≥ 8 to fl_gemm_bf16 (gemm_bf16.c:
 * operands rounded to bfloat16, float32 sums) where the CPU has AVX512_BF16, detected
 * at run time; it is off by default and refused (returns false) on other CPUs.
 *
 * Threads: one setting, setNumThreads(n), for OpenBLAS and for our pool (pool.c).
 * OpenBLAS splits any sgemm above a small fixed size (M·N·K of a few 10^5) across
 * all its threads, but measured on 2 Zen 4 cores a second thread only pays off from
 * about M·N·K = 2^25; below that it costs up to 4× (128×128×32 with transB: 7.6 µs
 * on one thread, 21 µs on two). So an OpenBLAS sgemm runs products below
 * `serialBelow` on one thread and the rest on `threads`; openblas_set_num_threads is
 * only called when that changes (about 20 ns). fl_gemm has its own, lower cutoff
 * (2^19): its pool hands out work in about a microsecond.
 *
 * AdamW follows torch.optim.AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay
 * Regularization"): decay first, p *= 1 - lr·wd, then the bias-corrected Adam step.
 * NOTE: the moment update is b1·m + (1 - b1)·g; torch writes m.lerp_(g, 1 - b1), equal
 * up to float rounding.
 * The arithmetic is in double with float32 stores at the same points as
 * adamwReference in src/tensor/adamw-reference.ts, so the two agree to the last bit or
 * nearly so.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <cblas.h>
#include <node_api.h>

#include "gemm.h"
#include "gemm_bf16.h"
#include "pool.h"

napi_status fl_register_fused(napi_env env, napi_value exports);       /* napi_fused.c */
napi_status fl_register_elementwise(napi_env env, napi_value exports); /* napi_elementwise.c */

#define FLAG_TRANS_A 1
#define FLAG_TRANS_B 2
#define FLAG_ACCUMULATE 4

/* Return NULL (undefined to JS) from the calling function if an N-API call failed,
 * with the pending exception N-API set, or else a generic one. */
#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      const napi_extended_error_info* info_ = NULL;                   \
      bool pending_ = false;                                          \
      napi_is_exception_pending(env, &pending_);                      \
      if (!pending_) {                                                \
        napi_get_last_error_info(env, &info_);                        \
        napi_throw_error(env, NULL,                                   \
                         info_ && info_->error_message                \
                             ? info_->error_message                   \
                             : "ftledger_native: N-API call failed"); \
      }                                                               \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

/* Threads for large products, the current OpenBLAS setting, and the serial cutoff.
 * Process-wide, like OpenBLAS's own thread pool. */
static int g_threads = 1;
static int g_current = 1;
static int64_t g_serial_below = (int64_t)1 << 25;
#ifdef __AVX512F__
static int g_own_gemm = 1;
#define OWN_GEMM_BUILT 1
#else
static int g_own_gemm = 0;
#define OWN_GEMM_BUILT 0
#endif
static int g_bf16 = 0; /* products to fl_gemm_bf16; only ever set where the CPU has it */

static void use_threads(int n) {
  if (n != g_current) {
    openblas_set_num_threads(n);
    g_current = n;
  }
}

/* Data pointer and element count of a typed array of the expected type. */
static int typed(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* len) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, want == napi_float32_array ? "ftledger_native: expected a Float32Array"
                                                                  : "ftledger_native: expected a Uint8Array");
    return 0;
  }
  return 1;
}

/* Elements a row-major (rows, cols) block with row stride ld spans, or 0 if empty. */
static int64_t extent(int64_t rows, int64_t cols, int64_t ld) {
  return rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0;
}

static napi_value sgemm(napi_env env, napi_callback_info cbi) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, cbi, &argc, argv, NULL, NULL));
  if (argc != 10) {
    napi_throw_type_error(env, NULL, "ftledger_native.sgemm: expected 10 arguments");
    return NULL;
  }
  float *c, *a, *b;
  size_t lc, la, lb;
  if (!typed(env, argv[0], napi_float32_array, (void**)&c, &lc)) return NULL;
  if (!typed(env, argv[1], napi_float32_array, (void**)&a, &la)) return NULL;
  if (!typed(env, argv[2], napi_float32_array, (void**)&b, &lb)) return NULL;
  int32_t d[7]; /* M, N, K, lda, ldb, ldc, flags */
  for (int i = 0; i < 7; i++) CHECK(napi_get_value_int32(env, argv[3 + i], &d[i]));
  const int32_t M = d[0], N = d[1], K = d[2], lda = d[3], ldb = d[4], ldc = d[5], flags = d[6];
  const int tA = (flags & FLAG_TRANS_A) != 0, tB = (flags & FLAG_TRANS_B) != 0;

  /* Last line of defence: the stored operands must fit (see native.ts for the why). */
  const int64_t aCols = tA ? M : K, bCols = tB ? K : N;
  if (M < 0 || N < 0 || K < 0 || lda < (aCols > 1 ? aCols : 1) || ldb < (bCols > 1 ? bCols : 1) ||
      ldc < (N > 1 ? N : 1) || extent(tA ? K : M, aCols, lda) > (int64_t)la ||
      extent(tB ? N : K, bCols, ldb) > (int64_t)lb || extent(M, N, ldc) > (int64_t)lc) {
    napi_throw_range_error(env, NULL, "ftledger_native.sgemm: shape or leading dimension out of bounds");
    return NULL;
  }
  if (M == 0 || N == 0) return NULL;
  if (g_bf16 && M >= 8 && fl_gemm_bf16(tA, tB, M, N, K, a, lda, b, ldb, c, ldc, flags & FLAG_ACCUMULATE) == 0) return NULL;
  if (g_own_gemm && M >= 8 && fl_gemm(tA, tB, M, N, K, a, lda, b, ldb, c, ldc, flags & FLAG_ACCUMULATE) == 0) return NULL;
  use_threads((int64_t)M * N * K < g_serial_below ? 1 : g_threads);
  cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, M, N, K,
              1.0f, a, lda, b, ldb, (flags & FLAG_ACCUMULATE) ? 1.0f : 0.0f, c, ldc);
  return NULL;
}

/* One AdamW step over n parameters; keepDecay = 1 − lr·wd, bc1/bc2 the bias corrections.
 * NOTE: restrict pointers and a branch-free decay factor let GCC vectorize it
 * (AVX-512, 8 doubles per op); with `if (mask[i])` or `mask[i] ? k : 1` it stays
 * scalar ("control flow in loop"). Check with -fopt-info-vec. */
static void adamw_loop(float* restrict P, float* restrict Mo, float* restrict Vo, const float* restrict G,
                       const uint8_t* restrict D, size_t n, double lr, double b1, double b2, double eps,
                       double scale, double keepDecay, double bc1, double bc2) {
  for (size_t i = 0; i < n; i++) {
    /* 1. gradient scaling (global-norm clipping) and the two moments */
    const double gi = (double)G[i] * scale;
    const float mi = (float)(b1 * (double)Mo[i] + (1.0 - b1) * gi);
    const float vi = (float)(b2 * (double)Vo[i] + (1.0 - b2) * gi * gi);
    Mo[i] = mi;
    Vo[i] = vi;
    /* 2. decoupled weight decay, before the Adam step as torch does. The factor is
     * keepDecay or exactly 1 (d·k + (1 − d) with d ∈ {0, 1} is exact), and p·1
     * rounds back to p, so masked entries are untouched. */
    const double d = (double)(D[i] != 0);
    const double pi = (double)(float)((double)P[i] * (d * keepDecay + (1.0 - d)));
    /* 3. bias-corrected Adam step */
    const double mhat = (double)mi / bc1, vhat = (double)vi / bc2;
    P[i] = (float)(pi - lr * (mhat / (sqrt(vhat) + eps)));
  }
}

static napi_value adamw(napi_env env, napi_callback_info cbi) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, cbi, &argc, argv, NULL, NULL));
  if (argc != 12) {
    napi_throw_type_error(env, NULL, "ftledger_native.adamw: expected 12 arguments");
    return NULL;
  }
  float *p, *g, *m, *v;
  uint8_t* mask;
  size_t n, ng, nm, nv, nmask;
  if (!typed(env, argv[0], napi_float32_array, (void**)&p, &n)) return NULL;
  if (!typed(env, argv[1], napi_float32_array, (void**)&g, &ng)) return NULL;
  if (!typed(env, argv[2], napi_float32_array, (void**)&m, &nm)) return NULL;
  if (!typed(env, argv[3], napi_float32_array, (void**)&v, &nv)) return NULL;
  if (!typed(env, argv[4], napi_uint8_array, (void**)&mask, &nmask)) return NULL;
  if (ng != n || nm != n || nv != n || nmask != n) {
    napi_throw_range_error(env, NULL, "ftledger_native.adamw: buffers differ in length");
    return NULL;
  }
  double h[7]; /* lr, beta1, beta2, eps, weightDecay, step, gradScale */
  for (int i = 0; i < 7; i++) CHECK(napi_get_value_double(env, argv[5 + i], &h[i]));
  const double lr = h[0], b1 = h[1], b2 = h[2], eps = h[3], wd = h[4], step = h[5], scale = h[6];
  const double bc1 = 1.0 - pow(b1, step), bc2 = 1.0 - pow(b2, step);
  const double keepDecay = 1.0 - lr * wd;

  adamw_loop(p, m, v, g, mask, n, lr, b1, b2, eps, scale, keepDecay, bc1, bc2);
  return NULL;
}

static napi_value setNumThreads(napi_env env, napi_callback_info cbi) {
  size_t argc = 1;
  napi_value arg;
  int32_t n;
  CHECK(napi_get_cb_info(env, cbi, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_int32(env, arg, &n));
  if (n < 1) {
    napi_throw_range_error(env, NULL, "ftledger_native.setNumThreads: need at least 1 thread");
    return NULL;
  }
  g_threads = n;
  use_threads(n);
  fl_pool_set_threads(n);
  return NULL;
}

/* setOwnGemm(on): products to fl_gemm (when built for AVX-512) or to OpenBLAS. */
static napi_value setOwnGemm(napi_env env, napi_callback_info cbi) {
  size_t argc = 1;
  napi_value arg;
  bool on;
  CHECK(napi_get_cb_info(env, cbi, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_bool(env, arg, &on));
  g_own_gemm = on && OWN_GEMM_BUILT;
  return NULL;
}

/* setBf16(on) → whether bf16 products are now on: false where the CPU lacks AVX512_BF16. */
static napi_value setBf16(napi_env env, napi_callback_info cbi) {
  size_t argc = 1;
  napi_value arg, out;
  bool on;
  CHECK(napi_get_cb_info(env, cbi, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_bool(env, arg, &on));
  g_bf16 = on && fl_bf16_supported();
  CHECK(napi_get_boolean(env, g_bf16, &out));
  return out;
}

/* setSpinMicros(us): how long idle pool workers spin before they sleep. */
static napi_value setSpinMicros(napi_env env, napi_callback_info cbi) {
  size_t argc = 1;
  napi_value arg;
  int32_t us;
  CHECK(napi_get_cb_info(env, cbi, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_int32(env, arg, &us));
  fl_pool_set_spin_us(us);
  return NULL;
}

static napi_value setSerialBelow(napi_env env, napi_callback_info cbi) {
  size_t argc = 1;
  napi_value arg;
  int64_t mnk;
  CHECK(napi_get_cb_info(env, cbi, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_int64(env, arg, &mnk));
  g_serial_below = mnk;
  return NULL;
}

static napi_value getNumThreads(napi_env env, napi_callback_info cbi) {
  (void)cbi;
  napi_value out;
  CHECK(napi_create_int32(env, g_threads, &out));
  return out;
}

/* misalignment(array): the byte address of a typed array's first element modulo 64,
 * so src/tensor/native.ts can hand out buffers on cache-line boundaries (the vector
 * loads of the GEMM then never straddle two lines: measured 8% faster). */
static napi_value misalignment(napi_env env, napi_callback_info cbi) {
  size_t argc = 1;
  napi_value arg, out;
  napi_typedarray_type type;
  size_t len;
  void* data;
  CHECK(napi_get_cb_info(env, cbi, &argc, &arg, NULL, NULL));
  CHECK(napi_get_typedarray_info(env, arg, &type, &len, &data, NULL, NULL));
  CHECK(napi_create_int32(env, (int32_t)((uintptr_t)data % 64), &out));
  return out;
}

/* "OpenBLAS 0.3.21 DYNAMIC_ARCH ... MAX_THREADS=64", the kernel set in use, whether
 * our GEMM is built (ownGemmBuilt) and in use (ownGemm), and whether this CPU has
 * AVX512_BF16 (bf16Supported) and the bf16 products are on (bf16). */
static napi_value config(napi_env env, napi_callback_info cbi) {
  (void)cbi;
  napi_value out, cfg, core, built, own, bf16ok, bf16;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &cfg));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &core));
  CHECK(napi_set_named_property(env, out, "config", cfg));
  CHECK(napi_set_named_property(env, out, "corename", core));
  CHECK(napi_get_boolean(env, OWN_GEMM_BUILT, &built));
  CHECK(napi_get_boolean(env, g_own_gemm, &own));
  CHECK(napi_set_named_property(env, out, "ownGemmBuilt", built));
  CHECK(napi_set_named_property(env, out, "ownGemm", own));
  CHECK(napi_get_boolean(env, fl_bf16_supported(), &bf16ok));
  CHECK(napi_get_boolean(env, g_bf16, &bf16));
  CHECK(napi_set_named_property(env, out, "bf16Supported", bf16ok));
  CHECK(napi_set_named_property(env, out, "bf16", bf16));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  /* OPENBLAS_NUM_THREADS (or the core count) as OpenBLAS started with it; once per
   * process, since worker threads load their own instance of this module. */
  static int started = 0;
  if (!started) {
    g_threads = g_current = openblas_get_num_threads();
    fl_pool_set_threads(g_threads);
    started = 1;
  }
  const napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNumThreads", NULL, setNumThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getNumThreads", NULL, getNumThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSerialBelow", NULL, setSerialBelow, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setOwnGemm", NULL, setOwnGemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSpinMicros", NULL, setSpinMicros, NULL, NULL, NULL, napi_enumerable, NULL},
      {"misalignment", NULL, misalignment, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setBf16", NULL, setBf16, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  CHECK(fl_register_fused(env, exports));
  CHECK(fl_register_elementwise(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
