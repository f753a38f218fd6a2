# Build recipe for the `native` kernel backend (see ftledger_native.c).
#
# scripts/build-native.mjs runs `node-gyp rebuild` here after finding OpenBLAS; it
# passes the header and library directories it found through the environment
# (FTLEDGER_OPENBLAS_INCLUDE, FTLEDGER_OPENBLAS_LIB; empty means the compiler's
# default search path). -march=native is safe because the addon is always compiled
# on the machine that runs it (npm install / npm rebuild), never shipped prebuilt.
#
# Two targets, because they want different floating-point contraction:
#   ftledger_kernels  the GEMM, the fused kernels and their thread pool (plain C, no
#                     N-API): -ffp-contract=fast, so a·b + c is one FMA instruction
#                     (twice the GEMM throughput; the fused ops are checked against
#                     the TypeScript references with a tolerance).
#   ftledger_native   the N-API layer and AdamW: -ffp-contract=off keeps the AdamW
#                     loop rounding like the TypeScript reference (no fused
#                     multiply-add), so the two agree to the last bit.
# No -ffast-math anywhere: the kernels write their vector code explicitly (simd.h).
# gemm_bf16.c compiles on any x86-64: its AVX512_BF16 code carries a target attribute
# and only runs where the CPU says it has the instructions (checked at run time).
{
  "targets": [
    {
      "target_name": "ftledger_kernels",
      "type": "static_library",
      "sources": ["gemm.c", "gemm_bf16.c", "pool.c", "ops.c", "attention.c", "rope.c", "residual.c", "embedding.c"],
      "cflags!": ["-O2", "-O0"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=fast", "-std=c11", "-D_GNU_SOURCE", "-pthread", "-Wall", "-Wextra"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=fast"]
      }
    },
    {
      "target_name": "ftledger_native",
      "sources": ["ftledger_native.c", "napi_fused.c", "napi_elementwise.c"],
      "dependencies": ["ftledger_kernels"],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": ["<!@(node -p \"process.env.FTLEDGER_OPENBLAS_INCLUDE || ''\")"],
      "cflags!": ["-O2", "-O0"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-std=c11", "-Wall", "-Wextra"],
      "libraries": [
        "<!@(node -p \"process.env.FTLEDGER_OPENBLAS_LIB ? '-L' + process.env.FTLEDGER_OPENBLAS_LIB + ' -Wl,-rpath,' + process.env.FTLEDGER_OPENBLAS_LIB : ''\")",
        "-lopenblas",
        "-lpthread"
      ],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off"]
      }
    }
  ]
}
