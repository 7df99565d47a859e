/**
 * QA tab: a question and a (long) context; the best answer is highlighted in the context, with the
 * top-k answers and scores. Long contexts are read in overlapping windows by the reader.
 */
import { field, h, replace } from '../app/dom.js';
import { formatScore } from '../app/format.js';
import { type TabContext, TabFrame } from '../app/tab-frame.js';

const CONTEXT = `BERT (Bidirectional Encoder Representations from Transformers) was introduced in October 2018 by researchers at Google. It learns to represent text as a sequence of vectors by self-supervised learning on a large corpus, using masked language modeling and next sentence prediction.

The original English-language BERT has two sizes: BERT-base, with 12 encoders and 12 bidirectional self-attention heads totaling 110 million parameters, and BERT-large, with 24 encoders and 16 heads totaling 340 million parameters. Both were trained on the Toronto BookCorpus (800 million words) and English Wikipedia (2,500 million words).

RuBERT was trained by DeepPavlov, a conversational AI lab at the Moscow Institute of Physics and Technology, on the Russian part of Wikipedia and news data. Its vocabulary of 120 thousand subword units was built from that Russian text, and its weights were initialized from multilingual BERT.

DistilBERT, released by Hugging Face in 2019, keeps about 97 percent of BERT's language understanding while being 40 percent smaller and 60 percent faster. It has 6 layers and no token type embeddings.

bertweb runs these models in a web browser. Inference happens in a Web Worker with onnxruntime-web, on the GPU through WebGPU when an adapter is available, and on the CPU through WebAssembly otherwise. Downloaded models are stored with the Cache API, so a model that was loaded once keeps working offline.`;

const QUESTIONS = [
  'How many parameters does BERT-base have?',
  'Who trained RuBERT?',
  'Where are downloaded models stored?',
  'When was BERT introduced?',
];

interface Answer {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly score: number;
  readonly noAnswer: boolean;
}

/** Builds the QA tab. */
export function qaTab(ctx: TabContext): TabFrame<'reader'> {
  const frame = new TabFrame(
    'qa',
    'reader',
    'Question answering',
    'Extractive QA (SQuAD style): the answer is a span of the context. Long contexts are read in overlapping windows.',
    ctx,
  );
  const question = h('input', { type: 'text', name: 'question', autocomplete: 'off' });
  question.value = QUESTIONS[0] ?? '';
  const suggestions = h(
    'div',
    { class: 'samples', role: 'group', 'aria-label': 'Sample questions' },
    ...QUESTIONS.map((q) => h('button', { type: 'button', class: 'chip', onclick: () => (question.value = q) }, q)),
  );
  const context = h('textarea', { name: 'context', rows: 10 });
  context.value = CONTEXT;
  const topK = h('select', { name: 'topk' }, ...[1, 3, 5, 10].map((k) => h('option', { value: k }, String(k))));
  topK.value = '3';
  const card = frame.addForm(
    'Question and context',
    [field('Question', question), suggestions, field('Context', context), field('Answers to show', topK)],
    'Answer',
    async () => {
      const q = question.value;
      const c = context.value;
      const k = Number(topK.value);
      const answers = await frame.run((reader, signal) => reader.answer(q, c, { topK: k, signal }), {
        items: 1,
        chars: q.length + c.length,
      });
      if (answers) card.show(...renderAnswers(c, answers));
    },
  );
  return frame;
}

function renderAnswers(context: string, answers: readonly Answer[]): HTMLElement[] {
  const highlighted = h('div', { class: 'qa-context', 'data-testid': 'qa-context' });
  const show = (answer: Answer | undefined) => {
    if (!answer || answer.noAnswer) {
      replace(highlighted, context);
      return;
    }
    replace(
      highlighted,
      context.slice(0, answer.start),
      h(
        'mark',
        { class: 'answer', 'data-start': answer.start, 'data-end': answer.end },
        context.slice(answer.start, answer.end),
      ),
      context.slice(answer.end),
    );
    scrollToMark(highlighted);
  };
  const best = answers[0];
  show(best);
  // Once shown: bring the highlight into the context box's view (the box scrolls, the page does not).
  requestAnimationFrame(() => scrollToMark(highlighted));
  const list = h(
    'ol',
    { class: 'answers', 'data-testid': 'qa-answers' },
    ...answers.map((answer, i) =>
      h(
        'li',
        { 'data-start': answer.start, 'data-end': answer.end },
        h(
          'button',
          { type: 'button', class: 'link', 'aria-label': `Highlight answer ${i + 1}`, onclick: () => show(answer) },
          answer.noAnswer ? h('em', {}, 'no answer') : h('span', { class: 'answer-text' }, answer.text),
        ),
        h('span', { class: 'score' }, ` score ${formatScore(answer.score)}`),
      ),
    ),
  );
  return [
    h('h3', {}, 'Answer'),
    h('p', { class: 'best-answer', 'data-testid': 'qa-best' }, best && !best.noAnswer ? best.text : 'No answer found.'),
    list,
    h('h3', {}, 'In context'),
    highlighted,
  ];
}

function scrollToMark(box: HTMLElement): void {
  const mark = box.querySelector('mark');
  if (!mark || !box.isConnected) return;
  box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3); // the box is the offsetParent
}
