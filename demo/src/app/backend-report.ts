/** Shows which backend and dtype were chosen, every reason along the way, and whether the model was converted. */
import type { BackendReport } from '@bertweb/core';
import { h } from './dom.js';

/**
 * `Converted in this page from pytorch_model.bin (@bertweb/convert 0.2.0)` (naming the DeepPavlov config
 * when there is one), or `... read from the cache of converted models` when this load converted nothing.
 */
function conversionView(converted: NonNullable<BackendReport['converted']>): HTMLElement {
  const from = converted.from.join(', ');
  const config = converted.config;
  return h(
    'p',
    {
      class: 'converted',
      'data-testid': 'converted',
      'data-cached': String(converted.cached),
      'data-converter': converted.converter,
      ...(config ? { 'data-config': config } : {}),
    },
    h('strong', {}, converted.cached ? 'Converted earlier' : 'Converted in this page'),
    ` from ${from}${config ? ` (DeepPavlov config ${config})` : ''} by @bertweb/convert ${converted.converter}`,
    converted.cached
      ? ': read from the cache of converted models, nothing converted or downloaded again.'
      : config
        ? ': the tarball was unpacked and converted with its base model and the config’s settings; the result is cached for the next load.'
        : ': the hub repo has no ONNX file for this precision; the result is cached for the next load.',
  );
}

/** `WebGPU · fp32 (onnx/model.onnx)` plus details: adapter, threads, SIMD, isolation, reasons, conversion. */
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
    {
      class: 'backend-report',
      'data-backend': report.backend,
      'data-dtype': report.dtype,
      ...(report.converted ? { 'data-converted': report.converted.cached ? 'cached' : 'now' } : {}),
    },
    h(
      'p',
      {},
      'Running on ',
      h('strong', { class: 'backend-name' }, name),
      ' · ',
      h('strong', {}, report.dtype),
      ` (${report.file}) · ${facts.join(' · ')}`,
    ),
    report.converted ? conversionView(report.converted) : null,
    h(
      'details',
      {},
      h('summary', {}, `Why this backend (${report.reasons.length} reason${report.reasons.length === 1 ? '' : 's'})`),
      h('ul', { class: 'reasons' }, ...report.reasons.map((reason) => h('li', {}, reason))),
    ),
  );
}
