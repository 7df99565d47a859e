#!/usr/bin/python3
"""Train the demo's embedded Russian NER tagger (PER / ORG / LOC) from scratch on factRuEval-2016 dev.

The model is bertlib.BertForTokenClassification (Hugging Face parameter names), the vocabulary is the
project's own WordPiece (build_wordpiece_vocab.py). Tokenization matches the runtime: each word is
split by BERT's basic tokenizer and WordPiece, the sequence is [CLS] pieces [SEP], and a word's tag is
read from its first subtoken (DeepPavlov's rule); other subtokens are not trained (label -100).

Words are the run-time words: bertweb's DeepPavlov 1.7 split of each sentence's text
(ner_data.resplit: "[\d]+[\d\.,]+[\d]+|[\w'\.:@]+|[^\w ]", final "." split off), with the gold
entities (character spans from the corpus tokens) mapped onto them. Labels are set at the granularity
of the basic tokenizer, from those character spans: the word "Путин:" (entity "Путин") trains "Путин"
B-PER and ":" O; "Санкт-Петербургу" trains "Санкт" B-LOC, "-" I-LOC, "Петербургу" I-LOC. The subtoken
sequence does not depend on the word split (the basic tokenizer splits punctuation either way), so
every split at least as coarse as the basic tokenizer reads trained positions: tag() with the 1.7
split (the default) or the legacy one, and tagWords() on corpus tokens.

--crf stats adds DeepPavlov's CRF (deeppavlov/models/torch_bert/crf.py in 1.x, used by
torch_transformers_sequence_tagger with use_crf): it is not trained by gradient; transitions are 0 for
every tag bigram seen in the training tags and -1000 for the others, start and end scores stay 0,
and Viterbi decodes the word-level logits. The model folder then gets crf.json in bertweb's format.
--crf learned trains a linear-chain CRF on the word-level logits jointly (negative log-likelihood).

For a model that sees 30k words of text: dropout; random re-segmentation of words into shorter
WordPiece pieces (test words missing from the vocabulary arrive as short pieces), more often inside
entities; occasional [UNK] words; position embeddings started as sinusoids (then trained as usual).
Optionally (--form-init 1, tried and not better on the held-out documents) word-piece embeddings start
from spelling features. A document-level slice of dev is held out for early stopping. Test is read only by --eval-test after training and by
--eval-model; neither feeds back into training.

The defaults are the shipped model's recipe. On this machine's PyTorch (reference BLAS) the linear
layers run through oneDNN (use_fast_linear); saved references use the plain path.

Usage (see models/scripts/README.md for the full recipe):
  train_ner.py --vocab VOCAB --augment AUG.conll --out models/ner-ru-tiny --eval-test
  train_ner.py --eval-model models/ner-ru-tiny
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import sys
import time
import types
from collections import Counter

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ner_data  # noqa: E402
from bertlib import BertForTokenClassification  # noqa: E402
from build_wordpiece_vocab import WordPiece, basic_tokenize  # noqa: E402

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
WORD_SPLIT = "1.7"  # the run-time split the training words come from (bertweb's default)
LABEL_ID = {label: i for i, label in enumerate(LABELS)}
IGNORE = -100
CLS, SEP, PAD = "[CLS]", "[SEP]", "[PAD]"
MAX_PIECES = 510  # 512 positions minus [CLS] and [SEP]

# ----------------------------------------------------------------------------------------------
# Encoding
# ----------------------------------------------------------------------------------------------


class Encoder:
    """Sentence -> subtoken ids, training labels, and the first subtoken of every corpus word."""

    def __init__(self, wp: WordPiece):
        self.wp = wp
        self.cls = wp.ids[CLS]
        self.sep = wp.ids[SEP]
        self.pretok_cache: dict[str, list[str]] = {}
        self.ids_cache: dict[str, list[int]] = {}

    def _pretokens(self, word: str) -> list[str]:
        if word not in self.pretok_cache:
            self.pretok_cache[word] = basic_tokenize(word)
        return self.pretok_cache[word]

    def _ids(self, pretoken: str) -> list[int]:
        if pretoken not in self.ids_cache:
            self.ids_cache[pretoken] = self.wp.word_ids(pretoken)
        return self.ids_cache[pretoken]

    def _noisy_ids(self, pretoken: str, rng: random.Random, max_len: int) -> list[int]:
        """Greedy longest match with pieces capped at max_len characters: the short-piece
        segmentation that words unseen in training get at test time."""
        ids, start = [], 0
        while start < len(pretoken):
            end = min(len(pretoken), start + max_len)
            while end > start:
                piece = pretoken[start:end] if start == 0 else "##" + pretoken[start:end]
                if piece in self.wp.ids:
                    ids.append(self.wp.ids[piece])
                    break
                end -= 1
            if end == start:
                return [self.wp.unk_id]
            start = end
        return ids

    def encode(
        self,
        words: list[str],
        tags: list[str] | None,
        rng: random.Random | None = None,
        p_resegment: float = 0.0,
        p_unk: float = 0.0,
        p_resegment_entity: float | None = None,
        piece_tags: list[list[str]] | None = None,
    ) -> tuple[list[int], list[int], list[int]]:
        """(input ids with [CLS]/[SEP], labels per position, position of each word's first subtoken
        or -1 when the word has no subtokens). ``piece_tags[i][j]`` labels the j-th basic-tokenizer
        piece of word i; without it a word's later pieces continue its tag (I-)."""
        ids = [self.cls]
        labels = [IGNORE]
        first = []
        for i, word in enumerate(words):
            tag = tags[i] if tags is not None else "O"
            p_reseg = p_resegment if tag == "O" or p_resegment_entity is None else p_resegment_entity
            first.append(-1)
            for j, pt in enumerate(self._pretokens(word)):
                if rng is not None and p_unk and rng.random() < p_unk:
                    piece_ids = [self.wp.unk_id]
                elif rng is not None and p_reseg and len(pt) > 2 and rng.random() < p_reseg:
                    piece_ids = self._noisy_ids(pt, rng, rng.randint(1, max(1, min(4, len(pt) - 1))))
                else:
                    piece_ids = self._ids(pt)
                if j == 0:
                    first[i] = len(ids)
                if piece_tags is not None:
                    label = piece_tags[i][j]
                elif j == 0:
                    label = tag
                else:
                    label = "I-" + tag[2:] if tag != "O" else "O"
                ids.extend(piece_ids)
                labels.append(LABEL_ID[label])
                labels.extend([IGNORE] * (len(piece_ids) - 1))
        ids.append(self.sep)
        labels.append(IGNORE)
        return ids, labels, first


def piece_tags(sentence: ner_data.Sentence, encoder: Encoder) -> list[list[str]]:
    """Tags of every basic-tokenizer piece of every word, from the gold character spans
    (``meta["spans"]`` of ner_data.resplit): B- on the first piece an entity overlaps, I- on the others."""
    pieces: list[tuple[int, int]] = []  # document character span of each piece, in order
    counts: list[int] = []
    for w in sentence.words:
        at = 0
        pts = encoder._pretokens(w.text)
        for pt in pts:
            found = w.text.find(pt, at)
            if found < 0:
                raise ValueError(f"piece {pt!r} not found in word {w.text!r} (normalisation?)")
            pieces.append((w.start + found, w.start + found + len(pt)))
            at = found + len(pt)
        counts.append(len(pts))
    flat = ["O"] * len(pieces)
    for start, end, label in sentence.meta["spans"]:
        covered = [k for k, (a, b) in enumerate(pieces) if a < end and b > start]
        for n, k in enumerate(covered):
            flat[k] = ("B-" if n == 0 else "I-") + label
    out, k = [], 0
    for c in counts:
        out.append(flat[k : k + c])
        k += c
    return out


def chunk_sentence(sentence: ner_data.Sentence, encoder: Encoder) -> list[tuple]:
    """(words, word tags, piece tags) of a resplit sentence; one whose subtokens exceed the model limit
    is split into word windows (rare)."""
    words = [w.text for w in sentence.words]
    pieces = piece_tags(sentence, encoder)
    ids, _, _ = encoder.encode(words, None)
    if len(ids) - 2 <= MAX_PIECES:
        return [(words, sentence.tags, pieces)]
    out, current, current_tags, current_pieces, n = [], [], [], [], 0
    for w, t, pt in zip(words, sentence.tags, pieces):
        k = sum(len(encoder._ids(p)) for p in encoder._pretokens(w))
        if current and n + k > MAX_PIECES:
            out.append((current, current_tags, current_pieces))
            current, current_tags, current_pieces, n = [], [], [], 0
            if t.startswith("I-"):
                t = "B-" + t[2:]
            if pt and pt[0].startswith("I-"):
                pt = ["B-" + pt[0][2:], *pt[1:]]
        current.append(w)
        current_tags.append(t)
        current_pieces.append(pt)
        n += k
    out.append((current, current_tags, current_pieces))
    return out


def batches(items: list, batch_tokens: int, rng: random.Random | None):
    """Length-bucketed batches of about batch_tokens padded positions."""
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    out, current, longest = [], [], 0
    for i in order:
        n = len(items[i][0])
        if current and max(longest, n) * (len(current) + 1) > batch_tokens:
            out.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, n)
    if current:
        out.append(current)
    if rng is not None:
        rng.shuffle(out)
    return out


def collate(items: list, index: list[int], pad_id: int):
    longest = max(len(items[i][0]) for i in index)
    input_ids = torch.full((len(index), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(index), longest), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(index), longest), dtype=torch.long)
    for row, i in enumerate(index):
        ids, lab = items[i][0], items[i][1]
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(lab)] = torch.tensor(lab)
        mask[row, : len(ids)] = 1
    return input_ids, mask, labels


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------


def _mkldnn_mm(a: torch.Tensor, b_t: torch.Tensor) -> torch.Tensor:
    """a @ b_t.T through oneDNN (both 2-D, float32)."""
    return torch._C._nn.mkldnn_linear(a.contiguous().to_mkldnn(), b_t.contiguous().to_mkldnn()).to_dense()


class _MkldnnLinear(torch.autograd.Function):
    """nn.Linear whose three GEMMs (forward, grad input, grad weight) run in oneDNN.

    This machine's PyTorch links the reference (netlib) BLAS, about 1 GFLOP/s on one core, while its
    bundled oneDNN does 10-16 GFLOP/s; the math is the same (checked against F.linear in
    use_fast_linear), only the summation order differs."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        flat = x.reshape(-1, x.shape[-1])
        return (_mkldnn_mm(flat, weight) + bias).reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        g = grad.reshape(-1, grad.shape[-1])
        flat = x.reshape(-1, x.shape[-1])
        grad_x = _mkldnn_mm(g, weight.t()).reshape(x.shape)
        grad_w = _mkldnn_mm(g.t(), flat.t())
        return grad_x, grad_w, g.sum(0)


def _fast_linear_forward(self: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    return _MkldnnLinear.apply(x, self.weight, self.bias)


def use_fast_linear(model: nn.Module) -> bool:
    """Route every nn.Linear of `model` through oneDNN when available and numerically equal
    (parameter names and state dict are untouched). Returns whether it did."""
    if not torch.backends.mkldnn.is_available():
        return False
    probe = nn.Linear(24, 40)
    x = torch.randn(3, 5, 24, requires_grad=True)
    ref = probe(x)
    ref_grads = torch.autograd.grad(ref.square().sum(), (x, probe.weight, probe.bias))
    fast = _fast_linear_forward(probe, x)
    fast_grads = torch.autograd.grad(fast.square().sum(), (x, probe.weight, probe.bias))
    if not torch.allclose(ref, fast, atol=1e-4) or not all(
        torch.allclose(a, b, atol=1e-3, rtol=1e-4) for a, b in zip(ref_grads, fast_grads)
    ):
        return False
    for module in model.modules():
        if isinstance(module, nn.Linear) and module.bias is not None:
            module.forward = types.MethodType(_fast_linear_forward, module)
    return True


def use_plain_linear(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, nn.Linear) and "forward" in module.__dict__:
            del module.forward


def make_config(vocab_size: int, hidden: int, layers: int, heads: int, intermediate: int, dropout: float) -> dict:
    return {
        "architectures": ["BertForTokenClassification"],
        "model_type": "bert",
        "attention_probs_dropout_prob": dropout,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": dropout,
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": intermediate,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": vocab_size,
        "id2label": {str(i): label for i, label in enumerate(LABELS)},
        "label2id": dict(LABEL_ID),
        "torch_dtype": "float32",
    }


@torch.no_grad()
def init_weights(model: nn.Module, std: float, generator: torch.Generator) -> None:
    """Hugging Face's BertPreTrainedModel._init_weights: normal(0, std) weights, zero biases,
    LayerNorm 1/0, zero padding embedding row."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.weight.normal_(0.0, std, generator=generator)
            module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, std, generator=generator)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()


def piece_form_features(piece: str) -> list[str]:
    """Spelling features of a vocabulary entry: case, script, digits, punctuation, whether it
    continues a word, and its first / last characters (lower-cased). See init_form_embeddings."""
    if piece.startswith("[") and piece.endswith("]"):
        return ["special:" + piece]
    cont = piece.startswith("##") and len(piece) > 2
    body = piece[2:] if cont else piece
    feats = ["continuation" if cont else "word-start"]
    if body[:1].isupper():
        feats.append("cont-upper" if cont else "upper")
        if len(body) > 1 and body.isupper():
            feats.append("all-upper")
    if body.isdigit():
        feats.append("digits")
    if all(not ch.isalnum() for ch in body):
        feats.append("punct:" + body)
    elif any("a" <= ch.lower() <= "z" for ch in body):
        feats.append("latin")
    elif any("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in body):
        feats.append("cyrillic")
    low = body.lower()
    feats += ["first:" + low[:1], "last:" + low[-1:], "last2:" + low[-2:], "last3:" + low[-3:]]
    return feats


CASE_FEATURES = {"upper", "cont-upper", "all-upper"}
CASE_FEATURE_WEIGHT = 2.0  # capitalisation is the strongest single cue for a Russian name


@torch.no_grad()
def init_form_embeddings(model: nn.Module, vocab: list[str], std: float, generator: torch.Generator) -> None:
    """Start every word-piece embedding as its own random vector plus shared random vectors of its
    spelling features (piece_form_features). Only an initialisation. The idea: BERT has no case or
    shape features, and from a random start each capitalised piece must learn separately that it
    tends to begin a name, while pieces seen a few times in 30k words barely move from their start.
    Measured: a run with it (also with 600 augmented sentences, re-segmentation 0.25 / 0.5 and 16
    epochs) reached held-out F1 0.46 against 0.485 for the shipped recipe, within the noise of 213
    held-out entities (test: 0.417 vs 0.407). The shipped model does not use it (--form-init 0)."""
    table = model.bert.embeddings.word_embeddings.weight
    feature_vectors: dict[str, torch.Tensor] = {}
    for i, piece in enumerate(vocab):
        vec = torch.randn(table.shape[1], generator=generator)
        norm2 = 1.0
        for f in piece_form_features(piece):
            if f not in feature_vectors:
                feature_vectors[f] = torch.randn(table.shape[1], generator=generator)
            weight = CASE_FEATURE_WEIGHT if f in CASE_FEATURES else 1.0
            vec = vec + weight * feature_vectors[f]
            norm2 += weight * weight
        table[i] = vec * (std / math.sqrt(norm2))
    pad = model.bert.embeddings.word_embeddings.padding_idx
    if pad is not None:
        table[pad].zero_()


@torch.no_grad()
def init_sinusoidal_positions(model: nn.Module, std: float) -> None:
    """Start the learned absolute position embeddings from the Transformer's sinusoids (scaled to the
    other embeddings' std). Only an initialisation: they are trained like in BERT. From a random start,
    a model trained on 30k words barely learns word order in the time available (it tagged the second
    word of "Юрия Лужкова" B-PER); sinusoids make relative offsets linearly readable from the start."""
    table = model.bert.embeddings.position_embeddings.weight
    n, dim = table.shape
    position = torch.arange(n, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)
    table.mul_(std * math.sqrt(2.0))  # sin/cos have std 1/sqrt(2)


# ----------------------------------------------------------------------------------------------
# Evaluation (entity level, exact span and type, like seqeval's default mode)
# ----------------------------------------------------------------------------------------------


def prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": n_gold, "predicted": n_pred}


def entity_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        ge = set(ner_data.entities(g))
        pe = set(ner_data.entities(p))
        for e in ge:
            n_gold[e[2]] += 1
        for e in pe:
            n_pred[e[2]] += 1
            if e in ge:
                tp[e[2]] += 1
    out = {label: prf(tp[label], n_pred[label], n_gold[label]) for label in sorted(set(n_gold) | set(n_pred))}
    out["micro"] = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    return out


# ----------------------------------------------------------------------------------------------
# CRF (word level, pytorch-crf semantics: start + emissions + transitions[i][j] (tag i -> tag j) + end)
# ----------------------------------------------------------------------------------------------

NO_WORD_PIECES = -1e4  # emission of the non-O tags for a word without subtokens (it is tagged O)


def word_emissions(logits: torch.Tensor, first: list[int]) -> torch.Tensor:
    """[words x labels] logits at each word's first subtoken (DeepPavlov's token_from_subtoken)."""
    rows = [logits[pos] if pos >= 0 else torch.tensor([0.0] + [NO_WORD_PIECES] * (len(LABELS) - 1)) for pos in first]
    return torch.stack(rows) if rows else torch.zeros((0, len(LABELS)))


def crf_from_stats(tag_sequences: list[list[str]]) -> dict:
    """DeepPavlov 1.x's CRF (deeppavlov/models/torch_bert/crf.py, CRF.forward): transitions 0 for
    every tag bigram seen in the training tags, -1000 for the others; start and end stay 0."""
    seen = torch.zeros((len(LABELS), len(LABELS)), dtype=torch.bool)
    for tags in tag_sequences:
        for a, b in zip(tags, tags[1:]):
            seen[LABEL_ID[a], LABEL_ID[b]] = True
    transitions = torch.where(seen, torch.tensor(0.0), torch.tensor(-1000.0))
    return {"transitions": transitions, "start": torch.zeros(len(LABELS)), "end": torch.zeros(len(LABELS))}


def viterbi(emissions: torch.Tensor, crf: dict) -> list[int]:
    """pytorch-crf's _viterbi_decode for one sequence (ties: the lowest tag index, as torch.max)."""
    if emissions.shape[0] == 0:
        return []
    score = crf["start"] + emissions[0]
    history = []
    for t in range(1, emissions.shape[0]):
        total = score[:, None] + crf["transitions"] + emissions[t][None, :]
        score, best = total.max(dim=0)
        history.append(best)
    score = score + crf["end"]
    path = [int(score.argmax())]
    for best in reversed(history):
        path.append(int(best[path[-1]]))
    return path[::-1]


def crf_nll(emissions: torch.Tensor, tags: list[int], crf: dict) -> torch.Tensor:
    """Negative log-likelihood of one tag path under a linear-chain CRF (pytorch-crf's forward)."""
    tr = crf["transitions"]
    gold = crf["start"][tags[0]] + emissions[0, tags[0]]
    for t in range(1, len(tags)):
        gold = gold + tr[tags[t - 1], tags[t]] + emissions[t, tags[t]]
    gold = gold + crf["end"][tags[-1]]
    alpha = crf["start"] + emissions[0]
    for t in range(1, emissions.shape[0]):
        alpha = torch.logsumexp(alpha[:, None] + tr + emissions[t][None, :], dim=0)
    return torch.logsumexp(alpha + crf["end"], dim=0) - gold


def crf_json(crf: dict) -> dict:
    """bertweb's crf.json: {"transitions": [[..]], "start": [..], "end": [..]}, transitions[i][j] = i -> j."""
    r = lambda v: round(float(v), 6)  # noqa: E731
    return {
        "transitions": [[r(x) for x in row] for row in crf["transitions"]],
        "start": [r(x) for x in crf["start"]],
        "end": [r(x) for x in crf["end"]],
    }


@torch.no_grad()
def predict(
    model: nn.Module,
    encoder: Encoder,
    sentences: list[list[str]],
    batch_tokens: int = 4096,
    crf: dict | None = None,
) -> list[list[str]]:
    """Word-level tags from each word's first subtoken: argmax, or Viterbi with ``crf`` ('O' for a word
    without subtokens)."""
    model.eval()
    encoded = [encoder.encode(words, None) for words in sentences]
    items = [(ids, lab) for ids, lab, _ in encoded]
    out: list[list[str] | None] = [None] * len(sentences)
    for index in batches(items, batch_tokens, None):
        input_ids, mask, _ = collate(items, index, encoder.wp.ids[PAD])
        logits = model(input_ids, mask, torch.zeros_like(input_ids))[0]
        best = logits.argmax(-1)
        for row, i in enumerate(index):
            first = encoded[i][2]
            if crf is None:
                out[i] = [LABELS[int(best[row, pos])] if pos >= 0 else "O" for pos in first]
            else:
                out[i] = [LABELS[k] for k in viterbi(word_emissions(logits[row], first), crf)]
    return out  # type: ignore[return-value]


def evaluate(model: nn.Module, encoder: Encoder, sentences: list[tuple], crf: dict | None = None) -> dict:
    pred = predict(model, encoder, [s[0] for s in sentences], crf=crf)
    return entity_scores([s[1] for s in sentences], pred)


# ----------------------------------------------------------------------------------------------
# Saving
# ----------------------------------------------------------------------------------------------


def save_safetensors_f16(state: dict, path: str) -> None:
    """safetensors written by hand: u64 little-endian header size, JSON header, raw F16 data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(state):
        data = state[name].detach().to(torch.float16).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F16", "shape": list(state[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # keep the data 8-byte aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path: str) -> dict:
    """Reader for the files save_safetensors_f16 writes (F16 / F32), returning float32 tensors."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F16": torch.float16, "F32": torch.float32}
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensor = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[info["dtype"]])
        state[name] = tensor.reshape(info["shape"]).float()
    return state


def load_model_folder(folder: str) -> tuple[nn.Module, WordPiece]:
    """The saved model (config.json, vocab.txt, pytorch_model.bin or model.safetensors), eval mode."""
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    model = BertForTokenClassification(config)
    bin_path = os.path.join(folder, "pytorch_model.bin")
    if os.path.exists(bin_path):
        state = torch.load(bin_path, map_location="cpu")
    else:
        state = load_safetensors(os.path.join(folder, "model.safetensors"))
    model.load_state_dict(state)
    return model.eval(), WordPiece.from_file(os.path.join(folder, "vocab.txt"))


def write_json(path: str, value) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(value, f, ensure_ascii=False, indent=2)
        f.write("\n")


REFERENCE_SENTENCES = [
    "Владимир Путин провёл встречу с Ангелой Меркель в Москве.",
    "Компания «Газпром» увеличила поставки газа в Германию.",
    "Мэр Санкт-Петербурга Александр Беглов посетил Эрмитаж.",
    "В Новосибирске открылся филиал Сбербанка.",
    "Министр иностранных дел России Сергей Лавров прилетел в Пекин.",
]


@torch.no_grad()
def reference_outputs(model: nn.Module, wp: WordPiece) -> dict:
    """PyTorch logits for a few sentences, for parity checks of the converted ONNX model."""
    model.eval()
    cases = []
    for text in REFERENCE_SENTENCES:
        ids = [wp.ids[CLS], *wp.text_ids(text), wp.ids[SEP]]
        input_ids = torch.tensor([ids])
        mask = torch.ones_like(input_ids)
        types = torch.zeros_like(input_ids)
        logits = model(input_ids, mask, types)[0][0]
        cases.append(
            {
                "text": text,
                "tokens": wp.tokens(ids),
                "input_ids": ids,
                "attention_mask": mask[0].tolist(),
                "token_type_ids": types[0].tolist(),
                "logits": [[round(float(x), 5) for x in row] for row in logits],
                "argmax_labels": [LABELS[int(i)] for i in logits.argmax(-1)],
            }
        )
    return {"labels": LABELS, "dtype": "float32 (weights as saved)", "cases": cases}


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


def split_dev(sentences: list[ner_data.Sentence], holdout: float, seed: int):
    docs = sorted({s.doc for s in sentences})
    rng = random.Random(seed)
    rng.shuffle(docs)
    held = set(docs[: max(1, round(len(docs) * holdout))])
    return [s for s in sentences if s.doc not in held], [s for s in sentences if s.doc in held]


def test_sentences(words: str = WORD_SPLIT) -> list[tuple[list[str], list[str]]]:
    """factRuEval test with the words of ``words`` (the run-time split by default, or "corpus")."""
    return [([w.text for w in s.words], s.tags) for s in ner_data.load_split_words("test", words)]


def conll_sentences(path: str, stats: ner_data.Stats) -> list[ner_data.Sentence]:
    """A tagged CoNLL file (the augmentation) as resplit sentences: the text is the words joined by
    spaces, split again the run-time way, entities mapped like factRuEval's."""
    out = []
    for n, (words, tags) in enumerate(read_conll(path)):
        offsets, at = [], 0
        for w in words:
            offsets.append(ner_data.Word(w, at, at + len(w)))
            at += len(w) + 1
        sentence = ner_data.Sentence(f"{os.path.basename(path)}-{n}", offsets, tags, " ".join(words), 0)
        out.append(ner_data.resplit(sentence, WORD_SPLIT, stats))
    return out


def load_crf(folder: str) -> dict | None:
    path = os.path.join(folder, "crf.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    return {k: torch.tensor(raw[k], dtype=torch.float32) for k in ("transitions", "start", "end")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", help="vocab.txt from build_wordpiece_vocab.py (required for training)")
    ap.add_argument("--eval-model", help="only evaluate a saved model folder on factRuEval test, print JSON")
    ap.add_argument(
        "--eval-words",
        choices=ner_data.WORD_SPLITS,
        default=WORD_SPLIT,
        help="words for --eval-model / --eval-test: the run-time split (1.7, default) or the corpus tokens",
    )
    ap.add_argument(
        "--crf",
        choices=["none", "stats", "learned"],
        default="stats",
        help="stats: DeepPavlov's CRF (transitions from training tag bigrams, written to crf.json); "
        "learned: a CRF trained jointly (NLL); none: argmax only",
    )
    ap.add_argument("--augment", action="append", default=[], help="extra tagged CoNLL files (training only)")
    ap.add_argument("--out", help="model folder to write (omit for a dry run)")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=512)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=float, default=0.06, help="fraction of training")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--batch-tokens", type=int, default=500)
    ap.add_argument("--p-resegment", type=float, default=0.2)
    ap.add_argument("--p-unk", type=float, default=0.02)
    ap.add_argument(
        "--p-resegment-entity",
        type=float,
        default=0.4,
        help="re-segmentation probability for words inside entities (default: --p-resegment)",
    )
    ap.add_argument("--holdout", type=float, default=0.1, help="fraction of dev documents for early stopping")
    ap.add_argument("--patience", type=int, default=8)
    ap.add_argument("--max-minutes", type=float, default=24.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sinusoidal-init", type=int, default=1, help="1: start position embeddings as sinusoids")
    ap.add_argument(
        "--form-init", type=int, default=0, help="1: start word-piece embeddings from spelling features (tried, not shipped)"
    )
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-test", action="store_true", help="score the final model on factRuEval test")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    if args.eval_model:
        model, wp = load_model_folder(args.eval_model)
        sentences = test_sentences(args.eval_words)
        report = {"words": args.eval_words, "argmax": evaluate(model, Encoder(wp), sentences)}
        crf = load_crf(args.eval_model)
        if crf is not None:
            report["crf"] = evaluate(model, Encoder(wp), sentences, crf)
        print(json.dumps(report))
        return
    if not args.vocab:
        ap.error("--vocab is required for training")
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    started = time.time()

    wp = WordPiece.from_file(args.vocab)
    encoder = Encoder(wp)
    split_stats = ner_data.Stats()
    dev = ner_data.load_split_words("dev", WORD_SPLIT, stats=split_stats)
    train_sents, held_sents = split_dev(dev, args.holdout, args.seed)
    train = [c for s in train_sents for c in chunk_sentence(s, encoder)]
    n_real = len(train)
    for path in args.augment:
        train += [c for s in conll_sentences(path, split_stats) for c in chunk_sentence(s, encoder)]
    held = [c for s in held_sents for c in chunk_sentence(s, encoder)]
    print(
        f"train {n_real} dev sentences + {len(train) - n_real} augmented; held-out {len(held)} sentences "
        f"({len({s.doc for s in held_sents})} docs); words: {WORD_SPLIT} split, "
        f"{sum(split_stats.misaligned.values())} entities not on word boundaries",
        flush=True,
    )
    crf = crf_from_stats([t for _, t, _ in train]) if args.crf == "stats" else None

    config = make_config(len(wp.vocab), args.hidden, args.layers, args.heads, args.intermediate, args.dropout)
    model = BertForTokenClassification(config)
    init_weights(model, config["initializer_range"], torch.Generator().manual_seed(args.seed))
    if args.sinusoidal_init:
        init_sinusoidal_positions(model, config["initializer_range"])
    if args.form_init:
        init_form_embeddings(model, wp.vocab, config["initializer_range"], torch.Generator().manual_seed(args.seed + 1))
    n_params = sum(p.numel() for p in model.parameters())
    fast = use_fast_linear(model)
    print(f"params {n_params:,}; oneDNN linear: {fast}", flush=True)

    named = list(model.named_parameters())
    decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr
    )
    def lr_factor(progress: float) -> float:
        """Linear warmup, then linear decay to zero, over training progress in [0, 1]."""
        if progress < args.warmup:
            return progress / args.warmup
        return max(0.0, (1.0 - progress) / (1.0 - args.warmup))

    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE)
    if args.crf == "learned":
        crf = {k: nn.Parameter(torch.zeros(*shape)) for k, shape in
               (("transitions", (len(LABELS), len(LABELS))), ("start", (len(LABELS),)), ("end", (len(LABELS),)))}
        optimizer.add_param_group({"params": list(crf.values()), "weight_decay": 0.0})

    log = {
        "args": vars(args),
        "params": n_params,
        "word_split": WORD_SPLIT,
        "entities_not_on_word_boundaries": dict(sorted(split_stats.misaligned.items())),
        "epochs": [],
    }
    best_f1, best_state, best_epoch, bad_epochs, best_crf = -1.0, None, 0, 0, None
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        model.train()
        encoded = [
            encoder.encode(w, t, rng, args.p_resegment, args.p_unk, args.p_resegment_entity, pt) for w, t, pt in train
        ]
        items = [e[:2] for e in encoded]
        total, count = 0.0, 0
        epoch_batches = batches(items, args.batch_tokens, rng)
        for b, index in enumerate(epoch_batches):
            lr = args.lr * lr_factor((epoch - 1 + (b + 1) / len(epoch_batches)) / args.epochs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            input_ids, mask, labels = collate(items, index, wp.ids[PAD])
            logits = model(input_ids, mask, torch.zeros_like(input_ids))[0]
            loss = loss_fn(logits.view(-1, len(LABELS)), labels.view(-1))
            if args.crf == "learned":
                nll = [
                    crf_nll(word_emissions(logits[row], encoded[i][2]), [LABEL_ID[t] for t in train[i][1]], crf)
                    for row, i in enumerate(index)
                    if train[i][1]
                ]
                loss = loss + torch.stack(nll).sum() / max(1, sum(len(train[i][1]) for i in index))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += float(loss) * len(index)
            count += len(index)
        scores = evaluate(model, encoder, held, detached(crf))
        f1 = scores["micro"]["f1"]
        entry = {
            "epoch": epoch,
            "train_loss": round(total / count, 4),
            "heldout_f1": f1,
            "heldout": {k: v["f1"] for k, v in scores.items()},
            "lr": round(lr, 7),
            "seconds": round(time.time() - t0, 1),
        }
        if crf is not None:
            entry["heldout_f1_argmax"] = evaluate(model, encoder, held)["micro"]["f1"]
        log["epochs"].append(entry)
        print(json.dumps(entry), flush=True)
        if f1 > best_f1:
            best_f1, best_epoch, bad_epochs = f1, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            best_crf = detached(crf)
        else:
            bad_epochs += 1
        elapsed = (time.time() - started) / 60
        if bad_epochs >= args.patience:
            print(f"early stop after epoch {epoch}", flush=True)
            break
        if elapsed + (time.time() - t0) / 60 > args.max_minutes:
            print(f"time budget reached after epoch {epoch} ({elapsed:.1f} min)", flush=True)
            break

    assert best_state is not None
    if fp32_size(best_state) > MAX_FP32_BYTES:
        # The shipped weights will be fp16: evaluate and write references with exactly those values.
        best_state = {k: v.half().float() for k, v in best_state.items()}
    model.load_state_dict(best_state)
    model.eval()
    log["best_epoch"] = best_epoch
    log["decoding"] = "argmax" if best_crf is None else f"viterbi, crf.json ({args.crf})"
    log["heldout_best"] = evaluate(model, encoder, held, best_crf)
    if best_crf is not None:
        log["heldout_best_argmax"] = evaluate(model, encoder, held)
    log["train_minutes"] = round((time.time() - started) / 60, 2)
    if args.eval_test:
        for words in (WORD_SPLIT, "corpus"):
            sentences = test_sentences(words)
            key = "test" if words == WORD_SPLIT else "test_corpus_tokens"
            log[key] = evaluate(model, encoder, sentences, best_crf)
            if best_crf is not None:
                log[key + "_argmax"] = evaluate(model, encoder, sentences)
        print("test", json.dumps({k: v for k, v in log.items() if k.startswith("test")}), flush=True)
    print(f"best epoch {best_epoch}, held-out F1 {best_f1:.4f}, {log['train_minutes']} min", flush=True)

    if args.out:
        use_plain_linear(model)  # reference logits from the plain PyTorch path
        save_model(args.out, model, config, wp, log, best_crf)


def read_conll(path: str) -> list[tuple[list[str], list[str]]]:
    out, words, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if words:
                    out.append((words, tags))
                    words, tags = [], []
                continue
            word, tag = line.split("\t")
            if tag not in LABEL_ID:
                raise ValueError(f"{path}: unknown tag {tag!r}")
            words.append(word)
            tags.append(tag)
    if words:
        out.append((words, tags))
    return out


MAX_FP32_BYTES = 12 * 1024 * 1024  # above this, ship fp16 safetensors instead of an fp32 .bin


def fp32_size(state: dict) -> int:
    return sum(v.numel() * 4 for v in state.values())


def detached(crf: dict | None) -> dict | None:
    return None if crf is None else {k: v.detach().clone() for k, v in crf.items()}


def save_model(out: str, model: nn.Module, config: dict, wp: WordPiece, log: dict, crf: dict | None) -> None:
    os.makedirs(out, exist_ok=True)
    crf_path = os.path.join(out, "crf.json")
    if crf is not None:
        write_json(crf_path, crf_json(crf))
    elif os.path.exists(crf_path):
        os.remove(crf_path)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    for stale in ("pytorch_model.bin", "model.safetensors"):
        if os.path.exists(os.path.join(out, stale)):
            os.remove(os.path.join(out, stale))
    if fp32_size(state) <= MAX_FP32_BYTES:
        torch.save(state, os.path.join(out, "pytorch_model.bin"))
    else:
        save_safetensors_f16(state, os.path.join(out, "model.safetensors"))
        config = dict(config, torch_dtype="float16")
    write_json(os.path.join(out, "config.json"), config)
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(wp.vocab) + "\n")
    write_json(
        os.path.join(out, "tokenizer_config.json"),
        {
            "tokenizer_class": "BertTokenizer",
            "do_lower_case": False,
            "do_basic_tokenize": True,
            "strip_accents": None,
            "tokenize_chinese_chars": True,
            "model_max_length": 512,
            "unk_token": "[UNK]",
            "sep_token": "[SEP]",
            "pad_token": "[PAD]",
            "cls_token": "[CLS]",
            "mask_token": "[MASK]",
        },
    )
    write_json(
        os.path.join(out, "special_tokens_map.json"),
        {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"},
    )
    write_json(os.path.join(out, "training-log.json"), log)
    write_json(os.path.join(out, "reference.json"), reference_outputs(model, wp))


if __name__ == "__main__":
    main()
