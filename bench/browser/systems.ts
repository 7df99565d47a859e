/** The systems under test: one page each, in bench/browser/pages/. */

/**
 * Keys of the systems (also their page names).
 *
 * @example
 * ```ts
 * for (const system of SYSTEM_KEYS) console.log(systemUrl(origin, system, 2));
 * ```
 */
export const SYSTEM_KEYS = ['bertweb', 'bertweb-worker', 'transformers', 'ort', 'ort-wasm'] as const;
/**
 * One system.
 *
 * @example
 * ```ts
 * const system: SystemKey = 'bertweb-worker';
 * ```
 */
export type SystemKey = (typeof SYSTEM_KEYS)[number];

/**
 * How each system is named in the tables.
 *
 * @example
 * ```ts
 * SYSTEM_LABELS.ort; // 'raw onnxruntime-web (webgpu build, as bertweb)'
 * ```
 */
export const SYSTEM_LABELS: Readonly<Record<SystemKey, string>> = {
  bertweb: 'bertweb, in page',
  'bertweb-worker': 'bertweb, Web Worker (connect + bertweb/worker)',
  transformers: 'Transformers.js pipeline',
  ort: 'raw onnxruntime-web (webgpu build, as bertweb)',
  'ort-wasm': 'raw onnxruntime-web, WASM-only build',
};

/**
 * The page URL of a system on the bench server.
 *
 * @example
 * ```ts
 * systemUrl('http://127.0.0.1:8080', 'bertweb', 2, true); // '.../bertweb.html?threads=2&trace=1'
 * ```
 */
export function systemUrl(origin: string, system: SystemKey, threads: number, trace = false): string {
  return `${origin}/${system}.html?threads=${threads}${trace ? '&trace=1' : ''}`;
}
