/**
 * Nearest and second-nearest descriptor by Hamming distance in WebAssembly SIMD (`hamming.wat`): the brute-force scan
 * behind putativeMatches was a fifth of an investigation's main-thread time at vault scale (bench:investigate). The
 * same distances and comparisons as the JS loop, so the same answers. Returns null where WebAssembly SIMD is
 * unavailable (the caller runs its JS loop).
 */
import { HAMMING_WASM_BASE64 } from './hamming-wasm.js';
import { loadKernels, type WasmMemory } from '../../core/wasm.js';

interface Kernels {
  memory: WasmMemory;
  nearest2(q: number, nq: number, c: number, nc: number, out: number): void;
}

let kernels: Kernels | null | undefined;

/** Switched off by tests to compare with the JS loop. */
export const HAMMING_SIMD = { enabled: true };

/**
 * For each query descriptor (32 bytes each, `nq` of them), the best and second-best distance over the `nc` candidate
 * descriptors and the best's index, as triples [best, second, index] (257, 257, -1 when there are no candidates).
 */
export function nearestTwo(query: Uint8Array, nq: number, cand: Uint8Array, nc: number): Int32Array | null {
  if (!HAMMING_SIMD.enabled) return null;
  if (kernels === undefined) kernels = loadKernels<Kernels>(HAMMING_WASM_BASE64);
  const k = kernels;
  if (!k) return null;
  const qBytes = nq * 32;
  const cAt = qBytes;
  const outAt = cAt + nc * 32;
  const need = outAt + nq * 12;
  const have = k.memory.buffer.byteLength;
  if (have < need) k.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Uint8Array(k.memory.buffer);
  mem.set(query.subarray(0, qBytes), 0);
  mem.set(cand.subarray(0, nc * 32), cAt);
  k.nearest2(0, nq, cAt, nc, outAt);
  return new Int32Array(k.memory.buffer.slice(outAt, outAt + nq * 12));
}
