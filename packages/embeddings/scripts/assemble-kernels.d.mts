/** WAT -> WebAssembly bytes with wabt, fixed-width SIMD enabled. */
export function assembleKernels(wat: string): Promise<Uint8Array>;
