/*
 * The fused kernels of src/tensor/kernels.ts (`FusedKernels`), in C. Each has a
 * TypeScript reference in src/model/ops with the same argument names and semantics
 * (backward adds into gradients, except where the reference overwrites: attention's
 * dq, cross-entropy's in-place dlogits); test/tensor/fused.test.ts compares them.
 *
 * Key: N rows, C channels, n flat elements, V vocabulary, Tq/Tk queries/keys, H heads,
 * NH/KVH query/key-value heads, HS head size.
 *
 * Callers (ftledger_native.c) have checked every length; these functions trust them.
 * A function returning int gives 0, or −1 when thread-local scratch could not be
 * allocated (then nothing useful was written).
 */
#ifndef FTLEDGER_FUSED_H
#define FTLEDGER_FUSED_H

#include <stdint.h>

void fl_rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int N, int C, float eps);
int fl_rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                        const float* rstd, int N, int C);

void fl_swiglu_forward(float* out, const float* gate, const float* up, long n);
/* accumulate 0 writes dgate and dup instead of adding into them */
void fl_swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, long n, int accumulate);

/* probs may be NULL, and may alias logits. Writes loss and count (as in CrossEntropyResult). */
void fl_crossentropy_forward(float* logprobs, float* probs, const float* logits, const int32_t* targets,
                             const float* mask, int N, int V, double* loss, double* count);
void fl_crossentropy_backward(float* probs, const int32_t* targets, const float* mask, double count, int N, int V);

typedef struct {
  int Tq, Tk, qOffset, NH, KVH, HS;
} fl_attention_shape;

int fl_attention_forward(const fl_attention_shape* s, float* out, float* att, const float* q, const float* key,
                         const float* value);
/* Decoding attention for many sequences in one call: sequence i has Tq < 8 query rows
 * (rows row … row+Tq−1 of q and out, (N, NH·HS)) at positions Tk−Tq … Tk−1, against its own
 * key and value (Tk, KVH·HS). Sequences run in parallel, each exactly as
 * fl_attention_forward computes it alone. */
typedef struct {
  const float* key;
  const float* value;
  int row, Tq, Tk;
} fl_decode_seq;

int fl_attention_decode(const fl_decode_seq* seqs, int nseq, float* out, const float* q, int NH, int KVH, int HS);
int fl_attention_backward(const fl_attention_shape* s, float* dq, float* dkey, float* dvalue, const float* dout,
                          const float* att, const float* q, const float* key, const float* value);

/* rope.c: x (N, H·HS) rotated in place; row n at position pos[n]; cos, sin (maxPos, HS/2).
 * sign +1 forward, −1 backward (the transpose). Callers checked every position. */
void fl_rope(float* x, const int32_t* pos, const double* cos, const double* sin, int N, int H, int HS, int sign);

/* residual.c: out = x + y (out may be x or y itself); dx += dout, dy += dout. */
void fl_residual_forward(float* out, const float* x, const float* y, long n);
void fl_residual_backward(float* dx, float* dy, const float* dout, long n);

/* embedding.c: out[n] = wte[tokens[n]]; dwte[tokens[n]] += dout[n]. Callers checked the ids. */
void fl_embedding_forward(float* out, const int32_t* tokens, const float* wte, int N, int C);
void fl_embedding_backward(float* dwte, const float* dout, const int32_t* tokens, int N, int C);

#endif
