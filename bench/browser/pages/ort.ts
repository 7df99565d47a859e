/** Raw onnxruntime-web, `onnxruntime-web/webgpu`: the build (and version) bertweb loads in browsers. */
import './trace.js';
import { install } from './common.js';
import { rawSystem } from './raw-ort.js';

// A chunk of its own: ORT starts its pthread workers from its module's URL, which must not be this page.
const ort = await import('onnxruntime-web/webgpu');
install(rawSystem('onnxruntime-web', ort));
