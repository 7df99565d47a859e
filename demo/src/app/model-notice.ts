/** What the model picker says about a choice: download size, conversion, offline, local files. */
import { h } from './dom.js';
import { formatApproxMB } from './format.js';
import type { ModelChoice } from './models.js';

type Dtype = 'fp32' | 'fp16' | 'q8' | 'q4';

/** A picker choice, or one of the "Other" sources. */
export type NoticeSource = ModelChoice | 'custom' | 'checkpoint' | 'local';

/** `max_seq_length 512, max_subword_length 15, no CRF`: what a DeepPavlov config sets, in its own words. */
function deepPavlovSettings(settings: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  if (typeof settings.maxSeqLength === 'number') parts.push(`max_seq_length ${settings.maxSeqLength}`);
  if (typeof settings.maxSubwordLength === 'number') parts.push(`max_subword_length ${settings.maxSubwordLength}`);
  if (settings.doLowerCase === true) parts.push('lowercased');
  if (settings.useCrf === true) parts.push('CRF');
  if (settings.multilabel === true) parts.push('multilabel');
  if (settings.isBinary === true) parts.push('binary');
  return parts.join(', ') || 'defaults';
}

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
        h('strong', {}, e.needsConversion ? 'Converted on first load: ' : 'Needs a download: '),
        e.needsConversion
          ? `this hub repo has PyTorch weights and no ONNX files: the first load downloads the checkpoint (${formatApproxMB(e.sizesMB.fp32)}), converts it to ${dtype} in this page (@bertweb/convert, in the worker) and caches only the converted model (${formatApproxMB(e.sizesMB[dtype])}); later loads, offline too, read that.${e.onnxAlternative ? ` An ONNX copy exists: ${e.onnxAlternative}.` : ''}`
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
  } else if (typeof source === 'object' && source.deeppavlov) {
    const d = source.deeppavlov;
    const tarballs = d.downloads.filter((x) => x.needed).map((x) => x.url.split('/').pop() ?? x.url);
    out.push(
      h(
        'p',
        {},
        h('strong', {}, 'DeepPavlov 1.7 config, converted on first load: '),
        `the first load downloads its tarball (${tarballs.join(', ') || 'none'}, PyTorch weights)${d.base ? ` and the config and tokenizer of ${d.base} from the hub` : ''}, unpacks and converts it to ${dtype} in this page (@bertweb/convert, in the worker) and caches only the converted model (${formatApproxMB(d.sizesMB[dtype])}); later loads, offline too, read that.`,
      ),
      h(
        'p',
        { class: 'hint' },
        `Runs with the config’s own settings (${deepPavlovSettings(d.settings)}). ${d.architecture}.`,
      ),
    );
  } else if (typeof source === 'object') {
    if (source.note) out.push(h('p', {}, source.note));
  } else if (source === 'custom') {
    out.push(
      h(
        'p',
        {},
        'Hub models download on first use and are cached in this browser; a repo with PyTorch / safetensors weights only is converted to ONNX in this page first.',
      ),
    );
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
