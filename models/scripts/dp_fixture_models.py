"""The model part of `make_deeppavlov_fixtures.py`: tiny random-weight checkpoints in the layouts of
DeepPavlov 1.7's tarballs (see docs/deeppavlov-1.7.md, "Tarball layouts") and of the hub repos their
configs name in `TRANSFORMER`, plus reference outputs from `dp_reference.py`.

Sizes: hidden 16, 2 layers, 2 heads, intermediate 64, 512 positions, and a ~600-entry vocabulary cut from
the real bert-base-uncased vocab.txt (so that 13 checkpoints stay well under 2 MB together; hidden 32 would
double that). Capital letters (and й, ё) are appended to the cut vocabulary because bert-base-uncased has none
and the Russian configs are cased.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn

import bertlib
import dp_reference as dp

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
UNCASED_VOCAB = SHARED / "tokenizers" / "bert-base-uncased" / "vocab.txt"
CONFIGS = SHARED / "deeppavlov-1.7-configs"

HIDDEN = 16
LAYERS = 2
HEADS = 2
INTERMEDIATE = 64
POSITIONS = 512

# ---------------------------------------------------------------------------------------------------------
# Inputs (fixed): NER texts with dates, times, e-mails, abbreviations, decimals
# ---------------------------------------------------------------------------------------------------------

NER_TEXTS_RU = [
    "Иван Петров приехал в Москву 10.05.2023 в 12:30.",
    "Пишите на ivan@mail.ru, т.е. сегодня до 18:00.",
    "Рост ВВП составил 1,5 процента, а инфляция 7.4 процента.",
    "А.С. Пушкин родился в Москве, т.е. не в Петербурге",
    "Сбербанк и Газпром подписали соглашение в Санкт-Петербурге.",
    "Слово абвгдежзийклмнопрстуфх слишком длинное.",
]
NER_TEXTS_MULT = [
    "John Smith visited Paris on 10.05.2023 at 12:30.",
    "Write to ivan@mail.ru, i.e. today, before 18:00.",
    "Иван Петров приехал в Москву 10.05.2023.",
    "The price rose by 1,5 percent, i.e. 2.5 dollars.",
]
CLASSIFY_TEXTS = [
    "Отличный фильм, всем советую!",
    "Ужасный сервис, больше не приду.",
    "Сегодня вторник.",
    "Ну такое, т.е. на любителя.",
]
TOPIC_TEXTS = [
    "the team won the football match yesterday",
    "new phone has a great camera and battery",
    "the president signed the law on taxes",
]
DANETQA = [
    ("Москва является столицей России?", "Москва — столица и крупнейший город России."),
    ("Пушкин родился в Петербурге?", "А.С. Пушкин родился в Москве 6 июня 1799 года."),
]
SQUAD = [
    ("Где родился Пушкин?", "Пушкин родился в Москве. Он был поэтом. Его отец был майором"),
    ("Когда приехал Иван?", "Иван Петров приехал в Москву 10.05.2023 в 12:30. Он остался надолго."),
]
RANKING = [
    (
        "how do i install a package on ubuntu",
        ["use apt install to get the package", "the weather is nice today", "reboot and try again"],
    ),
]
REL_RANKING = [("Кто написал роман Война и мир?", ["автор", "место рождения", "дата рождения", "жанр"])]
EMBED_TEXTS = ["Иван Петров живёт в Москве.", "Сегодня, т.е. 10.05.2023, идёт дождь!"]

RU_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
ONTONOTES_TYPES = [
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
    "LAW", "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
]  # fmt: skip
RUSENTIMENT = ["neutral", "positive", "negative", "skip", "speech"]
TOPICS = ["Sports", "Technology", "Politics", "Movies", "Music", "Food", "Travel", "Science"]
DANETQA_CLASSES = ["False", "True"]

# ---------------------------------------------------------------------------------------------------------
# Vocabulary cut from the real bert-base-uncased vocab.txt
# ---------------------------------------------------------------------------------------------------------


def all_texts() -> List[str]:
    texts = NER_TEXTS_RU + NER_TEXTS_MULT + CLASSIFY_TEXTS + TOPIC_TEXTS + EMBED_TEXTS
    for pairs in (DANETQA, SQUAD):
        for a, b in pairs:
            texts += [a, b]
    for context, candidates in RANKING + REL_RANKING:
        texts += [context, *candidates]
    return texts


def build_vocab() -> List[str]:
    full = [line.rstrip("\n") for line in UNCASED_VOCAB.open(encoding="utf-8")]
    full_tok = dp.WordPieceTokenizer(full, do_lower_case=True)
    keep = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    chars = set()
    for text in all_texts():
        for ch in text.lower() + full_tok.normalize(text):
            chars.add(ch)
        for word in full_tok.pre_tokenize(full_tok.normalize(text)):
            # whole words and their pieces under the full vocabulary, so the cut one splits the same way
            keep.update(p for p in full_tok.wordpiece(word) if p != "[UNK]")
    for ch in chars:
        keep.update(t for t in (ch, "##" + ch) if t in full_tok.ids)
    vocab = [t for t in full if t in keep]
    # Letters the uncased vocabulary lacks (capitals, й, ё), so that cased configs do not turn every name
    # into [UNK]; appended after the real entries.
    extra = []
    for ch in sorted({c for t in all_texts() for c in t if c.isalpha()}):
        for t in (ch, "##" + ch):
            if t not in full_tok.ids:
                extra.append(t)
    return vocab + extra


# ---------------------------------------------------------------------------------------------------------
# Tiny configs and weights
# ---------------------------------------------------------------------------------------------------------


def bert_hf_config(architecture: str, vocab_size: int, labels: Optional[List[str]] = None) -> dict:
    config = bertlib.bert_config(architecture, labels)
    config.update(
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        intermediate_size=INTERMEDIATE,
        max_position_embeddings=POSITIONS,
        vocab_size=vocab_size,
    )
    return config


def distilbert_hf_config(architecture: str, vocab_size: int, labels: Optional[List[str]] = None) -> dict:
    config = bertlib.distilbert_config(architecture, labels)
    config.update(dim=HIDDEN, n_layers=LAYERS, n_heads=HEADS, hidden_dim=INTERMEDIATE, vocab_size=vocab_size)
    config["max_position_embeddings"] = POSITIONS
    return config


def seeded(model: nn.Module, seed: int) -> nn.Module:
    return bertlib.init_random_weights(model, seed, std=0.5).eval()


def with_position_ids(state: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    """Checkpoints saved by transformers < 4.31 carry the persistent `embeddings.position_ids` buffer
    (int64 [1, max_positions]); DeepPavlov's TorchModel.load uses it to decide strict loading."""
    out = {f"{prefix}embeddings.position_ids": torch.arange(POSITIONS).unsqueeze(0)}
    out.update(state)
    return out


class BinaryHead(nn.Module):
    """The is_binary head (reconstructed, see docs/deeppavlov-1.7.md): dense + tanh on [CLS], one logit."""

    def __init__(self, hidden: int):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out_proj(torch.tanh(self.dense(features[:, 0, :])))


class BinaryClassifier(nn.Module):
    """AutoModelForBinaryClassification: `model` (AutoModel, pooler included) + `classifier`."""

    def __init__(self, config: dict):
        super().__init__()
        self.model = bertlib.BertModel(config, add_pooling_layer=True)
        self.classifier = BinaryHead(config["hidden_size"])

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        return (self.classifier(self.model(input_ids, attention_mask, token_type_ids)[0]),)


class NLLRanking(nn.Module):
    """torch_transformers_nll_ranking.NLLRanking: `encoder` (AutoModel, its embeddings resized to
    len(tokenizer) + 7) and `fc` = Linear(hidden, 1) on the [CLS] hidden state."""

    def __init__(self, config: dict):
        super().__init__()
        self.encoder = bertlib.BertModel(config, add_pooling_layer=True)
        self.fc = nn.Linear(config["hidden_size"], 1)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        return (self.fc(self.encoder(input_ids, attention_mask, token_type_ids)[0][:, 0, :]).squeeze(-1),)


def crf_transitions(tags: List[str]) -> Dict[str, torch.Tensor]:
    """deeppavlov/models/torch_bert/crf.py CRF: zero start/end scores (never trained), transitions copied
    from training statistics: 0 where the pair (i -> j) was seen, -1000 where not. The fixture's
    'statistics' are the BIO-valid pairs: I-X only after B-X or I-X."""
    n = len(tags)
    tr = torch.full((n, n), -1000.0)
    for i, a in enumerate(tags):
        for j, b in enumerate(tags):
            if not b.startswith("I-") or a[2:] == b[2:] and a != "O":
                tr[i, j] = 0.0
    # torchcrf.CRF's parameter order: start_transitions, end_transitions, transitions
    return {"start_transitions": torch.zeros(n), "end_transitions": torch.zeros(n), "transitions": tr}


# ---------------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------------


def torch_bytes(obj, legacy: bool) -> bytes:
    """torch.save's bytes: the zip format (torch >= 1.6 default), or the legacy pickle format of
    `_use_new_zipfile_serialization=False`, written by `legacy_torch_save` so that the bytes do not
    depend on memory addresses (torch names legacy storages by their address)."""
    if legacy:
        return legacy_torch_save(obj)
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def legacy_torch_save(obj) -> bytes:
    """torch/serialization.py `_legacy_save` (torch 1.13) with storage keys "0", "1", ... in first-use
    order instead of addresses: magic number, protocol version, sys info, the object pickle whose storages
    are persistent ids ('storage', type, key, location, numel, None), the sorted key list, then each
    storage as an int64 element count and its raw bytes."""
    import pickle
    import sys

    storages: Dict[int, Tuple[str, torch.storage.TypedStorage]] = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, torch.storage.TypedStorage):
                key = storages.setdefault(id(o._storage), (str(len(storages)), o))[0]
                return ("storage", getattr(torch, o.pickle_storage_type()), key, "cpu", o.size(), None)
            return None

    f = io.BytesIO()
    pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    sys_info = {"protocol_version": 1001, "little_endian": sys.byteorder == "little", "type_sizes": {"short": 2, "int": 4, "long": 4}}
    pickle.dump(sys_info, f, protocol=2)
    Pickler(f, protocol=2).dump(obj)
    by_key = {key: storage for key, storage in storages.values()}
    keys = sorted(by_key)
    pickle.dump(keys, f, protocol=2)
    for key in keys:
        storage = by_key[key]
        data = torch.tensor([], dtype=storage.dtype).set_(storage).contiguous().numpy().tobytes()
        f.write(int(storage.size()).to_bytes(8, "little"))
        f.write(data)
    return f.getvalue()


def checkpoint(state: Dict[str, torch.Tensor], lr: float, epochs: int) -> dict:
    """TorchModel.save's dict. The optimizer state is AdamW's structure with no per-parameter state (a
    checkpoint taken before the first step), which keeps the fixture small; real files carry
    exp_avg / exp_avg_sq for every parameter. bertweb must ignore this key either way."""
    return {
        "model_state_dict": state,
        "optimizer_state_dict": {
            "state": {},
            "param_groups": [
                {
                    "lr": lr,
                    "betas": (0.9, 0.999),
                    "eps": 1e-06,
                    "weight_decay": 0.01,
                    "amsgrad": False,
                    "maximize": False,
                    "foreach": None,
                    "capturable": False,
                    "params": list(range(len(state))),
                }
            ],
        },
        "epochs_done": epochs,
    }


def simple_vocab_file(tokens: List[str]) -> bytes:
    """simple_vocab's save format: `token<TAB>count` per line (counts made up, decreasing)."""
    return "".join(f"{t}\t{1000 - 7 * i}\n" for i, t in enumerate(tokens)).encode("utf-8")


def write_tar_gz(path: Path, files: Dict[str, bytes]) -> None:
    """Deterministic tar.gz: sorted members, mtime 0, root-owned, directories listed as in `tar czf`."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        dirs = sorted({str(Path(name).parents[i]) for name in files for i in range(len(Path(name).parts) - 1)})
        for d in dirs:
            info = tarfile.TarInfo(d + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))
    with path.open("wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
        gz.write(raw.getvalue())


def hub_repo(folder: Path, config: dict, vocab: List[str], do_lower_case: bool, weights: Dict[str, torch.Tensor]) -> None:
    """A hub base repo as DeepPavlov's TRANSFORMER names it: config.json, vocab.txt, tokenizer_config.json,
    special_tokens_map.json and a legacy-pickle pytorch_model.bin (the format of the 2019-2020 uploads)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"do_lower_case": do_lower_case, "model_max_length": 512, "tokenizer_class": "BertTokenizer"}, indent=2)
        + "\n"
    )
    (folder / "special_tokens_map.json").write_text(
        json.dumps(
            {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"},
            indent=2,
        )
        + "\n"
    )
    (folder / "pytorch_model.bin").write_bytes(torch_bytes(weights, legacy=True))


def pretraining_state(model: bertlib.BertModel, vocab_size: int, seed: int) -> Dict[str, torch.Tensor]:
    """BertForPreTraining's keys (`bert.` + `cls.predictions.*`, `cls.seq_relationship.*`), the layout of
    checkpoints converted from Google's TF releases."""
    g = torch.Generator().manual_seed(seed)
    state = {f"bert.{k}": v for k, v in model.state_dict().items()}
    state["cls.predictions.bias"] = torch.zeros(vocab_size)
    state["cls.predictions.transform.dense.weight"] = (0.5 * torch.randn(HIDDEN, HIDDEN, generator=g)).half().float()
    state["cls.predictions.transform.dense.bias"] = torch.zeros(HIDDEN)
    state["cls.predictions.transform.LayerNorm.weight"] = torch.ones(HIDDEN)
    state["cls.predictions.transform.LayerNorm.bias"] = torch.zeros(HIDDEN)
    state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"]
    state["cls.seq_relationship.weight"] = (0.5 * torch.randn(2, HIDDEN, generator=g)).half().float()
    state["cls.seq_relationship.bias"] = torch.zeros(2)
    return state


def floats(value):
    """Rounds references to float32 precision (what bertweb compares against)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [floats(v) for v in value]
    if isinstance(value, dict):
        return {k: floats(v) for k, v in value.items()}
    return value


def config_json(name: str) -> dict:
    for path in CONFIGS.rglob(f"{name}.json"):
        return json.loads(path.read_text())
    raise FileNotFoundError(name)


# ---------------------------------------------------------------------------------------------------------
# The fixtures
# ---------------------------------------------------------------------------------------------------------


def check_tokenizer() -> int:
    """dp_reference's WordPiece tokenizer must reproduce Hugging Face's ids on the bert-base-uncased
    entries of shared/data/tokenizers/tokenization-references.json (Transformers.js' test suite)."""
    refs = json.loads((SHARED / "tokenizers" / "tokenization-references.json").read_text())["models"]
    tok = dp.WordPieceTokenizer.from_file(str(UNCASED_VOCAB), do_lower_case=True)
    n = 0
    for name in ("Xenova/bert-base-uncased", "Xenova/distilbert-base-uncased-finetuned-sst-2-english"):
        for case_id, case in refs[name].items():
            if "text_pair" in case or not isinstance(case.get("text"), str):
                continue
            got = tok.encode_pair(case["text"], None, 10**6)["input_ids"]
            if got != case["ids"]:
                raise SystemExit(f"tokenizer differs from Hugging Face on {name} {case_id}: {got} != {case['ids']}")
            n += 1
    return n


def write_all(out: Path) -> None:
    if not UNCASED_VOCAB.exists() or not CONFIGS.exists():
        raise SystemExit(f"needs {UNCASED_VOCAB} and {CONFIGS}")
    print(f"tokenizer matches Hugging Face on {check_tokenizer()} reference texts")
    torch.manual_seed(0)
    vocab = build_vocab()
    V = len(vocab)
    for sub in ("hub", "files"):
        shutil.rmtree(out / sub, ignore_errors=True)
    hub, files = out / "hub", out / "files"
    references: Dict[str, dict] = {}
    manifest: Dict[str, dict] = {}

    # ---- hub base repos (what TRANSFORMER names) ----
    bases = {
        "DeepPavlov/rubert-base-cased": ("bert", False, 3001),
        "bert-base-multilingual-cased": ("bert", False, 3002),
        "bert-base-uncased": ("bert", True, 3003),
        "distilbert-base-uncased": ("distilbert", True, 3004),
    }
    for repo, (family, lower, seed) in bases.items():
        if family == "bert":
            config = bert_hf_config("BertForMaskedLM", V)
            weights = pretraining_state(seeded(bertlib.BertModel(config), seed), V, seed)
        else:
            config = distilbert_hf_config("DistilBertForMaskedLM", V)
            model = seeded(bertlib.DistilBertModel(config), seed)
            weights = {f"distilbert.{k}": v for k, v in model.state_dict().items()}
        hub_repo(hub / repo, config, vocab, lower, weights)

    def tokenizer(lower: bool) -> dp.WordPieceTokenizer:
        return dp.WordPieceTokenizer(vocab, do_lower_case=lower)

    def tarball(name: str, url_path: str, members: Dict[str, bytes], config_name: str, overrides: dict) -> None:
        path = files / url_path
        path.parent.mkdir(parents=True, exist_ok=True)
        write_tar_gz(path, members)
        manifest[name] = {
            "config": config_name,
            "variables": overrides,
            "tarball": f"files/{url_path}",
            "members": {m: {"bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()} for m, b in sorted(members.items())},
        }

    bert_tc = lambda labels: bert_hf_config("BertForTokenClassification", V, labels)  # noqa: E731

    # ---- 1. ner_rus_bert: no CRF, cased, max_subword_length 15 ----
    model = seeded(bertlib.BertForTokenClassification(bert_tc(RU_TAGS)), 4001)
    tag_order = ["B-LOC", "B-PER", "O", "I-PER", "B-ORG", "I-ORG", "I-LOC"]  # file order, not sorted
    state = with_position_ids(model.state_dict(), "bert.")
    tarball(
        "ner_rus_bert",
        "v1/ner/ner_rus_bert_torch_new.tar.gz",
        {"model.pth.tar": torch_bytes(checkpoint(state, 2e-5, 12), legacy=False), "tag.dict": simple_vocab_file(tag_order)},
        "ner_rus_bert",
        {},
    )
    tok = tokenizer(False)
    cases = []
    for text in NER_TEXTS_RU:
        f = dp.ner_preprocess(text, tok, 512, 15, "first")
        res = dp.ner_tag(model, f, tag_order)
        last = dp.ner_tag(model, dp.ner_preprocess(text, tok, 512, 15, "last"), tag_order)
        cases.append(
            {
                "text": text,
                "words": f.words,
                "subword_tokens": f.subword_tokens,
                "input_ids": f.input_ids,
                "startofword_markers": f.startofword_markers,
                **res,
                "last_mode_tags": last["tags"],
                "legacy_split_words": [w for w, _, _ in dp.split_words(text, "legacy")],
            }
        )
    references["ner_rus_bert"] = {"tags": tag_order, "use_crf": False, "cases": cases}

    # ---- 2. ner_ontonotes_bert_mult: CRF in model_crf.pth.tar ----
    onto_tags = ["O"] + [f"{p}-{t}" for t in ONTONOTES_TYPES for p in ("B", "I")]
    model = seeded(bertlib.BertForTokenClassification(bert_tc(onto_tags)), 4002)
    crf = crf_transitions(onto_tags)
    state = with_position_ids(model.state_dict(), "bert.")
    tarball(
        "ner_ontonotes_bert_mult",
        "v1/ner/ner_ontonotes_bert_mult_torch_crf.tar.gz",
        {
            "model.pth.tar": torch_bytes(checkpoint(state, 2e-5, 3), legacy=False),
            "model_crf.pth.tar": torch_bytes({"model_state_dict": crf}, legacy=False),
            "tag.dict": simple_vocab_file(onto_tags),
        },
        "ner_ontonotes_bert_mult",
        {},
    )
    cases = []
    for text in NER_TEXTS_MULT:
        f = dp.ner_preprocess(text, tok, 512, 15, "first")
        res = dp.ner_tag(model, f, onto_tags, crf)
        argmax = [onto_tags[int(i)] for i in torch.tensor(res["word_logits"]).argmax(-1)]
        cases.append({"text": text, "words": f.words, "input_ids": f.input_ids, **res, "argmax_tags": argmax})
    references["ner_ontonotes_bert_mult"] = {"tags": onto_tags, "use_crf": True, "cases": cases}

    # ---- 3. rusentiment_bert: softmax + proba2labels(max_proba) + classes.dict ----
    model = seeded(bertlib.BertForSequenceClassification(bert_hf_config("BertForSequenceClassification", V, RUSENTIMENT)), 4003)
    state = with_position_ids(model.state_dict(), "bert.")
    tarball(
        "rusentiment_bert",
        "v1/classifiers/rusentiment_bert/rusentiment_bert_torch.tar.gz",
        {"model.pth.tar": torch_bytes(checkpoint(state, 2e-5, 5), legacy=False), "classes.dict": simple_vocab_file(RUSENTIMENT)},
        "rusentiment_bert",
        {},
    )
    cases = []
    for text in CLASSIFY_TEXTS:
        inputs = dp.classification_features(tok, text, None, 64)
        res = dp.classify(model, inputs, True, return_probas=True)
        label = dp.proba2labels(res["probas"], max_proba=True)
        cases.append({"text": text, "input_ids": inputs["input_ids"][0].tolist(), **res, "label": RUSENTIMENT[label]})
    references["rusentiment_bert"] = {"classes": RUSENTIMENT, "cases": cases}

    # ---- 4. topics_distilbert_base_uncased: multilabel sigmoid + proba2labels(threshold 0.5) ----
    model = seeded(
        bertlib.DistilBertForSequenceClassification(distilbert_hf_config("DistilBertForSequenceClassification", V, TOPICS)), 4004
    )
    tarball(
        "topics_distilbert_base_uncased",
        "deeppavlov_data/classifiers/topic_distilbert_base_v0.tar.gz",
        {
            "topic_distilbert_base_v0/model.pth.tar": torch_bytes(checkpoint(model.state_dict(), 1e-5, 2), legacy=False),
            "topic_distilbert_base_v0/classes.dict": simple_vocab_file(TOPICS),
        },
        "topics_distilbert_base_uncased",
        {},
    )
    ltok = tokenizer(True)
    cases = []
    for text in TOPIC_TEXTS:
        inputs = dp.classification_features(ltok, text, None, 128)
        res = dp.classify(model, inputs, False, return_probas=True, multilabel=True)
        labels = dp.proba2labels(res["probas"], confidence_threshold=0.5)
        cases.append({"text": text, "input_ids": inputs["input_ids"][0].tolist(), **res, "labels": [TOPICS[i] for i in labels]})
    references["topics_distilbert_base_uncased"] = {"classes": TOPICS, "cases": cases}

    # ---- 5. russian_superglue_danetqa_rubert with BINARY_CLASSIFICATION = true (reconstructed head) ----
    model = seeded(BinaryClassifier(bert_hf_config("BertModel", V)), 4005)
    state = with_position_ids(model.state_dict(), "model.")
    tarball(
        "danetqa_binary",
        "v1/russian_super_glue/russian_superglue_danetqa_rubert.tar.gz",
        {"model.pth.tar": torch_bytes(checkpoint(state, 2e-5, 4), legacy=False), "classes.dict": simple_vocab_file(DANETQA_CLASSES)},
        "russian_superglue_danetqa_rubert",
        {"BINARY_CLASSIFICATION": True},
    )
    cases = []
    for question, passage in DANETQA:
        inputs = dp.classification_features(tok, question, passage, 512)
        res = dp.classify(model, inputs, True, return_probas=True, is_binary=True)
        # proba2labels(is_binary, max_proba): np.argmax of a scalar is 0, so DeepPavlov answers classes[0]
        cases.append(
            {"text_a": question, "text_b": passage, "input_ids": inputs["input_ids"][0][: int(inputs["attention_mask"].sum())].tolist(), **res,
             "label_deeppavlov": DANETQA_CLASSES[dp.proba2labels([res["probas"]], max_proba=True)],
             "label_threshold_0_5": DANETQA_CLASSES[int(res["probas"] > 0.5)]}
        )  # fmt: skip
    references["danetqa_binary"] = {"classes": DANETQA_CLASSES, "is_binary": True, "cases": cases}

    # ---- 6. squad_ru_bert ----
    model = seeded(bertlib.BertForQuestionAnswering(bert_hf_config("BertForQuestionAnswering", V)), 4006)
    state = with_position_ids(model.state_dict(), "bert.")
    tarball(
        "squad_ru_bert",
        "v1/squad/squad_ru_torch_bert.tar.gz",
        {"squad_ru_torch_bert/DeepPavlov/rubert-base-cased/model.pth.tar": torch_bytes(checkpoint(state, 2e-5, 2), legacy=False)},
        "squad_ru_bert",
        {},
    )
    cases = []
    for question, context in SQUAD:
        cases.append({"question": question, "context": context, **dp.squad_answer(model, tok, question, context, 384, False)})
    # A window split: the same model with max_seq_length 64 (the config's 384 is never exceeded here).
    question, context = SQUAD[0]
    split = dp.squad_answer(model, tok, question, context + ". Он жил в Петербурге. Потом он уехал.", 64, False)
    references["squad_ru_bert"] = {"max_seq_length": 384, "cases": cases, "split_case_max_seq_length_64": split}

    # ---- 7. ranking_ubuntu_v2_torch_bert_uncased ----
    model = seeded(
        bertlib.BertForSequenceClassification(bert_hf_config("BertForSequenceClassification", V, ["0", "1"])), 4007
    )
    state = with_position_ids(model.state_dict(), "bert.")
    tarball(
        "ranking_ubuntu_v2_torch_bert_uncased",
        "deeppavlov_data/ubuntu_v2_uncased_torch_bert_model_v2.tar.gz",
        {"ubuntu_v2_uncased_torch_bert_model/model.pth.tar": torch_bytes(checkpoint(state, 2e-5, 1), legacy=False)},
        "ranking_ubuntu_v2_torch_bert_uncased",
        {},
    )
    cases = []
    for context, candidates in RANKING:
        scores = dp.bert_rank(model, ltok, context, candidates, 128)
        with_types = []
        for cand in candidates:  # what a head that passes the pair's segment ids would get instead
            inputs = dp.pad_to(ltok.encode_pair(context, cand, 128), 128)
            logits = model(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"])[0]
            with_types.append(float(torch.softmax(logits, -1)[0, 1]))
        cases.append({"context": context, "candidates": candidates, "scores": scores, "scores_if_token_types_passed": with_types})
    references["ranking_ubuntu_v2_torch_bert_uncased"] = {"max_seq_length": 128, "cases": cases}

    # ---- 8. rel_ranking_nll_bert_ru ----
    model = seeded(NLLRanking(bert_hf_config("BertModel", V + 7)), 4008)
    tarball(
        "rel_ranking_nll_bert_ru",
        "kbqa/models/rel_ranking_nll_bert_ru.tar.gz",
        {"model.pth.tar": torch_bytes(checkpoint(model.state_dict(), 1e-5, 6), legacy=False)},
        "rel_ranking_nll_bert_ru",
        {},
    )
    cases = [
        {"question": q, "rels": rels, "scores": dp.nll_rank(model, tok, q, rels, 96)} for q, rels in REL_RANKING
    ]
    references["rel_ranking_nll_bert_ru"] = {"embedding_rows": V + 7, "cases": cases}

    # ---- 9. bert_sentence_embedder: a whole model folder, legacy pickle ----
    emb_config = bert_hf_config("BertModel", V)
    model = seeded(bertlib.BertModel(emb_config), 4009)
    folder = "sentence_multi_cased_L-12_H-768_A-12_pt_v1"
    tarball(
        "bert_sentence_embedder",
        "deeppavlov_data/bert/sentence_multi_cased_L-12_H-768_A-12_pt_v1.tar.gz",
        {
            f"{folder}/config.json": (json.dumps(emb_config, indent=2) + "\n").encode(),
            f"{folder}/vocab.txt": "".join(t + "\n" for t in vocab).encode("utf-8"),
            f"{folder}/pytorch_model.bin": torch_bytes(pretraining_state(model, V, 4009), legacy=True),
        },
        "bert_sentence_embedder",
        {},
    )
    references["bert_sentence_embedder"] = {"cases": [{"text": t, **dp.embed(model, tok, t)} for t in EMBED_TEXTS]}

    (out / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    (out / "reference.json").write_text(json.dumps(floats(references), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"vocab {V} entries; fixtures {total / 1e6:.2f} MB in {out}")
