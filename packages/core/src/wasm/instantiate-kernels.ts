/**
 * Instantiates one of core's WebAssembly SIMD kernel modules (noise/noise-kernels.wat,
 * image/pixel-kernels.wat; generated with their base64 binaries by tools/wasm/), which import
 * nothing. Returns its exports, or null where this runtime cannot run it: no WebAssembly, no
 * SIMD, or a Content-Security-Policy that forbids compiling. Callers then run their JavaScript
 * kernels, which give the same results. Synchronous: the binaries stay under 4 KiB, the most that
 * older Chromium versions compile synchronously on a page's main thread.
 */
export function instantiateKernels(base64: string): Record<string, unknown> | null {
  try {
    if (typeof WebAssembly !== 'object' || typeof atob !== 'function') return null;
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as Record<string, unknown>;
  } catch {
    return null;
  }
}
