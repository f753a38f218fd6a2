# Build recipe for the `native` kernel backend (see ftledger_native.c).
#
# scripts/build-native.mjs runs `node-gyp rebuild` here after finding OpenBLAS; it
# passes the header and library directories it found through the environment
# (FTLEDGER_OPENBLAS_INCLUDE, FTLEDGER_OPENBLAS_LIB; empty means the compiler's
# default search path). -ffp-contract=off keeps the AdamW loop rounding like the
# TypeScript reference (no fused multiply-add). -march=native is safe because the
# addon is always compiled on the machine that runs it (npm install / npm rebuild),
# never shipped prebuilt.
{
  "targets": [
    {
      "target_name": "ftledger_native",
      "sources": ["ftledger_native.c"],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": ["<!@(node -p \"process.env.FTLEDGER_OPENBLAS_INCLUDE || ''\")"],
      "cflags!": ["-O2", "-O0"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-std=c11", "-Wall", "-Wextra"],
      "libraries": [
        "<!@(node -p \"process.env.FTLEDGER_OPENBLAS_LIB ? '-L' + process.env.FTLEDGER_OPENBLAS_LIB + ' -Wl,-rpath,' + process.env.FTLEDGER_OPENBLAS_LIB : ''\")",
        "-lopenblas"
      ],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off"]
      }
    }
  ]
}
