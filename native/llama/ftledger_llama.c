/*
 * ftledger_llama: prompt scoring straight on llama.cpp (libllama), for the gguf backend.
 *
 * Why this exists: node-llama-cpp reads a position's next-token distribution through one
 * sampling call per position (a worker-thread round trip that hands the whole vocabulary
 * back as a JS array), ~60 µs each on this machine; on small models that cost is several
 * times the model's own forward pass, and node-llama-cpp has no call that returns the
 * logits of many positions at once. Here one llama_decode evaluates a whole request with
 * an output at every position asked for, and the log-softmax, the scored token's
 * log-prob, the argmax and the top-k are computed in C, off the JS thread.
 *
 * It links the libllama that node-llama-cpp's prebuilt CPU package ships (the same file
 * node-llama-cpp's own addon loads, so the process holds one llama.cpp) and is compiled
 * against that release's own headers (scripts/build-llama.mjs takes them from the git
 * bundle inside the node-llama-cpp package). Generation stays on node-llama-cpp.
 *
 * Surface (all handles are N-API externals; the TypeScript side in
 * src/backends/llamacpp/direct.ts owns their lifetime and never runs two evaluations on
 * one context at once):
 *   init(backendDir)                      load ggml's CPU backends once (no-op when loaded)
 *   loadModel(path) -> model              CPU only, mmap'd weights, not repacked
 *   newContext(model, nCtx, threads, f32Cache) -> context   one sequence, no flash attention
 *   evaluate(context, tokens, targets, firstOutput, topK) -> Promise<{...}>
 *   freeContext(context), freeModel(model)
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "llama.h"

#define CHECK(call)                                                         \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error(env, NULL, "ftledger_llama: N-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

typedef struct {
  struct llama_model* model;
} Model;

typedef struct {
  struct llama_context* ctx;
  int32_t n_ctx;
  int32_t n_batch;
  int32_t vocab;
} Context;

static Model* model_of(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL || ((Model*)p)->model == NULL) {
    napi_throw_type_error(env, NULL, "ftledger_llama: expected an open model handle");
    return NULL;
  }
  return (Model*)p;
}

static Context* context_of(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL || ((Context*)p)->ctx == NULL) {
    napi_throw_type_error(env, NULL, "ftledger_llama: expected an open context handle");
    return NULL;
  }
  return (Context*)p;
}

/* A handle's memory goes with its JS value; the llama.cpp object it holds is freed only by
 * freeModel / freeContext (a context must go before its model, which GC order can't promise). */
static void free_handle(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

static int backend_ready = 0;

/* init(backendDir): ggml's CPU backend variants live next to libllama; node-llama-cpp
 * loads them when it starts, so this only loads them when nothing has yet. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char dir[4096];
  size_t len = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], dir, sizeof dir, &len));
  if (!backend_ready) {
    if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) == NULL) ggml_backend_load_all_from_path(dir);
    llama_backend_init();
    backend_ready = 1;
  }
  napi_value ok;
  CHECK(napi_get_boolean(env, ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) != NULL, &ok));
  return ok;
}

static napi_value js_load_model(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t len = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  struct llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  // NOTE: no repacking of quantised weights into CPU-specific layouts: a repacked copy is
  // anonymous memory the size of those weights, on top of node-llama-cpp's own load of the
  // same file; unrepacked, this load's weights are the file's mmap'd pages, shared with it
  mp.use_extra_bufts = false;
  struct llama_model* m = llama_model_load_from_file(path, mp);
  if (m == NULL) {
    napi_throw_error(env, NULL, "ftledger_llama: llama.cpp could not load the model");
    return NULL;
  }
  Model* h = malloc(sizeof *h);
  h->model = m;
  napi_value out;
  CHECK(napi_create_external(env, h, free_handle, NULL, &out));
  return out;
}

/* newContext(model, nCtx, threads, f32Cache): one sequence; F32 K/V and no flash attention
 * when f32Cache (log-probs then match an independent forward pass to ~1e-6). */
static napi_value js_new_context(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Model* h = model_of(env, argv[0]);
  if (h == NULL) return NULL;
  int32_t n_ctx = 0, threads = 1;
  bool f32 = true;
  CHECK(napi_get_value_int32(env, argv[1], &n_ctx));
  CHECK(napi_get_value_int32(env, argv[2], &threads));
  CHECK(napi_get_value_bool(env, argv[3], &f32));
  struct llama_context_params cp = llama_context_default_params();
  cp.n_ctx = (uint32_t)n_ctx;
  cp.n_seq_max = 1;
  // a batch of up to 512 tokens per decode: a longer request is fed in chunks
  cp.n_batch = cp.n_ubatch = (uint32_t)(n_ctx < 512 ? n_ctx : 512);
  cp.n_threads = cp.n_threads_batch = threads;
  cp.no_perf = true;
  if (f32) {
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  }
  struct llama_context* ctx = llama_init_from_model(h->model, cp);
  if (ctx == NULL) {
    napi_throw_error(env, NULL, "ftledger_llama: llama.cpp could not create a context (out of memory?)");
    return NULL;
  }
  Context* c = malloc(sizeof *c);
  c->ctx = ctx;
  c->n_ctx = (int32_t)llama_n_ctx(ctx);
  c->n_batch = (int32_t)cp.n_batch;
  c->vocab = llama_vocab_n_tokens(llama_model_get_vocab(h->model));
  napi_value out;
  CHECK(napi_create_external(env, c, free_handle, NULL, &out));
  return out;
}

static napi_value js_free_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Context* c = context_of(env, argv[0]);
  if (c == NULL) return NULL;
  llama_free(c->ctx);
  c->ctx = NULL; // the handle stays allocated: a second free is a clear error, not a crash
  return NULL;
}

static napi_value js_free_model(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Model* h = model_of(env, argv[0]);
  if (h == NULL) return NULL;
  llama_model_free(h->model);
  h->model = NULL;
  return NULL;
}

/* ---- evaluate: the async work ------------------------------------------------------ */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep; // the context handle stays alive while it runs
  Context* c;
  int32_t* tokens;  // copy
  int32_t n_tokens;
  int32_t* targets; // copy, one per output row, or NULL
  int32_t first;    // first position with an output
  int32_t top_k;
  // results, one row per output position p = first .. n_tokens-1
  int32_t rows;
  double* logprob;  // (rows) log p(targets[r]) or NaN without targets
  uint8_t* greedy;  // (rows) targets[r] is the argmax (ties: lowest id)
  int32_t* top_ids; // (rows, top_k) by rank
  double* top_lp;   // (rows, top_k)
  void* scratch;    // (V) Ranked entries, for a full sort
  char error[256];
} Job;

typedef struct {
  float logit;
  int32_t id;
} Ranked;

/* qsort order: higher logit first, ties to the lower id. */
static int by_rank(const void* pa, const void* pb) {
  const Ranked* a = pa;
  const Ranked* b = pb;
  if (a->logit != b->logit) return a->logit > b->logit ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* `a` ranks before `b`: higher logit, or equal and a lower id (the engine's rule). */
static inline int ranks_before(const float* x, int32_t a, int32_t b) {
  return x[a] > x[b] || (x[a] == x[b] && a < b);
}

/* One output row: log-softmax of `logits` (V) in double, then what the request asked for. */
static void read_row(Job* j, int32_t r, const float* logits) {
  const int32_t V = j->c->vocab;
  int32_t best = 0;
  for (int32_t v = 1; v < V; v++) if (ranks_before(logits, v, best)) best = v;
  const double mx = logits[best];
  double z = 0;
  for (int32_t v = 0; v < V; v++) z += exp((double)logits[v] - mx);
  const double lse = mx + log(z); // log Σ exp(logits)
  if (j->targets) {
    const int32_t t = j->targets[r];
    j->logprob[r] = (double)logits[t] - lse;
    j->greedy[r] = t == best;
  } else {
    j->logprob[r] = NAN;
    j->greedy[r] = 0;
  }
  const int32_t k = j->top_k;
  if (k == 0) return;
  int32_t* ids = j->top_ids + (size_t)r * k;
  if ((int64_t)k * 8 >= V) {
    // most of the vocabulary: sort it all
    Ranked* all = (Ranked*)j->scratch;
    for (int32_t v = 0; v < V; v++) {
      all[v].logit = logits[v];
      all[v].id = v;
    }
    qsort(all, (size_t)V, sizeof *all, by_rank);
    for (int32_t i = 0; i < k; i++) ids[i] = all[i].id;
  } else {
    // a sorted window of the best k so far: one pass, no full sort
    int32_t n = 0;
    for (int32_t v = 0; v < V; v++) {
      if (n == k && !ranks_before(logits, v, ids[k - 1])) continue;
      int32_t at = n == k ? k - 1 : n++;
      while (at > 0 && ranks_before(logits, v, ids[at - 1])) {
        ids[at] = ids[at - 1];
        at--;
      }
      ids[at] = v;
    }
  }
  double* lp = j->top_lp + (size_t)r * k;
  for (int32_t i = 0; i < k; i++) lp[i] = (double)logits[ids[i]] - lse;
}

static void evaluate_execute(napi_env env, void* data) {
  (void)env;
  Job* j = data;
  struct llama_context* ctx = j->c->ctx;
  llama_memory_clear(llama_get_memory(ctx), true);
  struct llama_batch b = llama_batch_init(j->c->n_batch, 0, 1);
  for (int32_t at = 0; at < j->n_tokens; at += j->c->n_batch) {
    const int32_t n = j->n_tokens - at < j->c->n_batch ? j->n_tokens - at : j->c->n_batch;
    b.n_tokens = n;
    for (int32_t i = 0; i < n; i++) {
      b.token[i] = j->tokens[at + i];
      b.pos[i] = at + i;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = 0;
      b.logits[i] = at + i >= j->first;
    }
    const int32_t rc = llama_decode(ctx, b);
    if (rc != 0) {
      snprintf(j->error, sizeof j->error, "llama_decode returned %d at tokens %d..%d", rc, at, at + n - 1);
      break;
    }
    for (int32_t i = 0; i < n; i++) {
      if (!b.logits[i]) continue;
      const float* logits = llama_get_logits_ith(ctx, i);
      if (logits == NULL) {
        snprintf(j->error, sizeof j->error, "llama.cpp gave no logits at position %d", at + i);
        break;
      }
      read_row(j, at + i - j->first, logits);
    }
    if (j->error[0]) break;
  }
  llama_batch_free(b);
}

static void free_job(napi_env env, Job* j) {
  napi_delete_reference(env, j->keep);
  napi_delete_async_work(env, j->work);
  free(j->tokens);
  free(j->targets);
  free(j->scratch);
  free(j);
}

/* A typed array over a malloc'd buffer, freed with the array. */
static void free_buffer(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_status typed(napi_env env, napi_typedarray_type type, void* data, size_t n, size_t elem, napi_value* out) {
  napi_value ab;
  napi_status s;
  if (data == NULL) {
    void* unused;
    s = napi_create_arraybuffer(env, 0, &unused, &ab);
  } else {
    s = napi_create_external_arraybuffer(env, data, n * elem, free_buffer, NULL, &ab);
  }
  if (s != napi_ok) return s;
  return napi_create_typedarray(env, type, n, ab, 0, out);
}

static void evaluate_complete(napi_env env, napi_status status, void* data) {
  Job* j = data;
  napi_value result;
  if (status != napi_ok || j->error[0]) {
    napi_value msg, err;
    napi_create_string_utf8(env, j->error[0] ? j->error : "the evaluation was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, j->deferred, err);
    free(j->logprob);
    free(j->greedy);
    free(j->top_ids);
    free(j->top_lp);
    free_job(env, j);
    return;
  }
  napi_create_object(env, &result);
  napi_value v;
  const size_t R = (size_t)j->rows, K = (size_t)j->top_k;
  if (typed(env, napi_float64_array, j->logprob, R, sizeof(double), &v) == napi_ok) napi_set_named_property(env, result, "logprob", v);
  if (typed(env, napi_uint8_array, j->greedy, R, 1, &v) == napi_ok) napi_set_named_property(env, result, "greedy", v);
  if (typed(env, napi_int32_array, j->top_ids, K ? R * K : 0, sizeof(int32_t), &v) == napi_ok) napi_set_named_property(env, result, "topIds", v);
  if (typed(env, napi_float64_array, j->top_lp, K ? R * K : 0, sizeof(double), &v) == napi_ok) napi_set_named_property(env, result, "topLogprobs", v);
  napi_resolve_deferred(env, j->deferred, result);
  free_job(env, j);
}

/* evaluate(context, tokens: Int32Array, targets: Int32Array | null, firstOutput, topK)
 * Feeds every token at positions 0..n-1 from an empty cache and, at each position
 * p >= firstOutput, reads the next-token distribution: row r = p - firstOutput gets
 * log p(targets[r]) and whether it is the argmax (NaN and 0 without targets), and the
 * topK best (ids, log-probs, by rank). Resolves { logprob, greedy, topIds, topLogprobs }. */
static napi_value js_evaluate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Context* c = context_of(env, argv[0]);
  if (c == NULL) return NULL;
  napi_typedarray_type type;
  size_t n = 0;
  void* data = NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &n, &data, NULL, NULL));
  if (type != napi_int32_array || n == 0) {
    napi_throw_type_error(env, NULL, "ftledger_llama: tokens must be a non-empty Int32Array");
    return NULL;
  }
  if ((int64_t)n > c->n_ctx) {
    napi_throw_range_error(env, NULL, "ftledger_llama: more tokens than the context holds");
    return NULL;
  }
  const int32_t* tokens = data;
  for (size_t i = 0; i < n; i++) {
    if (tokens[i] < 0 || tokens[i] >= c->vocab) {
      napi_throw_range_error(env, NULL, "ftledger_llama: a token id is outside the vocabulary");
      return NULL;
    }
  }
  int32_t first = 0, top_k = 0;
  CHECK(napi_get_value_int32(env, argv[3], &first));
  CHECK(napi_get_value_int32(env, argv[4], &top_k));
  if (first < 0 || first >= (int32_t)n || top_k < 0 || top_k > c->vocab) {
    napi_throw_range_error(env, NULL, "ftledger_llama: firstOutput must be in [0, tokens) and topK in [0, V]");
    return NULL;
  }
  const int32_t rows = (int32_t)n - first;
  napi_valuetype tt;
  CHECK(napi_typeof(env, argv[2], &tt));
  int32_t* targets = NULL;
  if (tt != napi_null && tt != napi_undefined) {
    size_t m = 0;
    void* tdata = NULL;
    CHECK(napi_get_typedarray_info(env, argv[2], &type, &m, &tdata, NULL, NULL));
    if (type != napi_int32_array || (int32_t)m != rows) {
      napi_throw_type_error(env, NULL, "ftledger_llama: targets must be an Int32Array with one id per output row");
      return NULL;
    }
    targets = malloc(sizeof(int32_t) * (size_t)rows);
    memcpy(targets, tdata, sizeof(int32_t) * (size_t)rows);
    for (int32_t r = 0; r < rows; r++) {
      if (targets[r] < 0 || targets[r] >= c->vocab) {
        free(targets);
        napi_throw_range_error(env, NULL, "ftledger_llama: a target id is outside the vocabulary");
        return NULL;
      }
    }
  }
  Job* j = calloc(1, sizeof *j);
  j->c = c;
  j->tokens = malloc(sizeof(int32_t) * n);
  memcpy(j->tokens, tokens, sizeof(int32_t) * n);
  j->n_tokens = (int32_t)n;
  j->targets = targets;
  j->first = first;
  j->top_k = top_k;
  j->rows = rows;
  j->logprob = malloc(sizeof(double) * (size_t)rows);
  j->greedy = malloc((size_t)rows);
  if (top_k > 0) {
    j->top_ids = malloc(sizeof(int32_t) * (size_t)rows * (size_t)top_k);
    j->top_lp = malloc(sizeof(double) * (size_t)rows * (size_t)top_k);
  }
  if ((int64_t)top_k * 8 >= c->vocab) j->scratch = malloc(sizeof(Ranked) * (size_t)c->vocab);
  CHECK(napi_create_reference(env, argv[0], 1, &j->keep));
  napi_value promise, name;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "ftledger_llama.evaluate", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, evaluate_execute, evaluate_complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
    {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
    {"loadModel", NULL, js_load_model, NULL, NULL, NULL, napi_default, NULL},
    {"newContext", NULL, js_new_context, NULL, NULL, NULL, napi_default, NULL},
    {"evaluate", NULL, js_evaluate, NULL, NULL, NULL, napi_default, NULL},
    {"freeContext", NULL, js_free_context, NULL, NULL, NULL, napi_default, NULL},
    {"freeModel", NULL, js_free_model, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
