/** What the model picker says about a choice: download size, conversion, offline, local files. */
import { h } from './dom.js';
import { formatApproxMB } from './format.js';
import type { ModelChoice } from './models.js';

type Dtype = 'fp32' | 'fp16' | 'q8' | 'q4';

/** A picker choice, or one of the "Other" sources. */
export type NoticeSource = ModelChoice | 'custom' | 'checkpoint' | 'local';

/** The notice's paragraphs for a choice (sizes for the selected dtype; q8 when automatic). */
export function modelNotice(source: NoticeSource, dtype: Dtype, online: boolean): HTMLElement[] {
  const out: HTMLElement[] = [];
  const remote = source === 'custom' || (typeof source === 'object' && source.remote);
  if (typeof source === 'object' && source.entry) {
    const e = source.entry;
    out.push(
      h(
        'p',
        {},
        h('strong', {}, e.needsConversion ? 'Needs conversion: ' : 'Needs a download: '),
        e.needsConversion
          ? `this hub repo has no ONNX files. Convert it with @bertweb/convert${e.onnxAlternative ? ` or pick the ONNX copy ${e.onnxAlternative}` : ''}.`
          : `about ${formatApproxMB(e.sizesMB[dtype])} from huggingface.co on first use (sizes approximate), then cached in this browser.`,
      ),
      h(
        'p',
        { class: 'hint' },
        `${e.languages.join(', ')} · ${e.license ?? 'license not stated'} · `,
        h('a', { href: e.source, target: '_blank', rel: 'noopener' }, 'model card'),
        ` · ${e.notes}`,
      ),
    );
  } else if (typeof source === 'object') {
    if (source.note) out.push(h('p', {}, source.note));
  } else if (source === 'custom') {
    out.push(h('p', {}, 'Hub models download on first use and are cached in this browser.'));
  } else if (source === 'checkpoint') {
    out.push(
      h(
        'p',
        {},
        h('strong', {}, 'Checkpoint: '),
        'these files will be converted to ONNX in this page (@bertweb/convert) and then loaded. Nothing is uploaded.',
      ),
    );
  } else {
    out.push(h('p', {}, 'Files stay on this device; nothing is uploaded.'));
  }
  if (remote && !online) {
    out.push(h('p', { class: 'offline-note' }, 'You are offline: a hub model loads only if it was cached before.'));
  }
  return out;
}
