"""PyTorch/NumPy reference for @bertweb/qa (the reader's parity test).

Usage (from the repository root):
    node --conditions=source --import tsx packages/qa/src/test-utils/dump-qa-inputs.ts /tmp/qa-inputs.json
    /usr/bin/python3 models/scripts/ref_qa.py /tmp/qa-inputs.json packages/qa/src/__fixtures__/qa-reference.json

The input holds, per fixture model and case, the question's and the context's token ids (no special
tokens) and the context's character offsets, as bertweb's tokenizer produced them. Everything after
tokenization is re-implemented here, independently of the TypeScript code:

- windows: Hugging Face's overflow rule for truncation `only_second` with `stride` (windows of
  `budget = max_length - len(question) - 3` context tokens starting every `budget - stride` tokens until one
  reaches the end); the stride is reduced to `budget // 2` when a long question leaves little room (the
  reader's documented rule);
- the model: the fixture rebuilt with bertlib (PyTorch), one forward pass per window;
- span search by brute force over the full (start, end) matrix (O(n^2)): softmax of the start and of the
  end logits over [CLS] + the window's context tokens, score = p_start[s] * p_end[e] for context tokens
  with s <= e and e - s + 1 <= max_answer_length; the best span over all windows (first window, then
  smallest (s, e) on ties); character offsets from the token offsets; the no-answer score is the smallest
  p_start[CLS] * p_end[CLS] over the windows.

Output (small, committed): per model and case the window ranges, the best span (char start, end, score),
the margin to the second-best distinct span, the top-3 distinct spans and the no-answer score; plus the raw
logits of the first window for a few cases (logit parity within 1e-4).
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bertlib  # noqa: E402

LOGIT_CASES = ("unicode-0", "unicode-2", "squad-0")


def make_windows(n_question, n_context, max_length, doc_stride):
    budget = max_length - n_question - 3
    if budget < 1:
        raise ValueError("question too long")
    stride = min(doc_stride, budget // 2)
    step = budget - stride
    windows = []
    start = 0
    while True:
        end = min(start + budget, n_context)
        windows.append((start, end))
        if end == n_context:
            return windows
        start += step


def softmax_over(logits, domain):
    values = logits[domain].astype(np.float64)
    exp = np.exp(values - values.max())
    out = np.zeros(len(logits), dtype=np.float64)
    out[domain] = exp / exp.sum()
    return out


def run_window(model, token_types, cls, sep, question, context_part):
    ids = [cls] + question + [sep] + context_part + [sep]
    inputs = {
        "input_ids": torch.tensor([ids], dtype=torch.int64),
        "attention_mask": torch.ones((1, len(ids)), dtype=torch.int64),
    }
    if token_types:
        types = [0] * (len(question) + 2) + [1] * (len(context_part) + 1)
        inputs["token_type_ids"] = torch.tensor([types], dtype=torch.int64)
    with torch.no_grad():
        out = bertlib.run(model, inputs)
    return ids, out["start_logits"][0].numpy(), out["end_logits"][0].numpy()


def reference_case(model, meta, case, settings):
    question, context, offsets = case["question"], case["context"], case["offsets"]
    first_context = len(question) + 2
    windows = make_windows(len(question), len(context), settings["maxLength"], settings["docStride"])
    spans = {}  # (char start, char end) -> [score, discovery rank]
    null_scores = []
    first_logits = None
    rank = 0
    for w, (ws, we) in enumerate(windows):
        ids, start_logits, end_logits = run_window(
            model, meta["tokenTypes"], meta["cls"], meta["sep"], question, context[ws:we]
        )
        if w == 0:
            first_logits = (ids, start_logits, end_logits)
        n_ctx = we - ws
        ctx_positions = list(range(first_context, first_context + n_ctx))
        domain = [0] + ctx_positions
        p_start = softmax_over(start_logits, domain)
        p_end = softmax_over(end_logits, domain)
        null_scores.append(p_start[0] * p_end[0])
        if n_ctx == 0:
            continue
        ps = p_start[ctx_positions]
        pe = p_end[ctx_positions]
        matrix = np.outer(ps, pe)  # [s, e] over context tokens
        i, j = np.meshgrid(np.arange(n_ctx), np.arange(n_ctx), indexing="ij")
        valid = (j >= i) & (j - i < settings["maxAnswerLength"])
        # Every valid span, best first, (s, e) order on ties (np.lexsort: last key is primary).
        s_idx, e_idx = np.nonzero(valid)
        scores = matrix[s_idx, e_idx]
        order = np.lexsort((e_idx, s_idx, -scores))
        # The global top 3 of distinct character spans is always among each window's top 3; keep 10.
        for k in order[:10]:
            s, e = ws + int(s_idx[k]), ws + int(e_idx[k])
            key = (offsets[s][0], offsets[e][1])
            score = float(scores[k])
            if key not in spans:
                spans[key] = [score, rank]
                rank += 1
            elif score > spans[key][0]:
                spans[key][0] = score
    ranked = sorted(spans.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
    top = [[k[0], k[1], v[0]] for k, v in ranked[:3]]
    result = {
        "id": case["id"],
        "windows": [list(w) for w in windows],
        "best": top[0] if top else None,
        # Relative gap between the best and the second-best distinct span: float32 logits (about 1e-6
        # apart between runtimes) cannot flip spans whose gap is well above that.
        "margin": (ranked[0][1][0] - ranked[1][1][0]) / ranked[0][1][0] if len(ranked) > 1 else None,
        "top3": top,
        "nullScore": float(min(null_scores)),
    }
    return result, first_logits


def main():
    source, target = sys.argv[1], sys.argv[2]
    data = json.loads(Path(source).read_text())
    settings = data["settings"]
    out = {"settings": settings, "models": {}}
    for name, meta in data["models"].items():
        model = bertlib.build_fixture_model(name)
        model.eval()
        cases, logits = [], {}
        long_windows = []
        for case in meta["cases"]:
            result, first = reference_case(model, meta, case, settings)
            cases.append(result)
            if case["id"].startswith("long-"):
                long_windows.append(len(case["context"]) / settings["maxLength"])
            if case["id"] in LOGIT_CASES:
                ids, s, e = first
                logits[case["id"]] = {
                    "ids": ids,
                    "start": [float(np.float32(x)) for x in s],
                    "end": [float(np.float32(x)) for x in e],
                }
        out["models"][name] = {"cases": cases, "logits": logits}
        margins = sorted(c["margin"] for c in cases if c["margin"] is not None)
        near = sum(1 for m in margins if m < 1e-4)
        print(
            f"{name}: {len(cases)} cases, {sum(len(c['windows']) for c in cases)} windows, "
            f"long contexts {min(long_windows):.1f}-{max(long_windows):.1f} x {settings['maxLength']} tokens, "
            f"relative margin min {margins[0]:.2e}, median {margins[len(margins) // 2]:.2e}, "
            f"near-ties (< 1e-4): {near}"
        )
    Path(target).write_text(json.dumps(out, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
