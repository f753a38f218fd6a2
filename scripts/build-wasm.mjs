// Compile the wasm backend's AssemblyScript source to build/wasm/kernels.wasm.
//
// Run by `npm run build` (and so by `prepare` on `npm ci`). This is our own source, so a
// compile error (asc prints the diagnostics, then returns `error`) exits non-zero.
//
// Flags, and why:
//   --importMemory --noExportMemory --sharedMemory --maximumMemory 65536
//       JS owns one shared WebAssembly.Memory (up to 4 GiB): `grow` never detaches the
//       Float32Array views handed out by alloc(), and worker threads can share it.
//   --enable simd,threads   f32x4 arithmetic; shared memory needs the threads feature.
//   --runtime stub --noAssert --use abort=
//       no GC, no allocator, no assertion traps, no `env.abort` import: the module is
//       pure arithmetic on pointers that JS passes in.
//   --optimizeLevel 3 --shrinkLevel 0 --converge   a hot loop: optimise for speed, fully.
//   --textFile              build/wasm/kernels.wat, to read what the kernel compiled to.
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "src/tensor/wasm/assembly/gemm.ts");
const outFile = join(root, "build/wasm/kernels.wasm");

await mkdir(dirname(outFile), { recursive: true });
const { error } = await asc.main([
  entry,
  "--outFile", outFile,
  "--textFile", outFile.replace(/\.wasm$/, ".wat"),
  "--importMemory", "--noExportMemory", "--sharedMemory", "--maximumMemory", "65536", "--initialMemory", "1",
  "--enable", "simd,threads",
  "--runtime", "stub", "--noAssert", "--use", "abort=",
  "--optimizeLevel", "3", "--shrinkLevel", "0", "--converge",
  "--noColors",
], { stdout: process.stdout, stderr: process.stderr });

if (error) {
  console.error(`build-wasm: compiling ${entry} failed: ${error.message}`);
  process.exit(1);
}
console.log(`build-wasm: wrote ${outFile}`);
