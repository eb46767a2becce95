/**
 * The slice of the WebAssembly JS API the SIMD kernels use (the project's TypeScript lib has no DOM/WebAssembly
 * types), shared by every kernel module so each only declares its own exports.
 */

/** A kernel instance's linear memory. */
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Compiles a base64-embedded module, or null where WebAssembly (SIMD) is unavailable: callers then run their JS path. */
export function compileModule(base64: string): object | null {
  try {
    return wasm ? new wasm.Module(Buffer.from(base64, 'base64')) : null;
  } catch {
    return null; // no WebAssembly SIMD here
  }
}

/** A fresh instance of a compiled module, its exports typed as the caller's kernel interface. */
export function instantiate<K>(module: object): K {
  return new wasm!.Instance(module, {}).exports as K;
}

/** Compiles and instantiates in one step (null where unavailable). */
export function loadKernels<K>(base64: string): K | null {
  const m = compileModule(base64);
  try {
    return m ? instantiate<K>(m) : null;
  } catch {
    return null;
  }
}
