/**
 * The model section of a tab: pick a model (embedded, catalog, DeepPavlov config, hub id / URL, local
 * files), a backend and a dtype; load it in the worker with per-file progress; show the backend report and
 * timings.
 */
import type { BackendPreference, Dtype, ModelSource, ProgressEvent, RemoteHead } from '@bertweb/core';
import type { appTasks } from '../worker.js';
import type { Activity } from './activity.js';
import { backendReportView } from './backend-report.js';
import { type AppClient, type AppTask, ensureClient } from './client.js';
import { field, h, replace } from './dom.js';
import { formatMs } from './format.js';
import { droppedFiles, isCheckpoint } from './local-files.js';
import { Metrics } from './metrics.js';
import { modelNotice } from './model-notice.js';
import { choicesFor, defaultChoiceKey, type ModelChoice, type TabTask } from './models.js';
import { DownloadProgress } from './progress.js';
import type { AppSettings } from './settings.js';

/** The head a slot loads, as seen through the worker. */
export type HeadOf<K extends AppTask> = RemoteHead<Awaited<ReturnType<(typeof appTasks)[K]>>>;

/** How a slot is wired into its tab. */
export interface SlotConfig {
  readonly tab: TabTask;
  readonly settings: AppSettings;
  readonly client: AppClient;
  readonly activity: Activity;
  /** Called with errors of loads started from the slot's own Load button. */
  readonly onError: (error: unknown, context: string) => void;
  /** Clears the tab's messages when a new action starts. */
  readonly onStart: () => void;
}

const CUSTOM = 'custom';
const LOCAL = 'local';

interface Loaded<K extends AppTask> {
  readonly signature: string;
  readonly head: HeadOf<K>;
}

/** A tab's model: picker, Load/Cancel, progress, backend report and metrics. */
export class ModelSlot<K extends AppTask> {
  readonly element: HTMLElement;
  readonly metrics = new Metrics();
  readonly #progress = new DownloadProgress();
  readonly #choices: ModelChoice[];
  readonly #select: HTMLSelectElement;
  readonly #custom: HTMLInputElement;
  readonly #customField: HTMLElement;
  readonly #localField: HTMLElement;
  readonly #folderInput: HTMLInputElement;
  readonly #filesInput: HTMLInputElement;
  readonly #localSummary: HTMLElement;
  readonly #base: HTMLInputElement;
  readonly #dpFiles: HTMLInputElement;
  readonly #dpFilesField: HTMLElement;
  readonly #backend: HTMLSelectElement;
  readonly #dtype: HTMLSelectElement;
  readonly #notice: HTMLElement;
  readonly #report: HTMLElement;
  readonly #loadButton: HTMLButtonElement;
  readonly #cancelButton: HTMLButtonElement;
  #localFiles: Record<string, File> = {};
  #loaded: Loaded<K> | undefined;
  #loads = 0;

  constructor(
    readonly task: K,
    private readonly config: SlotConfig,
  ) {
    const { tab, settings, activity } = config;
    this.#choices = choicesFor(tab, settings.fixtures);
    this.#select = h('select', { name: 'model', 'data-testid': 'model-select' });
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const choice of this.#choices) {
      let group = groups.get(choice.group);
      if (!group) {
        group = h('optgroup', { label: choice.group });
        groups.set(choice.group, group);
        this.#select.append(group);
      }
      group.append(h('option', { value: choice.key }, choice.label));
    }
    this.#select.append(
      h(
        'optgroup',
        { label: 'Other' },
        h('option', { value: CUSTOM }, 'Any hub id or folder URL…'),
        h('option', { value: LOCAL }, 'A folder or files on this device…'),
      ),
    );
    this.#select.value = defaultChoiceKey(tab, settings.fixtures);

    this.#custom = h('input', {
      type: 'text',
      name: 'source',
      placeholder: 'owner/name, owner/name@revision or https://…/model/',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.#customField = field(
      'Hub id or URL',
      this.#custom,
      'A model folder in the Hugging Face layout with onnx/*.onnx, or one with PyTorch / safetensors weights only (converted in this page on load, then cached).',
    );
    this.#dpFiles = h('input', {
      type: 'url',
      name: 'deeppavlov-files',
      placeholder: 'http://files.deeppavlov.ai (the config’s own URLs)',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    this.#dpFiles.value = settings.deeppavlovFilesUrl ?? '';
    this.#dpFilesField = field(
      'DeepPavlov files server',
      this.#dpFiles,
      'The config’s tarball is fetched from its own URL (files.deeppavlov.ai), or from this mirror with the same paths. The browser must be allowed to fetch it: an https page cannot fetch http URLs, and the server must send CORS headers.',
    );
    this.#folderInput = h('input', { type: 'file', webkitdirectory: true, multiple: true });
    this.#filesInput = h('input', { type: 'file', multiple: true });
    this.#localSummary = h('p', { class: 'hint', 'aria-live': 'polite' }, 'Or drop a model folder here.');
    this.#base = h('input', { type: 'text', name: 'base', autocomplete: 'off', spellcheck: 'false' });
    const takeFiles = (list: FileList | null) => this.#takeFiles(list ? [...list] : []);
    this.#folderInput.addEventListener('change', () => takeFiles(this.#folderInput.files));
    this.#filesInput.addEventListener('change', () => takeFiles(this.#filesInput.files));
    this.#localField = h(
      'div',
      { class: 'dropzone' },
      field('Model folder', this.#folderInput),
      field('…or its files (config.json, tokenizer, onnx/…)', this.#filesInput),
      this.#localSummary,
      field(
        'Base model for a checkpoint without config or tokenizer (optional)',
        this.#base,
        'PyTorch checkpoints (pytorch_model.bin, *.safetensors, DeepPavlov .tar.gz) are converted to ONNX in the page; a hub id or URL here supplies config.json and the tokenizer they lack.',
      ),
    );
    this.#localField.addEventListener('dragover', (event) => {
      event.preventDefault();
      this.#localField.classList.add('over');
    });
    this.#localField.addEventListener('dragleave', () => this.#localField.classList.remove('over'));
    this.#localField.addEventListener('drop', (event) => {
      event.preventDefault();
      this.#localField.classList.remove('over');
      void droppedFiles(event.dataTransfer).then((files) => this.#takeFiles(files));
    });

    this.#backend = h(
      'select',
      { name: 'backend', 'data-testid': 'backend-select' },
      h('option', { value: 'auto' }, 'Auto (WebGPU if it can, else WASM)'),
      h('option', { value: 'webgpu' }, 'WebGPU'),
      h('option', { value: 'wasm' }, 'WASM (CPU)'),
    );
    this.#backend.value = settings.backend;
    this.#dtype = h(
      'select',
      { name: 'dtype' },
      h('option', { value: '' }, 'Auto (q8 on WASM, fp16/fp32 on WebGPU)'),
      h('option', { value: 'fp32' }, 'fp32'),
      h('option', { value: 'fp16' }, 'fp16'),
      h('option', { value: 'q8' }, 'q8 (int8)'),
      h('option', { value: 'q4' }, 'q4 (4-bit, WebGPU)'),
    );
    this.#dtype.value = settings.dtype ?? '';

    this.#notice = h('div', { class: 'notice', 'data-testid': 'model-notice' });
    this.#report = h('div', { class: 'report' });
    this.#loadButton = h('button', { type: 'button', class: 'primary' }, 'Load model');
    this.#cancelButton = h('button', { type: 'button', class: 'cancel', hidden: true }, 'Cancel');
    this.#loadButton.addEventListener('click', () => void this.#loadFromButton());
    this.#cancelButton.addEventListener('click', () => activity.cancel());
    activity.onChange((kind) => {
      this.#loadButton.disabled = kind !== undefined;
      this.#cancelButton.hidden = kind !== 'load';
    });
    for (const control of [this.#select, this.#backend, this.#dtype, this.#dpFiles]) {
      control.addEventListener('change', () => this.#updateChoiceUi());
    }

    this.element = h(
      'section',
      { class: 'card model-slot', 'aria-label': 'Model' },
      h('h3', {}, 'Model'),
      h(
        'div',
        { class: 'row' },
        field('Model', this.#select),
        field('Backend', this.#backend),
        field('Precision', this.#dtype),
      ),
      this.#customField,
      this.#dpFilesField,
      this.#localField,
      this.#notice,
      h('div', { class: 'actions' }, this.#loadButton, this.#cancelButton),
      this.#progress.element,
      this.#report,
      this.metrics.element,
    );
    this.#updateChoiceUi();
    window.addEventListener('online', () => this.#updateChoiceUi());
    window.addEventListener('offline', () => this.#updateChoiceUi());
  }

  /**
   * Selects a choice of the picker by key (`dp:ner_rus_bert`, `hub:owner/name`); false when the picker
   * has no such choice.
   */
  choose(key: string): boolean {
    if (!this.#choices.some((c) => c.key === key)) return false;
    this.#select.value = key;
    this.#updateChoiceUi();
    return true;
  }

  /** The loaded head, when the current selection is loaded. */
  get head(): HeadOf<K> | undefined {
    return this.#loaded?.signature === this.#signature() ? this.#loaded.head : undefined;
  }

  /** The head for the current selection, loading it first when needed (with the caller's signal). */
  async ensure(signal: AbortSignal): Promise<HeadOf<K>> {
    return this.head ?? this.load(signal);
  }

  /** Loads the current selection (replacing the previous model once the new one is ready). */
  async load(signal: AbortSignal): Promise<HeadOf<K>> {
    const signature = this.#signature();
    const source = this.#source();
    const backend = this.#backend.value as BackendPreference;
    const dtype = (this.#dtype.value || undefined) as Dtype | undefined;
    const hubBaseUrl = this.config.settings.hubBaseUrl;
    this.#progress.reset();
    replace(this.#report);
    this.metrics.clear();
    const started = performance.now();
    const client = ensureClient(this.config.client);
    // Only this load's events: a cancelled load's worker may still report for a while.
    const token = ++this.#loads;
    const onProgress = (event: ProgressEvent) => {
      if (token === this.#loads) this.#progress.onEvent(event);
    };
    const options = {
      backend,
      ...(dtype ? { dtype } : {}),
      ...(hubBaseUrl ? { hubBaseUrl } : {}),
      onProgress,
      signal,
    };
    this.element.dataset.state = 'loading';
    const create = async (): Promise<HeadOf<K>> => {
      let from = source;
      if (this.#select.value === LOCAL && isCheckpoint(Object.keys(this.#localFiles))) {
        from = await this.#convert(client, backend, dtype, signal, onProgress);
      }
      return (client.create as (task: K, source: ModelSource, options: object) => Promise<HeadOf<K>>)(
        this.task,
        from,
        options,
      );
    };
    try {
      const head = await create();
      const ms = performance.now() - started;
      const previous = this.#loaded;
      this.#loaded = { signature, head };
      if (previous && previous.head !== head) void previous.head.dispose().catch(() => undefined);
      this.#progress.finish(`Ready in ${formatMs(ms)}`);
      const report = (head as { backend?: Parameters<typeof backendReportView>[0] }).backend;
      if (report) replace(this.#report, backendReportView(report));
      this.metrics.loaded(ms);
      this.element.dataset.state = 'ready';
      this.#updateChoiceUi();
      return head;
    } catch (error) {
      this.element.dataset.state = 'error';
      this.#progress.finish(signal.aborted ? 'Cancelled' : 'Failed');
      throw error;
    }
  }

  /** Converts the chosen checkpoint files to an ONNX model folder in the worker (@bertweb/convert). */
  async #convert(
    client: AppClient,
    backend: BackendPreference,
    dtype: Dtype | undefined,
    signal: AbortSignal,
    onProgress: (event: ProgressEvent) => void,
  ): Promise<ModelSource> {
    // One variant: what the chosen backend runs best (q8 on WASM, fp32 on WebGPU without shader-f16).
    const variant: Dtype = dtype ?? (backend === 'webgpu' ? 'fp32' : 'q8');
    const converter = await client.create('converter');
    try {
      const base = this.#base.value.trim();
      const files = await converter.convert(this.#localFiles, {
        dtypes: [variant],
        ...(base ? { base } : {}),
        signal,
        onProgress,
      });
      this.element.dataset.converted = Object.keys(files).sort().join(' ');
      return { files, name: 'converted in this page' };
    } finally {
      void converter.dispose().catch(() => undefined);
    }
  }

  async #loadFromButton(): Promise<void> {
    const { activity } = this.config;
    this.config.onStart();
    const signal = activity.begin('load');
    try {
      await this.load(signal);
    } catch (error) {
      this.config.onError(error, 'Loading the model failed');
    } finally {
      activity.end(signal);
    }
  }

  /** Identity of the selection: a change means the loaded head no longer matches. */
  #signature(): string {
    const key = this.#select.value;
    const detail =
      key === CUSTOM
        ? this.#custom.value.trim()
        : key === LOCAL
          ? `${Object.keys(this.#localFiles).sort().join('|')}|${this.#base.value.trim()}`
          : this.#choice()?.deeppavlov
            ? this.#dpFiles.value.trim()
            : '';
    return [key, detail, this.#backend.value, this.#dtype.value].join('\n');
  }

  #source(): ModelSource {
    const key = this.#select.value;
    if (key === CUSTOM) {
      const text = this.#custom.value.trim();
      if (/^(https?:)?\/\//.test(text) || text.startsWith('/') || text.startsWith('./')) {
        return new URL(text.endsWith('/') ? text : `${text}/`, document.baseURI).href;
      }
      return text;
    }
    if (key === LOCAL) return { files: this.#localFiles, name: 'local files' };
    const choice = this.#choice();
    if (!choice) throw new Error(`unknown model ${key}`);
    if (choice.deeppavlov) {
      // The worker needs an absolute URL: a path typed here is relative to the page.
      const mirror = this.#dpFiles.value.trim();
      return {
        deeppavlov: choice.source,
        ...(mirror ? { filesBaseUrl: new URL(mirror, document.baseURI).href.replace(/\/+$/, '') } : {}),
      };
    }
    return choice.source;
  }

  #choice(): ModelChoice | undefined {
    return this.#choices.find((c) => c.key === this.#select.value);
  }

  #takeFiles(files: File[]): void {
    const map: Record<string, File> = {};
    for (const file of files) map[file.webkitRelativePath || file.name] = file;
    this.#localFiles = map;
    const count = files.length;
    this.#localSummary.textContent =
      count === 0 ? 'No files chosen.' : `${count} file${count === 1 ? '' : 's'} chosen.`;
    this.#updateChoiceUi();
  }

  #updateChoiceUi(): void {
    const key = this.#select.value;
    this.#customField.hidden = key !== CUSTOM;
    this.#localField.hidden = key !== LOCAL;
    const choice = this.#choice();
    this.#dpFilesField.hidden = choice?.deeppavlov === undefined;
    this.#notice.dataset.kind = choice?.remote ? 'download' : 'local';
    const source =
      choice ?? (key === CUSTOM ? 'custom' : isCheckpoint(Object.keys(this.#localFiles)) ? 'checkpoint' : 'local');
    replace(this.#notice, ...modelNotice(source, (this.#dtype.value || 'q8') as Dtype, navigator.onLine));
    this.#loadButton.textContent = this.head !== undefined ? 'Reload model' : 'Load model';
  }
}
