#!/usr/bin/python3
"""Generate models/fixtures/hub/: checkpoints in the exact file layouts of real hub repositories.

    /usr/bin/python3 models/scripts/make_hub_fixtures.py [--out models/fixtures/hub]

Load-time conversion (issue 12) is tested against a local hub server that serves these folders under
their real ids (`<owner>/<name>/resolve/main/<file>`). Each repo mirrors its real repository's file list,
weights format and state-dict key layout, with tiny widths (hidden 32, 4 heads, 2 layers, FFN 64,
64 positions) and random weights, so the whole tree stays under ~3 MB:

| fixture (repos/...)                                  | weights                                   | notes |
| ---------------------------------------------------- | ----------------------------------------- | ----- |
| DeepPavlov/rubert-base-cased                         | pytorch_model.bin, legacy pickle          | BertForPreTraining: `bert.` + MLM/NSP heads (tied decoder), position_ids buffer |
| DeepPavlov/distilrubert-tiny-cased-conversational    | pytorch_model.bin, torch zip              | DistilBertForMaskedLM: `distilbert.` + vocab_transform/layer_norm/projector |
| DeepPavlov/rubert-base-cased-sentence                | pytorch_model.bin, legacy pickle          | BertModel, unprefixed keys |
| DeepPavlov/bert-base-multilingual-cased-sentence     | pytorch_model.bin, torch zip              | BertModel, unprefixed keys |
| bertweb-fixtures/bert-safetensors-only               | model.safetensors (F16)                   | tokenizer.json + vocab.txt |
| sentence-transformers/LaBSE                          | model.safetensors + pytorch_model.bin      | modules.json: Transformer, Pooling (cls), Dense (Tanh, 2_Dense/pytorch_model.bin), Normalize |
| bertweb-broken/{missing-tensor, extra-tensor, truncated, unknown-architecture, malicious-pickle} | rubert-base-cased layout | bad-input tests |

Vocabulary: a real-format cased WordPiece vocabulary (BERT layout: [PAD]=0, [unused1..99], [UNK]=100,
[CLS]=101, [SEP]=102, [MASK]=103, then pieces), learned with build_wordpiece_vocab.py from factRuEval-2016
dev texts (Russian) and SQuAD dev contexts (English), read from ../shared/data.

references/<owner>/<name>.json: the fixed TEXTS, their tokens and ids (this project's WordPiece, which
mirrors HF BertTokenizer with do_lower_case=False), the padded batch, and the PyTorch outputs
(models/scripts/bertlib.py): last_hidden_state, pooler_output (BERT), mean_pooled (sentence-transformers
mean pooling over the attention mask) and, for the LaBSE layout, sentence_embedding: the
sentence-transformers pipeline (Pooling -> Dense -> Normalize) re-implemented below from
sentence_transformers/models/{Pooling,Dense,Normalize}.py.

sentence-modules-reference.json: random token embeddings and the outputs of every pooling mode
(cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken, and concatenations), Dense activations
and Normalize, for packages/embeddings/src/sentence-modules.test.ts.
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import math
import os
import shutil
import struct
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List

import torch

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))

import bertlib  # noqa: E402
from build_wordpiece_vocab import WordPiece, count_words, learn_vocab  # noqa: E402

REPO = SCRIPTS.parent.parent
SHARED = REPO.parent / "shared" / "data"

HIDDEN, HEADS, LAYERS, FFN, POSITIONS = 32, 4, 2, 64, 64
PIECES = 800  # learned pieces (plus the 104 BERT specials/unused)
STD = 0.2
CLS, SEP, PAD, UNK, MASK = 101, 102, 0, 100, 103

TEXTS = [
    "Привет, мир!",
    "Москва — столица России.",
    "Александр Пушкин родился в 1799 году в Москве.",
    "The quick brown fox jumps over the lazy dog.",
    "DeepPavlov выпустил RuBERT, и модель работает прямо в браузере.",
    "Сегодня в Санкт-Петербурге прошла встреча министров иностранных дел России и Германии.",
]

SPECIAL_TOKENS_MAP = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


# ---------------------------------------------------------------------------------------------------------
# Vocabulary and tokenization
# ---------------------------------------------------------------------------------------------------------


def training_text() -> List[str]:
    lines: List[str] = []
    for path in sorted(glob.glob(str(SHARED / "factRuEval-2016" / "devset" / "*.txt"))):
        with open(path, encoding="utf-8-sig") as f:
            lines.extend(line.strip() for line in f if line.strip())
    squad = json.load(open(SHARED / "squad" / "dev-v1.1.json", encoding="utf-8"))
    for article in squad["data"][:8]:
        lines.extend(p["context"] for p in article["paragraphs"][:10])
    return lines


def build_vocab() -> List[str]:
    learned = learn_vocab(count_words(training_text()), PIECES + 5)
    pieces = [t for t in learned if not (t.startswith("[") and t.endswith("]"))]
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"] + pieces
    assert vocab.index("[CLS]") == CLS and vocab.index("[SEP]") == SEP and vocab.index("[UNK]") == UNK
    return vocab


def encode_batch(wp: WordPiece, texts: List[str]) -> Dict[str, torch.Tensor]:
    rows = [[CLS] + wp.text_ids(t) + [SEP] for t in texts]
    seq = max(len(r) for r in rows)
    assert seq <= POSITIONS, seq
    ids = torch.zeros(len(rows), seq, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}


def tokenizer_json(vocab: List[str]) -> dict:
    """A BertTokenizerFast tokenizer.json (cased, as LaBSE's): the all-MiniLM-L6-v2 file's structure with
    this vocabulary, lowercase off, and no truncation/padding presets."""
    base = json.load(open(SHARED / "tokenizers" / "all-MiniLM-L6-v2" / "tokenizer.json", encoding="utf-8"))
    base["truncation"] = None
    base["padding"] = None
    base["normalizer"]["lowercase"] = False
    base["normalizer"]["strip_accents"] = None
    base["model"]["vocab"] = {tok: i for i, tok in enumerate(vocab)}
    for token in base["added_tokens"]:
        token["id"] = vocab.index(token["content"])
    for name in ("[CLS]", "[SEP]"):
        base["post_processor"]["special_tokens"][name]["ids"] = [vocab.index(name)]
    return base


def tokenizer_config(extra: dict | None = None) -> dict:
    config = {"do_lower_case": False, "model_max_length": POSITIONS, "tokenizer_class": "BertTokenizer", **SPECIAL_TOKENS_MAP}
    config.update(extra or {})
    return config


# ---------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------


def bert_config(architecture: str, vocab_size: int) -> dict:
    return {
        "architectures": [architecture],
        "attention_probs_dropout_prob": 0.1,
        "directionality": "bidi",
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": FFN,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": POSITIONS,
        "model_type": "bert",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "pad_token_id": 0,
        "pooler_fc_size": HIDDEN,
        "pooler_num_attention_heads": HEADS,
        "pooler_num_fc_layers": 3,
        "pooler_size_per_head": 128,
        "pooler_type": "first_token_transform",
        "type_vocab_size": 2,
        "vocab_size": vocab_size,
    }


def distilbert_config(architecture: str, vocab_size: int) -> dict:
    return {
        "activation": "gelu",
        "architectures": [architecture],
        "attention_dropout": 0.1,
        "dim": HIDDEN,
        "dropout": 0.1,
        "hidden_dim": FFN,
        "initializer_range": 0.02,
        "max_position_embeddings": POSITIONS,
        "model_type": "distilbert",
        "n_heads": HEADS,
        "n_layers": LAYERS,
        "output_hidden_states": True,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "tie_weights_": True,
        "vocab_size": vocab_size,
    }


def encoder(config: dict, seed: int) -> torch.nn.Module:
    arch = "BertModel" if config["model_type"] == "bert" else "DistilBertModel"
    return bertlib.init_random_weights(bertlib.model_from_config({**config, "architectures": [arch]}), seed, std=STD)


def randn(shape, seed: int, std: float = STD) -> torch.Tensor:
    return (std * torch.randn(shape, generator=torch.Generator().manual_seed(seed))).half().float()


def pretraining_state(model: torch.nn.Module, seed: int) -> "OrderedDict[str, torch.Tensor]":
    """BertForPreTraining keys: `bert.` + the encoder, the position_ids buffer, MLM head (decoder tied to the
    word embeddings: one storage in the file) and NSP head, as DeepPavlov's updated checkpoints hold them."""
    state: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    words = None
    for k, v in model.state_dict().items():
        state[f"bert.{k}"] = v
        if k == "embeddings.word_embeddings.weight":
            words = v
            state["bert.embeddings.position_ids"] = torch.arange(POSITIONS).expand((1, -1))
    vocab = words.shape[0]
    state["cls.predictions.bias"] = randn([vocab], seed, 0.1)
    state["cls.predictions.transform.dense.weight"] = randn([HIDDEN, HIDDEN], seed + 1)
    state["cls.predictions.transform.dense.bias"] = randn([HIDDEN], seed + 2, 0.1)
    state["cls.predictions.transform.LayerNorm.weight"] = 1 + randn([HIDDEN], seed + 3, 0.1)
    state["cls.predictions.transform.LayerNorm.bias"] = randn([HIDDEN], seed + 4, 0.1)
    state["cls.predictions.decoder.weight"] = words  # tied
    state["cls.predictions.decoder.bias"] = state["cls.predictions.bias"]  # tied
    state["cls.seq_relationship.weight"] = randn([2, HIDDEN], seed + 5)
    state["cls.seq_relationship.bias"] = randn([2], seed + 6, 0.1)
    return state


def masked_lm_state(model: torch.nn.Module, seed: int) -> "OrderedDict[str, torch.Tensor]":
    """DistilBertForMaskedLM keys: `distilbert.` + the encoder, vocab_transform/vocab_layer_norm, and the
    vocab_projector tied to the word embeddings."""
    state: "OrderedDict[str, torch.Tensor]" = OrderedDict((f"distilbert.{k}", v) for k, v in model.state_dict().items())
    words = state["distilbert.embeddings.word_embeddings.weight"]
    state["vocab_transform.weight"] = randn([HIDDEN, HIDDEN], seed)
    state["vocab_transform.bias"] = randn([HIDDEN], seed + 1, 0.1)
    state["vocab_layer_norm.weight"] = 1 + randn([HIDDEN], seed + 2, 0.1)
    state["vocab_layer_norm.bias"] = randn([HIDDEN], seed + 3, 0.1)
    state["vocab_projector.weight"] = words  # tied
    state["vocab_projector.bias"] = randn([words.shape[0]], seed + 4, 0.1)
    return state


# ---------------------------------------------------------------------------------------------------------
# sentence-transformers modules, re-implemented from sentence_transformers/models/{Pooling,Dense,Normalize}.py
# ---------------------------------------------------------------------------------------------------------

POOLING_ORDER = ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"]
POOLING_KEYS = {
    "cls": "pooling_mode_cls_token",
    "max": "pooling_mode_max_tokens",
    "mean": "pooling_mode_mean_tokens",
    "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
    "weightedmean": "pooling_mode_weightedmean_tokens",
    "lasttoken": "pooling_mode_lasttoken",
}
ACTIVATIONS = {
    "torch.nn.modules.activation.Tanh": torch.nn.Tanh(),
    "torch.nn.modules.linear.Identity": torch.nn.Identity(),
    "torch.nn.modules.activation.ReLU": torch.nn.ReLU(),
    "torch.nn.modules.activation.Sigmoid": torch.nn.Sigmoid(),
    "torch.nn.modules.activation.GELU": torch.nn.GELU(),
    "torch.nn.modules.activation.SiLU": torch.nn.SiLU(),
}


def pooling_config(dim: int, modes: List[str]) -> dict:
    config = {"word_embedding_dimension": dim}
    config.update({key: mode in modes for mode, key in POOLING_KEYS.items()})
    config["include_prompt"] = True
    return config


@torch.no_grad()
def st_pooling(token_embeddings: torch.Tensor, attention_mask: torch.Tensor, config: dict) -> torch.Tensor:
    """Pooling.forward: the enabled modes in its fixed order, concatenated."""
    token_embeddings = token_embeddings.clone()
    out = []
    if config.get("pooling_mode_cls_token"):
        out.append(token_embeddings[:, 0])
    if config.get("pooling_mode_max_tokens"):
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        masked = token_embeddings.clone()
        masked[expanded == 0] = -1e9
        out.append(torch.max(masked, 1)[0])
    if config.get("pooling_mode_mean_tokens") or config.get("pooling_mode_mean_sqrt_len_tokens"):
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        summed = torch.sum(token_embeddings * expanded, 1)
        count = torch.clamp(expanded.sum(1), min=1e-9)
        if config.get("pooling_mode_mean_tokens"):
            out.append(summed / count)
        if config.get("pooling_mode_mean_sqrt_len_tokens"):
            out.append(summed / torch.sqrt(count))
    if config.get("pooling_mode_weightedmean_tokens"):
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        weights = (
            torch.arange(start=1, end=token_embeddings.shape[1] + 1)
            .unsqueeze(0)
            .unsqueeze(-1)
            .expand(token_embeddings.size())
            .to(token_embeddings.dtype)
        )
        expanded = expanded * weights
        summed = torch.sum(token_embeddings * expanded, 1)
        out.append(summed / torch.clamp(expanded.sum(1), min=1e-9))
    if config.get("pooling_mode_lasttoken"):
        bs, seq_len, hidden = token_embeddings.shape
        values, indices = attention_mask.flip(1).max(1)
        indices = torch.where(values == 0, seq_len - 1, indices)
        gather = (seq_len - indices - 1).unsqueeze(-1).repeat(1, hidden).unsqueeze(1)
        expanded = attention_mask.unsqueeze(-1).expand(token_embeddings.size()).to(token_embeddings.dtype)
        out.append(torch.gather(token_embeddings * expanded, 1, gather).squeeze(dim=1))
    return torch.cat(out, 1)


@torch.no_grad()
def st_dense(x: torch.Tensor, config: dict, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    linear = torch.nn.Linear(config["in_features"], config["out_features"], bias=config["bias"])
    linear.weight.copy_(weight)
    if bias is not None:
        linear.bias.copy_(bias)
    return ACTIVATIONS[config["activation_function"]](linear(x))


def st_normalize(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(x, p=2, dim=1)


# ---------------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------------


def write_json(path: Path, value, indent: int | None = 2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value, indent=indent, ensure_ascii=False) if indent else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_safetensors(path: Path, tensors: Dict[str, torch.Tensor], dtype: torch.dtype = torch.float32) -> None:
    names = {torch.float32: "F32", torch.float16: "F16"}
    header: dict = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        raw = tensor.detach().to(dtype).contiguous().numpy().tobytes()
        header[name] = {"dtype": names[dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def save_torch(path: Path, state, legacy: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)


def tensor_json(t: torch.Tensor) -> dict:
    return {"dims": list(t.shape), "data": [float(f"{x:.9g}") for x in t.flatten().tolist()]}


def mean_pooled(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return st_pooling(hidden, mask, pooling_config(hidden.shape[-1], ["mean"]))


def write_reference(path: Path, wp: WordPiece, model: torch.nn.Module, extra: Dict[str, torch.Tensor] | None = None) -> None:
    inputs = encode_batch(wp, TEXTS)
    outputs = bertlib.run(model, inputs)
    hidden = outputs["last_hidden_state"]
    result = {
        "last_hidden_state": tensor_json(hidden),
        "mean_pooled": tensor_json(mean_pooled(hidden, inputs["attention_mask"])),
    }
    if "pooler_output" in outputs:
        result["pooler_output"] = tensor_json(outputs["pooler_output"])
    for k, v in (extra or {}).items():
        result[k] = tensor_json(v)
    names = bertlib.input_names(model)
    write_json(
        path,
        {
            "texts": TEXTS,
            "tokens": [wp.tokens([CLS] + wp.text_ids(t) + [SEP]) for t in TEXTS],
            "inputs": {k: v.tolist() for k, v in inputs.items() if k in names},
            "outputs": result,
        },
        indent=None,
    )


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def write_vocab_files(folder: Path, vocab: List[str], with_tokenizer_json: bool, config_extra: dict | None = None) -> None:
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    write_json(folder / "special_tokens_map.json", SPECIAL_TOKENS_MAP)
    write_json(folder / "tokenizer_config.json", tokenizer_config(config_extra))
    if with_tokenizer_json:
        write_json(folder / "tokenizer.json", tokenizer_json(vocab), indent=None)


def malicious_zip(path: Path) -> None:
    """A torch-zip checkpoint whose data.pkl maps a tensor name to os.system('touch /tmp/...'): GLOBAL
    `os system` + REDUCE. torch.load would run the command; bertweb must refuse it unexecuted."""
    key = b"bert.embeddings.word_embeddings.weight"
    command = b"touch /tmp/bertweb-hub-pwned"
    pkl = (
        b"\x80\x02}(X" + struct.pack("<I", len(key)) + key
        + b"cos\nsystem\nX" + struct.pack("<I", len(command)) + command
        + b"\x85Ru."
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
        z.writestr("archive/byteorder", "little")


# ---------------------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(REPO / "models" / "fixtures" / "hub"))
    out = Path(parser.parse_args().out)
    repos = fresh(out / "repos")
    refs = fresh(out / "references")
    vocab = build_vocab()
    wp = WordPiece(vocab)
    V = len(vocab)
    print(f"vocab {V}; tokens per text: {[len(wp.text_ids(t)) + 2 for t in TEXTS]}")
    unk = sum(wp.text_ids(t).count(UNK) for t in TEXTS)
    assert unk == 0, f"{unk} [UNK] in the fixed texts"

    # DeepPavlov/rubert-base-cased: legacy pickle, BertForPreTraining keys, vocab.txt, no tokenizer.json.
    folder = fresh(repos / "DeepPavlov" / "rubert-base-cased")
    config = bert_config("BertForPreTraining", V)
    model = encoder(config, 101)
    save_torch(folder / "pytorch_model.bin", pretraining_state(model, 1101), legacy=True)
    write_json(folder / "config.json", config)
    write_vocab_files(folder, vocab, with_tokenizer_json=False)
    write_reference(refs / "DeepPavlov" / "rubert-base-cased.json", wp, model)

    # DeepPavlov/distilrubert-tiny-cased-conversational: torch zip, DistilBertForMaskedLM keys.
    folder = fresh(repos / "DeepPavlov" / "distilrubert-tiny-cased-conversational")
    config = distilbert_config("DistilBertForMaskedLM", V)
    model = encoder(config, 102)
    save_torch(folder / "pytorch_model.bin", masked_lm_state(model, 1102), legacy=False)
    write_json(folder / "config.json", config)
    write_vocab_files(folder, vocab, with_tokenizer_json=False)
    write_reference(refs / "DeepPavlov" / "distilrubert-tiny-cased-conversational.json", wp, model)

    # DeepPavlov/rubert-base-cased-sentence (legacy) and bert-base-multilingual-cased-sentence (zip): BertModel.
    for name, seed, legacy in (
        ("rubert-base-cased-sentence", 103, True),
        ("bert-base-multilingual-cased-sentence", 104, False),
    ):
        folder = fresh(repos / "DeepPavlov" / name)
        config = bert_config("BertModel", V)
        model = encoder(config, seed)
        save_torch(folder / "pytorch_model.bin", model.state_dict(), legacy=legacy)
        write_json(folder / "config.json", config)
        write_vocab_files(folder, vocab, with_tokenizer_json=False)
        write_reference(refs / "DeepPavlov" / f"{name}.json", wp, model)

    # bertweb-fixtures/bert-safetensors-only: model.safetensors (F16, the reference computes with the
    # same fp16-representable weights) and a tokenizer.json.
    folder = fresh(repos / "bertweb-fixtures" / "bert-safetensors-only")
    config = bert_config("BertModel", V)
    config["torch_dtype"] = "float16"
    model = encoder(config, 105)
    write_safetensors(folder / "model.safetensors", model.state_dict(), torch.float16)
    write_json(folder / "config.json", config)
    write_vocab_files(folder, vocab, with_tokenizer_json=True)
    write_reference(refs / "bertweb-fixtures" / "bert-safetensors-only.json", wp, model)

    # sentence-transformers/LaBSE: BertModel + Pooling(cls) + Dense(768->768, Tanh) + Normalize.
    folder = fresh(repos / "sentence-transformers" / "LaBSE")
    config = bert_config("BertModel", V)
    model = encoder(config, 106)
    write_safetensors(folder / "model.safetensors", model.state_dict())
    save_torch(folder / "pytorch_model.bin", model.state_dict(), legacy=False)
    write_json(folder / "config.json", config)
    write_vocab_files(folder, vocab, with_tokenizer_json=True, config_extra={"full_tokenizer_file": None})
    write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
            {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    pooling = pooling_config(HIDDEN, ["cls"])
    write_json(folder / "1_Pooling" / "config.json", pooling)
    dense = {"in_features": HIDDEN, "out_features": HIDDEN, "bias": True, "activation_function": "torch.nn.modules.activation.Tanh"}
    write_json(folder / "2_Dense" / "config.json", dense)
    dense_weight, dense_bias = randn([HIDDEN, HIDDEN], 1106), randn([HIDDEN], 1107, 0.1)
    save_torch(folder / "2_Dense" / "pytorch_model.bin", OrderedDict([("linear.weight", dense_weight), ("linear.bias", dense_bias)]), legacy=False)
    write_json(folder / "sentence_bert_config.json", {"max_seq_length": POSITIONS, "do_lower_case": False})
    write_json(
        folder / "config_sentence_transformers.json",
        {"__version__": {"sentence_transformers": "2.0.0", "transformers": "4.7.0", "pytorch": "1.9.0+cu102"}},
    )
    inputs = encode_batch(wp, TEXTS)
    hidden = bertlib.run(model, inputs)["last_hidden_state"]
    sentence = st_normalize(st_dense(st_pooling(hidden, inputs["attention_mask"], pooling), dense, dense_weight, dense_bias))
    write_reference(refs / "sentence-transformers" / "LaBSE.json", wp, model, {"sentence_embedding": sentence})

    # Broken variants, each in the rubert-base-cased layout (smaller: the first 200 vocabulary entries).
    small_vocab = vocab[:200]
    small = bert_config("BertModel", len(small_vocab))
    small_model = encoder(small, 107)

    def broken(name: str, state=None, config_patch: dict | None = None, legacy: bool = True) -> Path:
        folder = fresh(repos / "bertweb-broken" / name)
        if state is not None:
            save_torch(folder / "pytorch_model.bin", state, legacy=legacy)
        write_json(folder / "config.json", {**small, **(config_patch or {})})
        write_vocab_files(folder, small_vocab, with_tokenizer_json=False)
        return folder

    full = small_model.state_dict()
    broken("missing-tensor", OrderedDict((k, v) for k, v in full.items() if k != "encoder.layer.1.output.dense.weight"))
    broken("extra-tensor", OrderedDict(list(full.items()) + [("encoder.layer.0.attention.self.rotary.weight", randn([HIDDEN, HIDDEN], 9))]))
    folder = broken("truncated", full)
    data = (folder / "pytorch_model.bin").read_bytes()
    (folder / "pytorch_model.bin").write_bytes(data[: int(len(data) * 0.6)])
    broken("unknown-architecture", full, {"architectures": ["RobertaModel"], "model_type": "roberta"}, legacy=False)
    folder = broken("malicious-pickle")
    malicious_zip(folder / "pytorch_model.bin")

    write_sentence_modules_reference(out / "sentence-modules-reference.json")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1e6:.2f} MB)")


def write_sentence_modules_reference(path: Path) -> None:
    """Random token embeddings (4 rows, padded to 7) through every pooling mode, Dense activation and
    Normalize: the cases packages/embeddings/src/sentence-modules.test.ts replays."""
    g = torch.Generator().manual_seed(2024)
    dim, seq = 8, 7
    hidden = torch.randn(4, seq, dim, generator=g)
    lengths = [7, 5, 2, 1]
    mask = torch.zeros(4, seq, dtype=torch.long)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    cases = []
    mode_sets = [[m] for m in POOLING_ORDER] + [["cls", "mean"], ["max", "mean", "mean_sqrt_len_tokens"], POOLING_ORDER]
    for modes in mode_sets:
        cases.append({"name": "+".join(modes), "pooling": pooling_config(dim, modes), "dense": [], "normalize": False})
    seed = 0
    for activation in ACTIVATIONS:
        for bias in (True, False):
            seed += 1
            out_features = 5
            config = {"in_features": dim, "out_features": out_features, "bias": bias, "activation_function": activation}
            weight = torch.randn(out_features, dim, generator=torch.Generator().manual_seed(seed)) * 0.5
            b = torch.randn(out_features, generator=torch.Generator().manual_seed(seed + 100)) if bias else None
            cases.append(
                {
                    "name": f"mean -> Dense({activation.rsplit('.', 1)[1]}, bias={bias}) -> Normalize",
                    "pooling": pooling_config(dim, ["mean"]),
                    "dense": [{"config": config, "weight": weight.tolist(), "bias": b.tolist() if b is not None else None}],
                    "normalize": True,
                }
            )
    # Two Dense layers in a row, LaBSE-like cls first.
    w1 = torch.randn(6, dim, generator=torch.Generator().manual_seed(77))
    w2 = torch.randn(3, 6, generator=torch.Generator().manual_seed(78))
    cases.append(
        {
            "name": "cls -> Dense(Tanh) -> Dense(Identity) -> Normalize",
            "pooling": pooling_config(dim, ["cls"]),
            "dense": [
                {"config": {"in_features": dim, "out_features": 6, "bias": True, "activation_function": "torch.nn.modules.activation.Tanh"}, "weight": w1.tolist(), "bias": [0.1] * 6},
                {"config": {"in_features": 6, "out_features": 3, "bias": False, "activation_function": "torch.nn.modules.linear.Identity"}, "weight": w2.tolist(), "bias": None},
            ],
            "normalize": True,
        }
    )
    for case in cases:
        x = st_pooling(hidden, mask, case["pooling"])
        for d in case["dense"]:
            x = st_dense(x, d["config"], torch.tensor(d["weight"]), torch.tensor(d["bias"]) if d["bias"] is not None else None)
        if case["normalize"]:
            x = st_normalize(x)
        case["output"] = tensor_json(x)
    write_json(
        path,
        {"token_embeddings": tensor_json(hidden), "attention_mask": mask.tolist(), "cases": cases},
        indent=None,
    )


if __name__ == "__main__":
    main()
