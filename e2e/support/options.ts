/** Options shared by the Playwright config and the spec fixtures. */
import { existsSync } from 'node:fs';

/** Debian Chromium flags: headless, WebGPU on SwiftShader, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium` (no Playwright browser downloads here). */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`Chromium not found at ${path} (apt install chromium, or set CHROMIUM_PATH)`);
  return path;
}

/** Per-project options (worker scoped, so worker fixtures can read them). */
export interface E2eOptions {
  /** The app's base URL (same as `baseURL`, readable by worker fixtures). */
  appURL: string;
  backend: 'wasm' | 'webgpu';
  target: 'dev' | 'preview';
}
