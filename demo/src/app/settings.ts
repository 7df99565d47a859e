/** Page-wide settings read once from the URL (useful for links, and for the e2e specs). */
import type { BackendPreference, Dtype } from '@bertweb/core';

/** What the URL asks for. */
export interface AppSettings {
  /** `?models=fixtures`: tabs default to the repo's tiny test models (no hub downloads). */
  readonly fixtures: boolean;
  /** `?backend=auto|webgpu|wasm`: the initial backend of every tab. */
  readonly backend: BackendPreference;
  /** `?dtype=fp32|fp16|q8|q4`: the initial dtype (default: the runtime's choice per backend). */
  readonly dtype: Dtype | undefined;
  /** `?hub=https://mirror.example`: a Hugging Face hub mirror for hub ids. */
  readonly hubBaseUrl: string | undefined;
  /**
   * `?dpFiles=https://mirror.example`: where DeepPavlov configs' tarballs are downloaded from, in place of
   * files.deeppavlov.ai (the initial value of the slot's "DeepPavlov files server" field).
   */
  readonly deeppavlovFilesUrl: string | undefined;
}

const BACKENDS: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm'];
const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q8', 'q4'];

/** Reads the settings from `location.search`. */
export function readSettings(search: string = location.search): AppSettings {
  const params = new URLSearchParams(search);
  const backend = params.get('backend') as BackendPreference | null;
  const dtype = params.get('dtype') as Dtype | null;
  const hub = params.get('hub');
  const dpFiles = params.get('dpFiles');
  return {
    fixtures: params.get('models') === 'fixtures',
    backend: backend && BACKENDS.includes(backend) ? backend : 'auto',
    dtype: dtype && DTYPES.includes(dtype) ? dtype : undefined,
    hubBaseUrl: hub && /^https?:\/\//.test(hub) ? hub.replace(/\/+$/, '') : undefined,
    deeppavlovFilesUrl: dpFiles && /^https?:\/\//.test(dpFiles) ? dpFiles.replace(/\/+$/, '') : undefined,
  };
}
