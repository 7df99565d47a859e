"""PyTorch reference for @bertweb/embeddings (the embedder's parity test).

Usage (from the repository root):
    node --conditions=source --import tsx packages/embeddings/src/test-utils/dump-embedding-inputs.ts /tmp/emb.json
    /usr/bin/python3 models/scripts/ref_embeddings.py /tmp/emb.json packages/embeddings/src/__fixtures__/embeddings-reference.json

The input holds, per fixture model (bert-base, distilbert-base) and text, the untruncated token ids and word
ids (no special tokens) from bertweb's tokenizer. Everything else is computed here, independently:

- windows: `[CLS] + ids[k*(L-2):(k+1)*(L-2)] + [SEP]` for L = max_length; truncation keeps window 0, chunking
  keeps them all (Hugging Face's overflow with stride 0 for a single sequence);
- the model: the fixture rebuilt with bertlib, run on ALL windows as ONE zero-padded batch with an attention
  mask (as DeepPavlov and sentence-transformers run it), so padding handling is exercised too;
- DeepPavlov's TransformersBertEmbedder outputs, with its formulas: subword_emb = hidden * mask,
  max_emb = max(hidden - 1e9 * (1 - mask)), mean_emb = sum(hidden * mask) / sum(mask) (special tokens
  included), word_emb = hidden at the start-of-word markers (first subtoken of each word; [CLS]/[SEP] are
  not words), pooler_output;
- sentence-transformers pooling, with its own formulas: mean = sum(emb * mask) / clamp(sum(mask), 1e-9),
  max = max over emb with masked positions set to -1e9, cls = emb[:, 0]; plus the pooler output;
- chunk-and-average: mean weights each window by its token count, max is the element-wise max of the window
  maxima, cls / pooler average the windows;
- L2-normalized mean.
Texts without tokens (empty, whitespace) are skipped: the embedder gives them zero vectors by contract.
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bertlib  # noqa: E402


def f32(tensor):
    """Values with 8 significant digits (float32 precision; the tests compare within 1e-4)."""
    return [float("%.8g" % x) for x in tensor.reshape(-1).tolist()]


def windows_of(ids, max_length, cls, sep):
    room = max_length - 2
    chunks = [ids[i : i + room] for i in range(0, len(ids), room)] or [[]]
    return [[cls] + chunk + [sep] for chunk in chunks]


def run_batch(model, windows, pad, token_types):
    longest = max(len(w) for w in windows)
    ids = torch.full((len(windows), longest), pad, dtype=torch.int64)
    mask = torch.zeros((len(windows), longest), dtype=torch.int64)
    for i, w in enumerate(windows):
        ids[i, : len(w)] = torch.tensor(w)
        mask[i, : len(w)] = 1
    inputs = {"input_ids": ids, "attention_mask": mask}
    if token_types:
        inputs["token_type_ids"] = torch.zeros_like(ids)
    with torch.no_grad():
        out = bertlib.run(model, inputs)
    return out["last_hidden_state"], out.get("pooler_output"), mask


def st_pool(hidden, mask, mode):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "mean":
        return (hidden * m).sum(0) / torch.clamp(m.sum(0), min=1e-9)
    if mode == "max":
        h = hidden.clone()
        h[m.expand_as(h) == 0] = -1e9
        return h.max(0)[0]
    return hidden[0]


def main():
    source, target = sys.argv[1], sys.argv[2]
    data = json.loads(Path(source).read_text())
    max_length = data["maxLength"]
    out = {"maxLength": max_length, "models": {}}
    for name, meta in data["models"].items():
        model = bertlib.build_fixture_model(name)
        model.eval()
        cls, sep, pad = meta["cls"], meta["sep"], meta["pad"]
        # One padded batch with every window of every non-empty text.
        owners, windows = [], []
        for t, text in enumerate(meta["texts"]):
            if not text["ids"]:
                continue
            for k, w in enumerate(windows_of(text["ids"], max_length, cls, sep)):
                owners.append((t, k))
                windows.append(w)
        hidden, pooler, mask = run_batch(model, windows, pad, meta["tokenTypes"])
        texts = []
        for t, text in enumerate(meta["texts"]):
            rows = [i for i, (owner, _) in enumerate(owners) if owner == t]
            if not rows:
                texts.append(None)
                continue
            first = rows[0]
            n = int(mask[first].sum())
            h = hidden[first, :n]
            am = mask[first, :n].unsqueeze(-1).to(h.dtype)
            # DeepPavlov formulas on the first (truncated) window.
            subword = h * am
            dp_max = torch.max(h - 1e9 * (1 - am), dim=0)[0]
            dp_mean = torch.sum(subword, dim=0) / torch.sum(am, dim=0)
            word_ids = text["wordIds"][: max_length - 2]
            starts = [0] + [1 if i == 0 or word_ids[i] != word_ids[i - 1] else 0 for i in range(len(word_ids))] + [0]
            word_emb = subword[torch.tensor(starts, dtype=torch.bool)]
            entry = {
                "windows": [windows[i] for i in rows],
                "subtokenEmbeddings": f32(subword),
                "tokenEmbeddings": f32(word_emb),
                "sentenceMax": f32(dp_max),
                "sentenceMean": f32(dp_mean),
                "pooler": f32(pooler[first]) if pooler is not None else None,
                "truncate": {},
                "chunk": {},
            }
            for mode in ("mean", "max", "cls", "pooler"):
                if mode == "pooler" and pooler is None:
                    continue
                per_window = []
                for i in rows:
                    k = int(mask[i].sum())
                    vec = pooler[i] if mode == "pooler" else st_pool(hidden[i, :k], mask[i, :k], mode)
                    per_window.append((vec.double(), k))
                entry["truncate"][mode] = f32(per_window[0][0])
                if mode == "mean":
                    total = sum(k for _, k in per_window)
                    combined = sum(v * k for v, k in per_window) / total
                elif mode == "max":
                    combined = torch.stack([v for v, _ in per_window]).max(0)[0]
                else:
                    combined = sum(v for v, _ in per_window) / len(per_window)
                entry["chunk"][mode] = f32(combined)
            mean = st_pool(h, mask[first, :n], "mean").double()
            entry["truncate"]["meanNormalized"] = f32(mean / mean.norm())
            texts.append(entry)
        out["models"][name] = {"texts": texts}
        print(f"{name}: {len(windows)} windows for {sum(1 for t in texts if t)} texts")
    Path(target).write_text(json.dumps(out, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
