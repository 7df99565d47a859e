/** The frame every task tab shares: heading, model slot, input form with Run/Cancel, messages, output. */
import { Activity } from './activity.js';
import type { AppClient, AppTask } from './client.js';
import { h, replace } from './dom.js';
import { errorView } from './errors.js';
import { type HeadOf, ModelSlot } from './model-slot.js';
import type { TabTask } from './models.js';
import type { AppSettings } from './settings.js';

/** What a tab module gets from the app. */
export interface TabContext {
  readonly settings: AppSettings;
  readonly client: AppClient;
}

/** Size of one call's input, for the throughput figures. */
export interface CallSize {
  readonly items: number;
  readonly chars: number;
}

/** One input form of a tab with its Run/Cancel buttons and its own results area. */
export interface TaskForm {
  readonly form: HTMLFormElement;
  readonly output: HTMLElement;
  /** Replaces the results area's content and shows it. */
  show(...children: HTMLElement[]): void;
}

/** Panel + model slot + input forms (Run/Cancel) + messages + results of one tab. */
export class TabFrame<K extends AppTask> {
  readonly panel: HTMLElement;
  readonly activity = new Activity();
  readonly slot: ModelSlot<K>;
  readonly #forms: HTMLElement;
  readonly #messages: HTMLElement;
  readonly #status: HTMLElement;

  constructor(
    readonly tab: TabTask,
    task: K,
    title: string,
    intro: string,
    ctx: TabContext,
  ) {
    this.#messages = h('div', { class: 'messages' });
    this.#status = h('p', { class: 'status', role: 'status' });
    this.slot = new ModelSlot(task, {
      tab,
      settings: ctx.settings,
      client: ctx.client,
      activity: this.activity,
      onError: (error, context) => this.showError(error, context),
      onStart: () => this.clearMessages(),
    });
    this.#forms = h('div', { class: 'forms' });
    this.panel = h(
      'section',
      { class: 'panel', role: 'tabpanel', id: `panel-${tab}`, 'aria-labelledby': `tab-${tab}`, tabindex: '-1' },
      h('h2', {}, title),
      h('p', { class: 'intro' }, intro),
      this.slot.element,
      this.#status,
      this.#messages,
      this.#forms,
    );
    this.activity.onChange((kind) => {
      this.panel.dataset.busy = kind ?? '';
    });
  }

  /** Adds an input form with a Run button (and a Cancel shown while it runs); `onRun` runs on submit. */
  addForm(label: string, fields: HTMLElement[], runLabel: string, onRun: () => Promise<void>): TaskForm {
    const run = h('button', { type: 'submit', class: 'primary' }, runLabel);
    const cancel = h('button', { type: 'button', class: 'cancel', hidden: true }, 'Cancel');
    cancel.addEventListener('click', () => this.activity.cancel());
    let mine = false;
    this.activity.onChange((kind) => {
      run.disabled = kind !== undefined;
      if (kind === undefined) mine = false;
      cancel.hidden = !(kind === 'run' && mine);
    });
    const form = h(
      'form',
      { class: 'card task-form', 'aria-label': label },
      h('h3', {}, label),
      ...fields,
      h('div', { class: 'actions' }, run, cancel),
    );
    const output = h('section', { class: 'card output', 'aria-label': `${label}: results`, hidden: true });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (this.activity.busy) return;
      mine = true;
      void onRun();
    });
    this.#forms.append(form, output);
    return {
      form,
      output,
      show: (...children) => {
        replace(output, ...children);
        output.hidden = false;
      },
    };
  }

  /**
   * Runs one call: loads the model if needed, times the call, records metrics, reports errors.
   * Resolves `undefined` when it failed or was cancelled.
   */
  async run<T>(work: (head: HeadOf<K>, signal: AbortSignal) => Promise<T>, size: CallSize): Promise<T | undefined> {
    this.clearMessages();
    const signal = this.activity.begin('run');
    try {
      if (this.slot.head === undefined) this.#status.textContent = 'Loading the model…';
      const head = await this.slot.ensure(signal);
      this.#status.textContent = 'Running…';
      const started = performance.now();
      const result = await work(head, signal);
      const ms = performance.now() - started;
      this.slot.metrics.record({ ms, ...size });
      this.#status.textContent = `Done in ${ms.toFixed(0)} ms.`;
      return result;
    } catch (error) {
      this.#status.textContent = '';
      this.showError(error, signal.aborted ? 'Cancelled' : 'Failed');
      return undefined;
    } finally {
      this.activity.end(signal);
    }
  }

  showError(error: unknown, context: string): void {
    this.#messages.append(errorView(error, context));
  }

  clearMessages(): void {
    replace(this.#messages);
  }
}
