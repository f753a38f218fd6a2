/*
 * llama.cpp's own scoring speed, with no Node in the way: docs/PERFORMANCE.md ("The direct
 * scorer", "A BLAS-backed llama.cpp build") took its C-side figures from this program.
 * N requests of L random token ids each are evaluated, S sequences per context, with an
 * output row at every position but the last and a full log-softmax over the vocabulary in
 * C at each (what the gguf direct scorer does); it prints tokens/s and the summed log-prob
 * of the next token (equal sums = the same numbers).
 *
 *   usage: llama-score MODEL.gguf N L S THREADS [KV_UNIFIED]
 *   env:   BINS=<folder of dynamically loaded ggml backends> (node-llama-cpp's prebuilt
 *          package loads its CPU variants from there); EXTRA=0 skips repacked weights
 *
 * Built against node-llama-cpp's prebuilt library (headers from `node scripts/build-llama.mjs`):
 *   B=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64 H=native/llama/headers
 *   gcc -O2 -o llama-score scripts/experiments/llama-score.c -I$H/include -I$H/ggml/include \
 *     $B/libllama.v0.4.0.so $B/libggml.v0.4.0.so $B/libggml-base.so -Wl,-rpath,$B -lm
 * or against a build of the same source (see docs/PERFORMANCE.md for the BLAS build):
 *   S=/path/to/llama.cpp; gcc -O2 -o llama-score-blas scripts/experiments/llama-score.c \
 *     -I$S/include -I$S/ggml/include -L$S/build/bin -lllama -lggml -lggml-base -Wl,-rpath,$S/build/bin -lm
 */
#include "llama.h"
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#include <string.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void quiet(enum ggml_log_level l,const char*t,void*u){(void)l;(void)t;(void)u;}
int main(int argc,char**argv){
  if(argc<6){fprintf(stderr,"usage: %s MODEL.gguf N L S THREADS [KV_UNIFIED]\n",argv[0]);return 2;}
  const char*path=argv[1]; int N=atoi(argv[2]), L=atoi(argv[3]), S=atoi(argv[4]), threads=atoi(argv[5]); int unified=argc>6?atoi(argv[6]):0;
  llama_log_set(quiet,NULL);
  ggml_backend_load_all_from_path(getenv("BINS"));
  llama_backend_init();
  struct llama_model_params mp=llama_model_default_params(); mp.n_gpu_layers=0; if(getenv("EXTRA")) mp.use_extra_bufts=atoi(getenv("EXTRA"));
  struct llama_model*m=llama_model_load_from_file(path,mp); if(!m){fprintf(stderr,"load failed\n");return 1;}
  const struct llama_vocab*vocab=llama_model_get_vocab(m); int V=llama_vocab_n_tokens(vocab);
  struct llama_context_params cp=llama_context_default_params();
  int per= ((L+255)/256)*256; cp.n_ctx=per*S; cp.n_seq_max=S; cp.n_batch=cp.n_ubatch= S*L<4096? S*L:4096; cp.n_threads=cp.n_threads_batch=threads;
  cp.type_k=GGML_TYPE_F32; cp.type_v=GGML_TYPE_F32; cp.flash_attn_type=LLAMA_FLASH_ATTN_TYPE_DISABLED; cp.kv_unified=unified; cp.no_perf=1;
  struct llama_context*ctx=llama_init_from_model(m,cp); if(!ctx){fprintf(stderr,"ctx failed\n");return 1;}
  int*toks=malloc(sizeof(int)*N*L); srand(1); for(int i=0;i<N*L;i++) toks[i]=1+rand()%(V-1);
  struct llama_batch b=llama_batch_init(cp.n_batch,0,1);
  double sum=0; double t0=now();
  for(int r=0;r<N;r+=S){
    llama_memory_clear(llama_get_memory(ctx),1);
    int ns = (N-r<S)?N-r:S;
    // feed tokens position-major in chunks of n_batch
    int total=ns*L, fed=0;
    while(fed<total){
      b.n_tokens=0;
      for(;fed<total && b.n_tokens<(int)cp.n_batch;fed++){
        int s=fed/L, p=fed%L; int k=b.n_tokens++;
        b.token[k]=toks[(r+s)*L+p]; b.pos[k]=p; b.n_seq_id[k]=1; b.seq_id[k][0]=s; b.logits[k]= p<L-1;
      }
      if(llama_decode(ctx,b)){fprintf(stderr,"decode failed\n");return 1;}
      for(int k=0;k<b.n_tokens;k++){ if(!b.logits[k]) continue; float*lg=llama_get_logits_ith(ctx,k);
        int s=b.seq_id[k][0], p=b.pos[k]; int next=toks[(r+s)*L+p+1];
        float mx=lg[0]; for(int v=1;v<V;v++) if(lg[v]>mx) mx=lg[v];
        double z=0; for(int v=0;v<V;v++) z+=exp((double)lg[v]-mx);
        sum += (lg[next]-mx)-log(z);
      }
    }
  }
  double dt=now()-t0;
  printf("N=%d L=%d S=%d threads=%d unified=%d V=%d: %.0f tok/s (%.3f s) sum=%.4f\n",N,L,S,threads,unified,V,N*L/dt,dt,sum);
  return 0;
}
