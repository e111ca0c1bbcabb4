import { vi } from 'vitest';

// Setup file of the vitest project `core-javascript-kernels`: core's WebAssembly kernel modules
// do not instantiate, as where WebAssembly SIMD is missing or a Content-Security-Policy forbids
// compiling it, so the noise and image suites run on the JavaScript kernels.
vi.mock('../wasm/instantiate-kernels.js', () => ({ instantiateKernels: () => null }));
