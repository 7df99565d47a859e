/** What this browser offers: WebGPU adapter, cross-origin isolation (WASM threads), online state. */
import { h, replace } from './dom.js';

interface GpuLike {
  requestAdapter(): Promise<{
    info?: { vendor?: string; architecture?: string };
    features: { has(f: string): boolean };
  } | null>;
}

/** Fills the header's platform line. */
export async function showPlatform(target: HTMLElement): Promise<void> {
  const gpu = (navigator as { gpu?: GpuLike }).gpu;
  let webgpu = 'WebGPU: not available';
  if (gpu) {
    try {
      const adapter = await gpu.requestAdapter();
      webgpu = adapter
        ? `WebGPU: ${[adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(' ') || 'adapter found'}${adapter.features.has('shader-f16') ? ' (f16)' : ''}`
        : 'WebGPU: no adapter';
    } catch {
      webgpu = 'WebGPU: adapter request failed';
    }
  }
  const threads = crossOriginIsolated
    ? `WASM: up to ${Math.min(4, navigator.hardwareConcurrency || 1)} threads`
    : 'WASM: 1 thread (page is not cross-origin isolated)';
  const online = h('span', { class: 'online', 'data-testid': 'online' });
  const updateOnline = () => {
    online.textContent = navigator.onLine ? '' : ' · offline';
  };
  window.addEventListener('online', updateOnline);
  window.addEventListener('offline', updateOnline);
  updateOnline();
  replace(target, `${webgpu} · ${threads}`, online);
  target.dataset.webgpu =
    webgpu.includes('not') || webgpu.includes('no adapter') || webgpu.includes('failed') ? 'no' : 'yes';
}
