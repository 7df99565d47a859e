// WAT -> WebAssembly bytes with wabt, fixed-width SIMD enabled (shared by the build script and the test
// that checks the committed bytes).
import createWabt from 'wabt';

/** @param {string} wat @returns {Promise<Uint8Array>} */
export async function assembleKernels(wat) {
  const wabt = await createWabt();
  const module = wabt.parseWat('kernels.wat', wat, { simd: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ canonicalize_lebs: true }).buffer);
  } finally {
    module.destroy();
  }
}
