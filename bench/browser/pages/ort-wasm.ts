/**
 * Raw onnxruntime-web, WASM-only build (`onnxruntime-web/wasm`, ort-wasm-simd-threaded.wasm, about half
 * the size of the WebGPU build's binary): what loading would cost if bertweb picked it for WASM models.
 */
import './trace.js';
import { install } from './common.js';
import { rawSystem } from './raw-ort.js';

// A chunk of its own: ORT starts its pthread workers from its module's URL, which must not be this page.
const ort = await import('onnxruntime-web/wasm');
install(rawSystem('onnxruntime-web (WASM-only build)', ort));
