/** Shows which backend and dtype were chosen, and every reason along the way. */
import type { BackendReport } from '@bertweb/core';
import { h } from './dom.js';

/** `WebGPU · fp32 (onnx/model.onnx)` plus details: adapter, threads, SIMD, isolation, reasons. */
export function backendReportView(report: BackendReport): HTMLElement {
  const name = report.backend === 'webgpu' ? 'WebGPU' : 'WASM';
  const wasm = report.wasm;
  const facts = [
    report.backend === 'wasm'
      ? `${wasm.threads} thread${wasm.threads === 1 ? '' : 's'}${wasm.simd ? ', SIMD' : ''}`
      : `adapter ${[report.webgpu.adapter?.vendor, report.webgpu.adapter?.architecture].filter(Boolean).join(' ') || 'unknown'}${report.webgpu.shaderF16 ? ', shader-f16' : ''}`,
    wasm.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (1 WASM thread)',
  ];
  return h(
    'div',
    { class: 'backend-report', 'data-backend': report.backend, 'data-dtype': report.dtype },
    h(
      'p',
      {},
      'Running on ',
      h('strong', { class: 'backend-name' }, name),
      ' · ',
      h('strong', {}, report.dtype),
      ` (${report.file}) · ${facts.join(' · ')}`,
    ),
    h(
      'details',
      {},
      h('summary', {}, `Why this backend (${report.reasons.length} reason${report.reasons.length === 1 ? '' : 's'})`),
      h('ul', { class: 'reasons' }, ...report.reasons.map((reason) => h('li', {}, reason))),
    ),
  );
}
