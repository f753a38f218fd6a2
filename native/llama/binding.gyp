# Build recipe for the gguf backend's direct scorer (ftledger_llama.c).
#
# scripts/build-llama.mjs runs `node-gyp rebuild` here. It passes, through the environment:
#   FTLEDGER_LLAMA_INCLUDE  llama.h and ggml's headers of the exact llama.cpp release that
#                           node-llama-cpp's prebuilt binaries were built from (taken from the
#                           git bundle inside the node-llama-cpp package, never downloaded);
#   FTLEDGER_LLAMA_LIB      the folder of those prebuilt binaries (libllama, libggml): the
#                           addon links them by their exact file names and finds them at run
#                           time through an rpath, so the process holds one llama.cpp.
{
  "targets": [
    {
      "target_name": "ftledger_llama",
      "sources": ["ftledger_llama.c"],
      "defines": ["NAPI_VERSION=8"],
      "include_dirs": [
        "<!@(node -p \"process.env.FTLEDGER_LLAMA_INCLUDE + '/include'\")",
        "<!@(node -p \"process.env.FTLEDGER_LLAMA_INCLUDE + '/ggml/include'\")"
      ],
      "cflags!": ["-O2", "-O0"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "libraries": [
        "<!@(node -p \"'-L' + process.env.FTLEDGER_LLAMA_LIB + ' -Wl,-rpath,' + process.env.FTLEDGER_LLAMA_LIB\")",
        "<!@(node -p \"process.env.FTLEDGER_LLAMA_LIBS\")",
        "-lm"
      ]
    }
  ]
}
