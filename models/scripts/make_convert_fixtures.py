#!/usr/bin/env python3
"""Generate the checkpoint fixtures of @bertweb/convert under models/fixtures/convert/.

Run with the system Python that has PyTorch 1.13:

    /usr/bin/python3 models/scripts/make_convert_fixtures.py [--out models/fixtures/convert]

The converter reads PyTorch / safetensors / DeepPavlov checkpoints and writes ONNX; its tests convert these
files and compare the ONNX outputs with the PyTorch outputs stored here. Every file format the converter must
read appears at least once:

| folder / file                | model                                  | weights file(s)                               |
| ---------------------------- | -------------------------------------- | --------------------------------------------- |
| bert-base/                   | BertModel (+ pooler)                   | model.safetensors, F32                        |
| bert-token-cls/              | BertForTokenClassification             | pytorch_model.bin, torch zip format           |
| bert-qa/                     | BertForQuestionAnswering               | pytorch_model.bin, legacy (pre-1.6) pickle    |
| bert-seq-cls/                | BertForSequenceClassification          | 2 safetensors shards + index, F16             |
| distilbert-base/             | DistilBertModel                        | model.safetensors, BF16                       |
| distilbert-token-cls/        | DistilBertForTokenClassification       | model.safetensors F16; config lacks architectures |
| distilbert-qa/               | DistilBertForQuestionAnswering         | model.pth.tar: {"state_dict": ..., "epoch": 3} |
| distilbert-seq-cls/          | DistilBertForSequenceClassification    | pytorch_model.bin with half storages; config lacks architectures |
| deeppavlov-ner.tar.gz        | DeepPavlov-style NER tarball (BERT)    | model.pth.tar {model_state_dict, optimizer_state_dict, epochs_done}, tag.dict, model_crf.pth.tar |
| hostile-system.bin           | torch.save of an object whose __reduce__ is os.system (zip format) | must be refused |
| hostile-eval-legacy.bin      | legacy format whose main pickle calls builtins.eval                | must be refused |

The DeepPavlov tarball has no config.json or tokenizer: its base model (DeepPavlov's TRANSFORMER) is
bert-base/ (same hyper-parameters and vocabulary). Each model folder has reference.json: inputs (a padded
batch) and the PyTorch outputs, computed from the weights exactly as stored (F16/BF16 rounding included).

Sizes are kept small (hidden 32, 4 heads, 2 layers, intermediate 64, vocabulary = the first 1000 lines of
bert-base-uncased's vocab.txt, 64 positions) so that the whole folder stays under ~2 MB.
Models come from models/scripts/bertlib.py (Hugging Face parameter names and math).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import io
import json
import os
import shutil
import struct
import sys
import tarfile
from pathlib import Path
from typing import Dict, List

import torch

SCRIPTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS_DIR))

import bertlib  # noqa: E402

REPO_ROOT = SCRIPTS_DIR.parent.parent
BERT_VOCAB = REPO_ROOT.parent / "shared" / "data" / "tokenizers" / "bert-base-uncased" / "vocab.txt"

VOCAB = 1000
HIDDEN = 32
HEADS = 4
LAYERS = 2
INTERMEDIATE = 64
POSITIONS = 64
STD = 0.2
# Fine-tuned heads are confident; a random head with small weights gives near-ties between labels that say
# nothing about conversion quality. Heads get a larger std so argmax comparisons measure the converter.
HEAD_STD = 1.0
CLS_ID, SEP_ID, PAD_ID = 101, 102, 0
NER_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
SENTIMENT = ["negative", "neutral", "positive"]


def bert_config(architecture: str, labels: List[str] | None = None) -> dict:
    config = {
        "architectures": [architecture],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": INTERMEDIATE,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": POSITIONS,
        "model_type": "bert",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": VOCAB,
    }
    if labels:
        config["id2label"] = {str(i): l for i, l in enumerate(labels)}
        config["label2id"] = {l: i for i, l in enumerate(labels)}
    return config


def distilbert_config(architecture: str, labels: List[str] | None = None) -> dict:
    config = {
        "activation": "gelu",
        "architectures": [architecture],
        "attention_dropout": 0.1,
        "dim": HIDDEN,
        "dropout": 0.1,
        "hidden_dim": INTERMEDIATE,
        "max_position_embeddings": POSITIONS,
        "model_type": "distilbert",
        "n_heads": HEADS,
        "n_layers": LAYERS,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "vocab_size": VOCAB,
    }
    if labels:
        config["id2label"] = {str(i): l for i, l in enumerate(labels)}
        config["label2id"] = {l: i for i, l in enumerate(labels)}
    return config


def build(config: dict, seed: int) -> torch.nn.Module:
    model = bertlib.init_random_weights(bertlib.model_from_config(config), seed, std=STD)
    with torch.no_grad():
        generator = torch.Generator().manual_seed(seed + 1)
        for name, param in model.named_parameters():
            if name.split(".")[0] in ("classifier", "qa_outputs", "pre_classifier") and name.endswith("weight"):
                param.copy_((HEAD_STD * torch.randn(param.shape, generator=generator)).half().float())
    return model


def fine_tune(model: torch.nn.Module, seed: int, steps: int = 400) -> float:
    """Fine-tune the whole model on a small synthetic task, as DeepPavlov fine-tunes its NER and classifier
    models: logits become confident and representations cluster by label. A random head puts many tokens on
    near-ties between labels, where an argmax comparison of quantized and float outputs measures noise, not
    the converter. Token task: each word piece id has a fixed random label; sequence task: the label of the
    first word piece. Returns the final training accuracy."""
    generator = torch.Generator().manual_seed(seed)
    labels = model.classifier.out_features
    label_of = torch.randint(0, labels, (VOCAB,), generator=generator)
    names = bertlib.input_names(model)
    token_task = type(model).__name__.endswith("TokenClassification")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    accuracy = 0.0
    for _ in range(steps):
        ids = torch.randint(999 - 200, 999, (16, 24), generator=generator)
        inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "token_type_ids": torch.zeros_like(ids)}
        logits = model(*[inputs[n] for n in names])[0]
        target = label_of[ids] if token_task else label_of[ids[:, 1]]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, labels), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        accuracy = (logits.argmax(-1) == target).float().mean().item()
    model.eval()
    with torch.no_grad():  # keep every weight fp16-representable, like the rest
        for p in model.parameters():
            p.copy_(p.half().float())
    return accuracy


def test_inputs(family: str) -> Dict[str, torch.Tensor]:
    """A padded batch: 6 rows of different lengths, [CLS] ... [SEP], pads 0, two rows with segment B."""
    generator = torch.Generator().manual_seed(77)
    lengths = [48, 44, 37, 29, 18, 7]
    seq = max(lengths)
    ids = torch.zeros(len(lengths), seq, dtype=torch.long)
    mask = torch.zeros_like(ids)
    types = torch.zeros_like(ids)
    for row, length in enumerate(lengths):
        body = torch.randint(999 - 200, 999, (length,), generator=generator)  # real word pieces near the end
        body[0] = CLS_ID
        body[length - 1] = SEP_ID
        ids[row, :length] = body
        mask[row, :length] = 1
        if row < 2:
            middle = length // 2
            ids[row, middle - 1] = SEP_ID
            types[row, middle:length] = 1
    inputs = {"input_ids": ids, "attention_mask": mask}
    if family == "bert":
        inputs["token_type_ids"] = types
    return inputs


def round_weights(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Make the float32 model compute with the weights exactly as a F16/BF16 file stores them."""
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(param.to(dtype).float())


def write_reference(folder: Path, model: torch.nn.Module, family: str) -> None:
    inputs = test_inputs(family)
    outputs = bertlib.run(model, inputs)
    reference = {
        "inputs": {k: v.tolist() for k, v in inputs.items()},
        "outputs": {
            k: {"dims": list(v.shape), "data": [float(f"{x:.9g}") for x in v.flatten().tolist()]}
            for k, v in outputs.items()
        },
    }
    (folder / "reference.json").write_text(json.dumps(reference, separators=(",", ":")) + "\n")


def write_safetensors(path: Path, tensors: Dict[str, torch.Tensor], dtype: torch.dtype) -> None:
    """The safetensors layout, by hand: u64 header length, JSON header, raw little-endian data."""
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header: dict = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        t = tensor.detach().to(dtype).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": names[dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_tokenizer(folder: Path) -> None:
    lines = BERT_VOCAB.read_text(encoding="utf-8").splitlines()[:VOCAB]
    (folder / "vocab.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokenizer_config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": POSITIONS,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def write_config(folder: Path, config: dict, drop_architectures: bool = False) -> None:
    config = dict(config)
    if drop_architectures:
        del config["architectures"]
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


class Evil:
    """Pickles as a call to os.system: what a malicious checkpoint looks like."""

    def __reduce__(self):
        return (os.system, ("echo bertweb-hostile-pickle-was-executed > /tmp/bertweb-pwned",))


class EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('os').system('true')",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(REPO_ROOT / "models" / "fixtures" / "convert"))
    out = Path(parser.parse_args().out)
    torch.manual_seed(0)  # dropout in the DeepPavlov fixture's training step
    out.mkdir(parents=True, exist_ok=True)

    # bert-base: single safetensors, F32.
    folder = fresh(out / "bert-base")
    config = bert_config("BertModel")
    model = build(config, 11)
    write_safetensors(folder / "model.safetensors", model.state_dict(), torch.float32)
    write_config(folder, config)
    write_tokenizer(folder)
    write_reference(folder, model, "bert")

    # bert-token-cls: torch zip (pytorch_model.bin), F32.
    folder = fresh(out / "bert-token-cls")
    config = bert_config("BertForTokenClassification", NER_TAGS)
    model = build(config, 12)
    print(folder.name, "fine-tuned, train accuracy", fine_tune(model, 12))
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    write_config(folder, config)
    write_tokenizer(folder)
    write_reference(folder, model, "bert")

    # bert-qa: legacy pickle format, F32.
    folder = fresh(out / "bert-qa")
    config = bert_config("BertForQuestionAnswering")
    model = build(config, 13)
    # (legacy storage keys come from object ids, so this file's bytes differ between runs; its values do not)
    torch.save(model.state_dict(), folder / "pytorch_model.bin", _use_new_zipfile_serialization=False)
    write_config(folder, config)
    write_tokenizer(folder)
    write_reference(folder, model, "bert")

    # bert-seq-cls: sharded safetensors, F16.
    folder = fresh(out / "bert-seq-cls")
    config = bert_config("BertForSequenceClassification", SENTIMENT)
    model = build(config, 14)
    round_weights(model, torch.float16)
    state = model.state_dict()
    names = list(state)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for shard, keys in shards.items():
        write_safetensors(folder / shard, {k: state[k] for k in keys}, torch.float16)
        weight_map.update({k: shard for k in keys})
    index = {"metadata": {"total_size": sum(t.numel() * 2 for t in state.values())}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    write_config(folder, config)
    write_tokenizer(folder)
    write_reference(folder, model, "bert")

    # distilbert-base: safetensors, BF16.
    folder = fresh(out / "distilbert-base")
    config = distilbert_config("DistilBertModel")
    model = build(config, 21)
    round_weights(model, torch.bfloat16)
    write_safetensors(folder / "model.safetensors", model.state_dict(), torch.bfloat16)
    write_config(folder, config)
    write_tokenizer(folder)
    write_reference(folder, model, "distilbert")

    # distilbert-token-cls: safetensors F16, config without "architectures" (task from the weights).
    folder = fresh(out / "distilbert-token-cls")
    config = distilbert_config("DistilBertForTokenClassification", NER_TAGS)
    model = build(config, 22)
    print(folder.name, "fine-tuned, train accuracy", fine_tune(model, 22))
    round_weights(model, torch.float16)
    write_safetensors(folder / "model.safetensors", model.state_dict(), torch.float16)
    write_config(folder, config, drop_architectures=True)
    write_tokenizer(folder)
    write_reference(folder, model, "distilbert")

    # distilbert-qa: a training checkpoint with the state dict nested under "state_dict".
    folder = fresh(out / "distilbert-qa")
    config = distilbert_config("DistilBertForQuestionAnswering")
    model = build(config, 23)
    torch.save({"state_dict": model.state_dict(), "epoch": 3, "best_f1": 0.5}, folder / "model.pth.tar")
    write_config(folder, config)
    write_tokenizer(folder)
    write_reference(folder, model, "distilbert")

    # distilbert-seq-cls: pytorch_model.bin with HalfStorage tensors; config without "architectures".
    folder = fresh(out / "distilbert-seq-cls")
    config = distilbert_config("DistilBertForSequenceClassification", SENTIMENT)
    model = build(config, 24)
    round_weights(model, torch.float16)
    torch.save({k: v.half() for k, v in model.state_dict().items()}, folder / "pytorch_model.bin")
    write_config(folder, config, drop_architectures=True)
    write_tokenizer(folder)
    write_reference(folder, model, "distilbert")

    # DeepPavlov-style NER tarball: no config, no tokenizer (base = bert-base/).
    folder = fresh(out / "deeppavlov-ner")
    config = bert_config("BertForTokenClassification", NER_TAGS)
    model = build(config, 31)
    print(folder.name, "fine-tuned, train accuracy", fine_tune(model, 31))
    state = model.state_dict()
    # DeepPavlov trains with a head-only optimizer here, keeping the fixture small; its state is junk to skip.
    head = [p for n, p in model.named_parameters() if n.startswith("classifier")]
    optimizer = torch.optim.AdamW(head, lr=1e-3)
    model.train()
    train_inputs = test_inputs("bert")
    loss = model(*[train_inputs[name] for name in bertlib.input_names(model)])[0].pow(2).mean()
    loss.backward()
    optimizer.step()
    model.eval()
    state = {k: v for k, v in model.state_dict().items()}
    crf_generator = torch.Generator().manual_seed(32)
    n = len(NER_TAGS)
    crf_state = collections.OrderedDict(
        [
            ("crf.start_transitions", (0.5 * torch.randn(n, generator=crf_generator)).half().float()),
            ("crf.end_transitions", (0.5 * torch.randn(n, generator=crf_generator)).half().float()),
            ("crf.transitions", (0.5 * torch.randn(n, n, generator=crf_generator)).half().float()),
        ]
    )
    staging = out / "deeppavlov-ner-staging" / "ner_fixture_bert_torch"
    if staging.parent.exists():
        shutil.rmtree(staging.parent)
    staging.mkdir(parents=True)
    torch.save(
        {"model_state_dict": state, "optimizer_state_dict": optimizer.state_dict(), "epochs_done": 2},
        staging / "model.pth.tar",
    )
    torch.save({"model_state_dict": crf_state}, staging / "model_crf.pth.tar")
    # DeepPavlov's SimpleVocabulary file: one "TAG\tcount" line per tag, ids in file order.
    (staging / "tag.dict").write_text("".join(f"{tag}\t{100 - i * 7}\n" for i, tag in enumerate(NER_TAGS)))
    def normalize(info: tarfile.TarInfo) -> tarfile.TarInfo:  # reproducible archive bytes
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        return info

    with gzip.GzipFile(out / "deeppavlov-ner.tar.gz", "wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(staging, arcname="ner_fixture_bert_torch", filter=normalize)
    shutil.rmtree(staging.parent)
    write_reference(folder, model, "bert")
    crf_json = {
        "transitions": crf_state["crf.transitions"].tolist(),
        "start": crf_state["crf.start_transitions"].tolist(),
        "end": crf_state["crf.end_transitions"].tolist(),
    }
    (folder / "crf.json").write_text(json.dumps(crf_json) + "\n")
    (folder / "labels.json").write_text(json.dumps(NER_TAGS) + "\n")

    # Hostile pickles: converting them must fail without running anything.
    torch.save({"model_state_dict": Evil()}, out / "hostile-system.bin")
    torch.save(EvalEvil(), out / "hostile-eval-legacy.bin", _use_new_zipfile_serialization=False)

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
