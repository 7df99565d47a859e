#!/usr/bin/env python3
"""Generate the tiny random-weight test models under models/fixtures/ and their PyTorch reference outputs.

Run with the system Python that has PyTorch 1.13 and onnx 1.12 (`pnpm fixtures`):

    /usr/bin/python3 models/scripts/make_fixtures.py [--out models/fixtures] [--only NAME ...]

For every fixture in bertlib.FIXTURES it writes config.json, tokenizer files (the real bert-base-uncased
vocabulary), crf.json (token classification with CRF), onnx/model.onnx (opset 17, dynamic batch and
sequence) and reference.json (inputs and the PyTorch outputs). PyTorch checkpoints are not written: every
model is rebuilt deterministically by `bertlib.build_fixture_model(name)`.

Before writing, each model is checked two ways that do not trust bertlib's module tree:
- its state_dict keys equal the Hugging Face parameter names, listed here from HF's layout;
- a float64 NumPy forward pass that reads weights only by those HF names agrees with the torch outputs.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import onnx
import torch

SCRIPTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS_DIR))

import bertlib  # noqa: E402

REPO_ROOT = SCRIPTS_DIR.parent.parent
TOKENIZERS_DIR = REPO_ROOT.parent / "shared" / "data" / "tokenizers"
BERT_VOCAB = TOKENIZERS_DIR / "bert-base-uncased" / "vocab.txt"
MINILM_DIR = TOKENIZERS_DIR / "all-MiniLM-L6-v2"

OPSET = 17
CLS_ID, SEP_ID, PAD_ID = 101, 102, 0
CASE_SEED = 20240601  # token sequences are the same for every fixture
CRF_SEED = 3002
NUMPY_CHECK_TOLERANCE = 1e-4

# ---------------------------------------------------------------------------------------------------------
# Hugging Face parameter names (written out from HF's module layout, independent of bertlib's classes)
# ---------------------------------------------------------------------------------------------------------


def _wb(prefix: str) -> List[str]:
    return [f"{prefix}.weight", f"{prefix}.bias"]


def hf_bert_keys(prefix: str, layers: int, pooler: bool) -> List[str]:
    keys = [
        f"{prefix}embeddings.word_embeddings.weight",
        f"{prefix}embeddings.position_embeddings.weight",
        f"{prefix}embeddings.token_type_embeddings.weight",
        *_wb(f"{prefix}embeddings.LayerNorm"),
    ]
    for i in range(layers):
        layer = f"{prefix}encoder.layer.{i}"
        for name in ("attention.self.query", "attention.self.key", "attention.self.value"):
            keys += _wb(f"{layer}.{name}")
        keys += _wb(f"{layer}.attention.output.dense") + _wb(f"{layer}.attention.output.LayerNorm")
        keys += _wb(f"{layer}.intermediate.dense")
        keys += _wb(f"{layer}.output.dense") + _wb(f"{layer}.output.LayerNorm")
    if pooler:
        keys += _wb(f"{prefix}pooler.dense")
    return keys


def hf_distilbert_keys(prefix: str, layers: int) -> List[str]:
    keys = [
        f"{prefix}embeddings.word_embeddings.weight",
        f"{prefix}embeddings.position_embeddings.weight",
        *_wb(f"{prefix}embeddings.LayerNorm"),
    ]
    for i in range(layers):
        layer = f"{prefix}transformer.layer.{i}"
        for name in ("q_lin", "k_lin", "v_lin", "out_lin"):
            keys += _wb(f"{layer}.attention.{name}")
        keys += _wb(f"{layer}.sa_layer_norm")
        keys += _wb(f"{layer}.ffn.lin1") + _wb(f"{layer}.ffn.lin2")
        keys += _wb(f"{layer}.output_layer_norm")
    return keys


def hf_expected_keys(config: dict) -> List[str]:
    arch = config["architectures"][0]
    if config["model_type"] == "bert":
        layers = config["num_hidden_layers"]
        return {
            "BertModel": lambda: hf_bert_keys("", layers, pooler=True),
            # HF builds the token-classification and QA heads with add_pooling_layer=False.
            "BertForTokenClassification": lambda: hf_bert_keys("bert.", layers, False) + _wb("classifier"),
            "BertForQuestionAnswering": lambda: hf_bert_keys("bert.", layers, False) + _wb("qa_outputs"),
            "BertForSequenceClassification": lambda: hf_bert_keys("bert.", layers, True) + _wb("classifier"),
        }[arch]()
    layers = config["n_layers"]
    return {
        "DistilBertModel": lambda: hf_distilbert_keys("", layers),
        "DistilBertForTokenClassification": lambda: hf_distilbert_keys("distilbert.", layers) + _wb("classifier"),
        "DistilBertForQuestionAnswering": lambda: hf_distilbert_keys("distilbert.", layers) + _wb("qa_outputs"),
        "DistilBertForSequenceClassification": lambda: hf_distilbert_keys("distilbert.", layers)
        + _wb("pre_classifier")
        + _wb("classifier"),
    }[arch]()


# ---------------------------------------------------------------------------------------------------------
# Float64 NumPy forward pass over HF-named weights (the independent check of bertlib's math)
# ---------------------------------------------------------------------------------------------------------


def _np_linear(sd: Dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    return x @ sd[f"{name}.weight"].T + sd[f"{name}.bias"]


def _np_layer_norm(sd: Dict[str, np.ndarray], name: str, x: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * sd[f"{name}.weight"] + sd[f"{name}.bias"]


def _np_gelu(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _np_attention(q, k, v, mask: np.ndarray, heads: int) -> np.ndarray:
    batch, seq, hidden = q.shape
    size = hidden // heads

    def split(x):
        return x.reshape(batch, seq, heads, size).transpose(0, 2, 1, 3)

    scores = split(q) @ split(k).transpose(0, 1, 3, 2) / math.sqrt(size)
    scores = np.where(mask[:, None, None, :] == 0, -np.inf, scores)  # padded keys get zero weight
    scores = scores - scores.max(-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(-1, keepdims=True)
    return (probs @ split(v)).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)


def numpy_forward(config: dict, sd: Dict[str, np.ndarray], inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    seq = ids.shape[1]
    arch = config["architectures"][0]
    if config["model_type"] == "bert":
        p = "" if arch == "BertModel" else "bert."
        eps = config["layer_norm_eps"]
        types = inputs.get("token_type_ids", np.zeros_like(ids))
        x = (
            sd[f"{p}embeddings.word_embeddings.weight"][ids]
            + sd[f"{p}embeddings.token_type_embeddings.weight"][types]
            + sd[f"{p}embeddings.position_embeddings.weight"][np.arange(seq)][None]
        )
        x = _np_layer_norm(sd, f"{p}embeddings.LayerNorm", x, eps)
        for i in range(config["num_hidden_layers"]):
            l = f"{p}encoder.layer.{i}"
            q, k, v = (_np_linear(sd, f"{l}.attention.self.{n}", x) for n in ("query", "key", "value"))
            context = _np_attention(q, k, v, mask, config["num_attention_heads"])
            att = _np_layer_norm(
                sd, f"{l}.attention.output.LayerNorm", _np_linear(sd, f"{l}.attention.output.dense", context) + x, eps
            )
            inter = _np_gelu(_np_linear(sd, f"{l}.intermediate.dense", att))
            x = _np_layer_norm(sd, f"{l}.output.LayerNorm", _np_linear(sd, f"{l}.output.dense", inter) + att, eps)
        pooled = np.tanh(_np_linear(sd, f"{p}pooler.dense", x[:, 0])) if f"{p}pooler.dense.weight" in sd else None
        if arch == "BertModel":
            return {"last_hidden_state": x, "pooler_output": pooled}
        if arch == "BertForTokenClassification":
            return {"logits": _np_linear(sd, "classifier", x)}
        if arch == "BertForSequenceClassification":
            return {"logits": _np_linear(sd, "classifier", pooled)}
    else:
        p = "" if arch == "DistilBertModel" else "distilbert."
        eps = bertlib.DISTILBERT_LAYER_NORM_EPS
        x = sd[f"{p}embeddings.word_embeddings.weight"][ids] + sd[f"{p}embeddings.position_embeddings.weight"][
            np.arange(seq)
        ][None]
        x = _np_layer_norm(sd, f"{p}embeddings.LayerNorm", x, eps)
        for i in range(config["n_layers"]):
            l = f"{p}transformer.layer.{i}"
            q, k, v = (_np_linear(sd, f"{l}.attention.{n}", x) for n in ("q_lin", "k_lin", "v_lin"))
            context = _np_attention(q, k, v, mask, config["n_heads"])
            sa = _np_layer_norm(sd, f"{l}.sa_layer_norm", _np_linear(sd, f"{l}.attention.out_lin", context) + x, eps)
            ffn = _np_linear(sd, f"{l}.ffn.lin2", _np_gelu(_np_linear(sd, f"{l}.ffn.lin1", sa)))
            x = _np_layer_norm(sd, f"{l}.output_layer_norm", ffn + sa, eps)
        if arch == "DistilBertModel":
            return {"last_hidden_state": x}
        if arch == "DistilBertForTokenClassification":
            return {"logits": _np_linear(sd, "classifier", x)}
        if arch == "DistilBertForSequenceClassification":
            pre = np.maximum(_np_linear(sd, "pre_classifier", x[:, 0]), 0.0)
            return {"logits": _np_linear(sd, "classifier", pre)}
    # Question answering, both families.
    qa = _np_linear(sd, "qa_outputs", x)
    return {"start_logits": qa[..., 0], "end_logits": qa[..., 1]}


# ---------------------------------------------------------------------------------------------------------
# Reference inputs
# ---------------------------------------------------------------------------------------------------------


def load_vocab() -> List[str]:
    vocab = BERT_VOCAB.read_text(encoding="utf-8").split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    if len(vocab) != bertlib.VOCAB_SIZE:
        raise SystemExit(f"{BERT_VOCAB}: expected {bertlib.VOCAB_SIZE} entries, found {len(vocab)}")
    return vocab


class TokenDrawer:
    """Draws ids of real vocabulary words (with an occasional ##-continuation), deterministically."""

    def __init__(self, vocab: List[str], seed: int):
        self.rng = random.Random(seed)
        self.words = [i for i, t in enumerate(vocab) if t.isascii() and t.isalpha() and len(t) >= 3]
        self.pieces = [i for i, t in enumerate(vocab) if t.startswith("##") and t[2:].isascii() and t[2:].isalpha()]

    def words_ids(self, count: int) -> List[int]:
        ids: List[int] = []
        while len(ids) < count:
            if ids and len(ids) < count and self.rng.random() < 0.15:
                ids.append(self.rng.choice(self.pieces))
            else:
                ids.append(self.rng.choice(self.words))
        return ids


def single_sequence(drawer: TokenDrawer, length: int) -> Dict[str, List[int]]:
    ids = [CLS_ID, *drawer.words_ids(length - 2), SEP_ID]
    return {"input_ids": ids, "token_type_ids": [0] * length}


def pair_sequence(drawer: TokenDrawer, first_len: int, length: int) -> Dict[str, List[int]]:
    """[CLS] A [SEP] B [SEP] with token type 1 on B and its [SEP] (HF's pair template)."""
    second_len = length - first_len - 3
    first = [CLS_ID, *drawer.words_ids(first_len), SEP_ID]
    second = [*drawer.words_ids(second_len), SEP_ID]
    return {"input_ids": first + second, "token_type_ids": [0] * len(first) + [1] * len(second)}


def batch(rows: List[Dict[str, List[int]]]) -> Dict[str, List[List[int]]]:
    """Pad to the longest row with [PAD]=0; attention mask 0 and token type 0 on padding."""
    width = max(len(r["input_ids"]) for r in rows)
    out: Dict[str, List[List[int]]] = {"input_ids": [], "attention_mask": [], "token_type_ids": []}
    for r in rows:
        pad = width - len(r["input_ids"])
        out["input_ids"].append(r["input_ids"] + [PAD_ID] * pad)
        out["attention_mask"].append([1] * len(r["input_ids"]) + [0] * pad)
        out["token_type_ids"].append(r["token_type_ids"] + [0] * pad)
    return out


def reference_cases(vocab: List[str]) -> List[dict]:
    drawer = TokenDrawer(vocab, CASE_SEED)
    return [
        {"name": "single", "inputs": batch([single_sequence(drawer, 12)])},
        {
            "name": "padded",
            "inputs": batch([single_sequence(drawer, 5), pair_sequence(drawer, 6, 17), single_sequence(drawer, 9)]),
        },
        {"name": "long", "inputs": batch([pair_sequence(drawer, 12, 512)])},
    ]


# ---------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------


def float32_number(x: float) -> float:
    """The shortest decimal that reads back as the same float32 (at most 9 significant digits)."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def dump_json(value, indent: int = 0) -> str:
    """JSON with objects one key per line but arrays of scalars on a single line (compact, diffable)."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {dump_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ",".join(json.dumps(v) for v in value) + "]"
        return "[\n" + ",\n".join(inner + dump_json(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value)


def write_json(path: Path, value) -> None:
    path.write_text(dump_json(value) + "\n", encoding="utf-8")


def write_tokenizer_files(folder: Path, model_type: str) -> None:
    if model_type == "bert":
        shutil.copyfile(BERT_VOCAB, folder / "vocab.txt")
        special = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]"}  # fmt: skip
        write_json(
            folder / "tokenizer_config.json",
            {
                "tokenizer_class": "BertTokenizer",
                "do_lower_case": True,
                "do_basic_tokenize": True,
                "tokenize_chinese_chars": True,
                "strip_accents": None,
                "model_max_length": 512,
                **special,
            },
        )
        write_json(folder / "special_tokens_map.json", special)
    else:
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copyfile(MINILM_DIR / name, folder / name)


def write_crf(folder: Path, num_tags: int) -> None:
    generator = torch.Generator().manual_seed(CRF_SEED)
    transitions = torch.randn(num_tags, num_tags, generator=generator).half().float()
    start = torch.randn(num_tags, generator=generator).half().float()
    end = torch.randn(num_tags, generator=generator).half().float()
    write_json(
        folder / "crf.json",
        {
            "transitions": [[float32_number(v) for v in row] for row in transitions.tolist()],
            "start": [float32_number(v) for v in start.tolist()],
            "end": [float32_number(v) for v in end.tolist()],
        },
    )


def dynamic_axes(model: torch.nn.Module) -> Dict[str, Dict[int, str]]:
    axes = {name: {0: "batch", 1: "sequence"} for name in bertlib.input_names(model)}
    for name in model.output_names:
        per_token = name in ("last_hidden_state", "start_logits", "end_logits") or (
            name == "logits" and model.config["architectures"][0].endswith("TokenClassification")
        )
        axes[name] = {0: "batch", 1: "sequence"} if per_token else {0: "batch"}
    return axes


def export_onnx(model: torch.nn.Module, example: Dict[str, torch.Tensor], path: Path) -> None:
    names = bertlib.input_names(model)
    buffer = io.BytesIO()
    torch.onnx.export(
        model,
        tuple(example[n] for n in names),
        buffer,
        input_names=names,
        output_names=model.output_names,
        dynamic_axes=dynamic_axes(model),
        opset_version=OPSET,
        do_constant_folding=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph, full_check=True)
    got_inputs = [i.name for i in graph.graph.input]
    got_outputs = [o.name for o in graph.graph.output]
    if got_inputs != names or got_outputs != model.output_names:
        raise SystemExit(f"{path}: graph io {got_inputs} -> {got_outputs}, expected {names} -> {model.output_names}")


# ---------------------------------------------------------------------------------------------------------
# One fixture
# ---------------------------------------------------------------------------------------------------------


def case_inputs(case: dict, model_type: str) -> Dict[str, List[List[int]]]:
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if model_type == "bert" else [])
    return {n: case["inputs"][n] for n in names}


def check_keys(name: str, model: torch.nn.Module) -> None:
    got, want = list(model.state_dict().keys()), hf_expected_keys(model.config)
    if sorted(got) != sorted(want):
        extra, missing = set(got) - set(want), set(want) - set(got)
        raise SystemExit(f"{name}: state_dict keys differ from HF: extra {extra}, missing {missing}")


def make_fixture(name: str, out_dir: Path, cases: List[dict]) -> dict:
    model = bertlib.build_fixture_model(name)
    config = model.config
    check_keys(name, model)
    folder = out_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "config.json", config)
    write_tokenizer_files(folder, config["model_type"])
    if name == "bert-token-cls":
        write_crf(folder, len(config["id2label"]))

    sd64 = {k: v.double().numpy() for k, v in model.state_dict().items()}
    ref_cases, numpy_diff = [], 0.0
    for case in cases:
        inputs = case_inputs(case, config["model_type"])
        tensors = {k: torch.tensor(v, dtype=torch.int64) for k, v in inputs.items()}
        outputs = bertlib.run(model, tensors)
        expected = numpy_forward(config, sd64, {k: np.array(v) for k, v in inputs.items()})
        mask = np.array(inputs["attention_mask"], dtype=bool)
        for out_name, tensor in outputs.items():
            got, want = tensor.numpy().astype(np.float64), expected[out_name]
            # Compare real tokens only: padded rows differ by design (masked keys, not masked queries).
            per_token = got.ndim >= 2 and got.shape[:2] == mask.shape
            diff = np.abs(got[mask] - want[mask]) if per_token else np.abs(got - want)
            numpy_diff = max(numpy_diff, float(diff.max()))
        ref_cases.append(
            {
                "name": case["name"],
                "inputs": inputs,
                "outputs": {
                    k: {"dims": list(v.shape), "data": [float32_number(x) for x in v.reshape(-1).tolist()]}
                    for k, v in outputs.items()
                },
            }
        )
    if numpy_diff > NUMPY_CHECK_TOLERANCE:
        raise SystemExit(f"{name}: torch and the float64 NumPy reference differ by {numpy_diff:.3g}")

    export_onnx(model, {k: torch.tensor(v) for k, v in case_inputs(cases[1], config["model_type"]).items()},
                folder / "onnx" / "model.onnx")  # fmt: skip
    write_json(folder / "reference.json", {"model": name, "cases": ref_cases})
    return {"name": name, "numpy_max_abs_diff": numpy_diff}


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "fixtures")
    parser.add_argument("--only", nargs="*", choices=sorted(bertlib.FIXTURES), help="fixtures to regenerate")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # deterministic reductions, and the machine is shared
    cases = reference_cases(load_vocab())
    for name in args.only or list(bertlib.FIXTURES):
        summary = make_fixture(name, args.out, cases)
        size = folder_size(args.out / name)
        print(f"{name}: {size / 1e6:.2f} MB, torch vs float64 NumPy max |diff| {summary['numpy_max_abs_diff']:.2e}")
    print(f"total under {args.out}: {folder_size(args.out) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
