"""DeepPavlov 1.7 inference semantics, re-implemented in plain PyTorch for bertweb's reference outputs.

Each function says which DeepPavlov source it follows; docs/deeppavlov-1.7.md has the citations (file,
function, stored commit read) and every quirk kept here on purpose. There is no `transformers` package on
this machine: the models come from `bertlib.py` (Hugging Face parameter names and math) and the tokenizer
is re-implemented below (Hugging Face's fast BertTokenizer: BertNormalizer + BertPreTokenizer + WordPiece,
which is what DeepPavlov's `AutoTokenizer.from_pretrained(..., do_lower_case=...)` builds for BERT repos).

Batches: DeepPavlov runs its components on batches and several of them are batch-dependent (the tagger's
CRF decodes padded words, the QA answer-length limit uses the batch's longest context). bertweb's rule is
that results never depend on the batch, so every function here takes ONE example, which is DeepPavlov
with a batch of one.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dp_split import split_words

# ---------------------------------------------------------------------------------------------------------
# Tokenizer: Hugging Face BertTokenizerFast (tokenizers' BertNormalizer, BertPreTokenizer, WordPiece)
# ---------------------------------------------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _is_whitespace(ch: str) -> bool:
    return ch in "\t\n\r " or ch.isspace()


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPieceTokenizer:
    """BERT WordPiece with `do_lower_case` (lowercase + strip accents, as BertNormalizer with
    strip_accents unset) and max_input_chars_per_word 100."""

    def __init__(self, vocab: Sequence[str], do_lower_case: bool):
        self.vocab = list(vocab)
        self.ids = {tok: i for i, tok in enumerate(self.vocab)}
        self.do_lower_case = do_lower_case
        self.special = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

    @classmethod
    def from_file(cls, path: str, do_lower_case: bool) -> "WordPieceTokenizer":
        with open(path, encoding="utf-8") as f:
            return cls([line.rstrip("\n") for line in f], do_lower_case)

    def id(self, token: str) -> int:
        return self.ids.get(token, self.ids["[UNK]"])

    def normalize(self, text: str, nfc: bool = False) -> str:
        """Clean (drop controls, whitespace to spaces), space out CJK, optionally NFC (the slow tokenizer
        does, the fast one does not), then lowercase and strip accents when do_lower_case."""
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_whitespace(ch):
                out.append(" ")
            elif _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = "".join(out)
        if nfc:
            text = unicodedata.normalize("NFC", text)
        if self.do_lower_case:
            text = text.lower()
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        return text

    def pre_tokenize(self, text: str) -> List[str]:
        words: List[str] = []
        for chunk in text.split():
            current = ""
            for ch in chunk:
                if _is_punctuation(ch):
                    if current:
                        words.append(current)
                        current = ""
                    words.append(ch)
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def wordpiece(self, word: str) -> List[str]:
        if len(word) > 100:
            return ["[UNK]"]
        pieces: List[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    found = piece
                    break
                end -= 1
            if found is None:
                return ["[UNK]"]
            pieces.append(found)
            start = end
        return pieces

    def tokenize(self, text: str) -> List[str]:
        """`tokenizer.tokenize(text)`: subtokens without special tokens."""
        return [p for w in self.pre_tokenize(self.normalize(text)) for p in self.wordpiece(w)]

    def encode_pair(self, a: str, b: Optional[str], max_length: int, truncation: bool = True) -> dict:
        """`tokenizer(text=a, text_pair=b, add_special_tokens=True, max_length=..., truncation=True)`,
        without padding: 'longest_first' truncation, one token at a time from the longer side."""
        ta, tb = self.tokenize(a), self.tokenize(b) if b is not None else None
        special = 3 if tb is not None else 2
        if truncation:
            while len(ta) + (len(tb) if tb is not None else 0) + special > max_length:
                if tb is not None and len(tb) > len(ta):
                    tb.pop()
                elif ta:
                    ta.pop()
                elif tb:
                    tb.pop()
                else:
                    break
        tokens = ["[CLS]", *ta, "[SEP]"]
        types = [0] * len(tokens)
        if tb is not None:
            tokens += [*tb, "[SEP]"]
            types += [1] * (len(tb) + 1)
        return {"tokens": tokens, "input_ids": [self.id(t) for t in tokens], "token_type_ids": types}


def pad_to(features: dict, length: int) -> Dict[str, torch.Tensor]:
    """padding='max_length': [PAD]=0 ids, attention 0, token types 0, as int64 [1, length] tensors."""
    n = len(features["input_ids"])
    pad = length - n
    return {
        "input_ids": torch.tensor([features["input_ids"] + [0] * pad]),
        "attention_mask": torch.tensor([[1] * n + [0] * pad]),
        "token_type_ids": torch.tensor([features["token_type_ids"] + [0] * pad]),
    }


# ---------------------------------------------------------------------------------------------------------
# Vocabularies: simple_vocab load (tag.dict / classes.dict)
# ---------------------------------------------------------------------------------------------------------


def load_simple_vocab(path: str) -> List[str]:
    """deeppavlov/core/data/simple_vocab.py SimpleVocabulary.load: one `token<TAB>count` per line, index =
    line number (the file's order, not sorted)."""
    tokens = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            token, _count = line.rstrip("\n").rsplit("\t", 1)
            tokens.append(token)
    return tokens


# ---------------------------------------------------------------------------------------------------------
# NER: torch_transformers_ner_preprocessor + torch_transformers_sequence_tagger
# ---------------------------------------------------------------------------------------------------------


@dataclass
class NerFeatures:
    words: List[str]
    offsets: List[Tuple[int, int]]  # code points, as Python's re
    subword_tokens: List[str]
    input_ids: List[int]
    startofword_markers: List[int]


def ner_preprocess(
    text: str,
    tokenizer: WordPieceTokenizer,
    max_seq_length: Optional[int] = 512,
    max_subword_length: Optional[int] = None,
    subword_mask_mode: str = "first",
    split_version: str = "1.7",
) -> NerFeatures:
    """TorchTransformersNerPreprocessor.__call__ + _ner_bert_tokenize at inference (mode != 'train', so
    token_masking_prob does nothing; every word's tag is 'O', so every word gets a marker)."""
    spans = split_words(text, split_version)
    tokens = ["[CLS]"]
    markers = [0]
    for word, _s, _e in spans:
        subwords = tokenizer.tokenize(word)
        if not subwords or (max_subword_length is not None and len(subwords) > max_subword_length):
            tokens.append("[UNK]")
            markers.append(1)
        else:
            tokens.extend(subwords)
            if subword_mask_mode == "last":
                markers.extend([0] * (len(subwords) - 1) + [1])
            else:
                markers.extend([1] + [0] * (len(subwords) - 1))
    tokens.append("[SEP]")
    markers.append(0)
    if max_seq_length is not None and len(tokens) > max_seq_length:
        raise RuntimeError(f"input sequence after bert tokenization shouldn't exceed {max_seq_length} tokens.")
    return NerFeatures(
        words=[w for w, _, _ in spans],
        offsets=[(s, e) for _, s, e in spans],
        subword_tokens=tokens,
        input_ids=[tokenizer.id(t) for t in tokens],
        startofword_markers=markers,
    )


def viterbi(emissions: torch.Tensor, start: torch.Tensor, end: torch.Tensor, transitions: torch.Tensor) -> List[int]:
    """pytorch-crf's CRF._viterbi_decode for one sequence with an all-ones mask (deeppavlov/models/
    torch_bert/crf.py subclasses torchcrf.CRF; the tagger calls crf.decode(logits) without a mask)."""
    score = start + emissions[0]
    history = []
    for i in range(1, emissions.shape[0]):
        next_score = score.unsqueeze(1) + transitions + emissions[i].unsqueeze(0)
        score, indices = next_score.max(dim=0)
        history.append(indices)
    score = score + end
    best = [int(score.argmax().item())]
    for indices in reversed(history):
        best.append(int(indices[best[-1]].item()))
    best.reverse()
    return best


@torch.no_grad()
def ner_tag(
    model: nn.Module,
    features: NerFeatures,
    tags: List[str],
    crf: Optional[Dict[str, torch.Tensor]] = None,
) -> dict:
    """TorchTransformersSequenceTagger.__call__: logits = model(input_ids, attention_mask) (no token types,
    so zeros), word-level logits at the marked subtokens (token_from_subtoken, float64), probas = softmax,
    prediction = argmax, or the CRF's Viterbi path when use_crf; then tag_vocab maps indices to tags."""
    ids = torch.tensor([features.input_ids])
    mask = torch.ones_like(ids)
    logits = model(ids, mask)[0][0]
    marked = torch.tensor(features.startofword_markers, dtype=torch.bool)
    word_logits = logits[marked].to(torch.float64)
    probas = torch.softmax(word_logits, dim=-1)
    if crf is not None:
        pred = viterbi(
            word_logits,
            crf["start_transitions"].to(torch.float64),
            crf["end_transitions"].to(torch.float64),
            crf["transitions"].to(torch.float64),
        )
    else:
        pred = [int(i) for i in torch.argmax(word_logits, dim=-1)]
    return {
        "subtoken_logits": logits.tolist(),
        "word_logits": word_logits.tolist(),
        "probas": probas.tolist(),
        "pred_ind": pred,
        "tags": [tags[i] for i in pred],
    }


# ---------------------------------------------------------------------------------------------------------
# Classification: torch_transformers_preprocessor + torch_transformers_classifier + proba2labels
# ---------------------------------------------------------------------------------------------------------


def classification_features(
    tokenizer: WordPieceTokenizer, text_a: str, text_b: Optional[str], max_seq_length: int
) -> Dict[str, torch.Tensor]:
    """TorchTransformersPreprocessor.__call__ (1.x): tokenizer(text_a, text_pair=text_b, add_special_tokens,
    max_length=max_seq_length, padding='max_length', truncation=True, return_attention_mask)."""
    return pad_to(tokenizer.encode_pair(text_a, text_b, max_seq_length), max_seq_length)


@torch.no_grad()
def classify(
    model: nn.Module,
    inputs: Dict[str, torch.Tensor],
    takes_token_types: bool,
    return_probas: bool,
    multilabel: bool = False,
    is_binary: bool = False,
) -> dict:
    """TorchTransformersClassifierModel.__call__: only the keys forward() accepts are passed (DistilBERT has
    no token_type_ids); with return_probas softmax (single label), sigmoid (multilabel) or, is_binary, the
    sigmoid of the one logit; without, argmax of the logits (n_classes > 1)."""
    args = [inputs["input_ids"], inputs["attention_mask"]]
    if takes_token_types:
        args.append(inputs["token_type_ids"])
    logits = model(*args)[0]
    out: dict = {"logits": logits[0].tolist()}
    if return_probas:
        if is_binary:
            out["probas"] = torch.sigmoid(logits).squeeze(1)[0].item()
        elif multilabel:
            out["probas"] = torch.sigmoid(logits)[0].tolist()
        else:
            out["probas"] = torch.softmax(logits, dim=-1)[0].tolist()
    else:
        out["pred"] = int(torch.argmax(logits, dim=1)[0])
    return out


def proba2labels(
    probas, max_proba: Optional[bool] = None, confidence_threshold: Optional[float] = None, is_binary: bool = False
):
    """deeppavlov/models/classifiers/proba2labels.py Proba2Labels.__call__ for one example; the order of
    the checks is the source's: confidence_threshold, then max_proba, then top_n."""
    if confidence_threshold:
        if is_binary:
            return int(probas > confidence_threshold)
        return [int(i) for i in np.where(np.array(probas) > confidence_threshold)[0]]
    if max_proba:
        return int(np.argmax(probas))
    raise ValueError("proba2labels needs max_proba or confidence_threshold here")


# ---------------------------------------------------------------------------------------------------------
# SQuAD: torch_squad_transformers_preprocessor + torch_transformers_squad + squad_bert_* (post)processors
# ---------------------------------------------------------------------------------------------------------


def squad_split_context(tokenizer: WordPieceTokenizer, question: str, context: str, max_seq_length: int) -> List[str]:
    """TorchSquadTransformersPreprocessor.__call__: when the context's subtokens do not fit
    (max_chunk_len = max_seq_length - len(question subtokens) - 3), it is split at '. ' into sentences,
    KEEPING ONLY those that do not end with '.' (each gets a '.' appended; a final sentence that already
    ends with '.' is dropped), in math.ceil(len / max_chunk_len) groups by np.array_split, joined by ' '."""
    context_sub = tokenizer.tokenize(context)
    question_sub = tokenizer.tokenize(question)
    max_chunk_len = max_seq_length - len(question_sub) - 3
    if 0 < max_chunk_len < len(context_sub):
        chunks = math.ceil(len(context_sub) / max_chunk_len)
        sentences = context.split(". ")
        sentences = [f"{s}." for s in sentences if not s.endswith(".")]
        return [" ".join(chunk) for chunk in np.array_split(sentences, chunks)]
    return [context]


def squad_subtok2char(context: str, tokens: List[str], do_lower_case: bool) -> Dict[int, int]:
    """SquadBertMappingPreprocessor.__call__: greedy left-to-right find of each context subtoken."""
    if do_lower_case:
        context = context.lower()
    start = tokens.index("[SEP]") + 1
    idx = 0
    sub2c: Dict[int, int] = {}
    for i, subtok in list(enumerate(tokens))[start:-1]:
        subtok = subtok[2:] if subtok.startswith("##") else subtok
        pos = context[idx:].find(subtok)
        if pos == -1:
            idx += 1
        else:
            idx += pos
            sub2c[i] = idx
            idx += len(subtok)
    return sub2c


def _char_position(sub2c: Dict[int, int], sub_pos: int) -> int:
    import bisect

    keys = list(sub2c.keys())
    found = bisect.bisect(keys, sub_pos)
    if found == 0:
        return sub2c[keys[0]]
    return sub2c[keys[found - 1]]


@torch.no_grad()
def squad_answer(
    model: nn.Module,
    tokenizer: WordPieceTokenizer,
    question: str,
    context: str,
    max_seq_length: int,
    do_lower_case: bool,
    takes_token_types: bool = True,
) -> dict:
    """TorchTransformersSquad.__call__ + SquadBertAnsPostprocessor for one question.

    Per window: logits outside [CLS] + the second segment (token_type_ids == 1, which includes the final
    [SEP]) get -1e30 added; start/end probabilities by softmax; score = 1 - p_start[CLS] * p_end[CLS];
    span scores outer[i, j] = p_start[i] * p_end[j] for 0 <= j - i < L - m, where L is the padded length
    (max_seq_length) and m = min(20, the batch's longest context in token types): the source's
    triu(outer, 0) - triu(outer, L - m), so the LIMIT IS L - m TOKENS, not 20; the best span is the argmax
    of outer; its 'logit' is max exp(start_logit + end_logit) over the same triangle. Across windows, the
    window with the largest 'logit' wins. Start or end at position 0 ([CLS]) means no answer ('' and -1)."""
    windows = squad_split_context(tokenizer, question, context, max_seq_length)
    results = []
    for window in windows:
        features = tokenizer.encode_pair(question, window, max_seq_length)
        inputs = pad_to(features, max_seq_length)
        args = [inputs["input_ids"], inputs["attention_mask"]]
        if takes_token_types:
            args.append(inputs["token_type_ids"])
        start_logits, end_logits = model(*args)
        types = inputs["token_type_ids"]
        cls = torch.zeros_like(types)
        cls[:, 0] = 1
        logit_mask = (types + cls).to(torch.float32)
        st = -1e30 * (1 - logit_mask) + start_logits
        en = -1e30 * (1 - logit_mask) + end_logits
        p_st = torch.softmax(st, dim=-1)
        p_en = torch.softmax(en, dim=-1)
        score = float(1 - p_st[0, 0] * p_en[0, 0])
        outer = p_st[0].unsqueeze(1) * p_en[0].unsqueeze(0)
        outer_logits = torch.exp(st[0].unsqueeze(1) + en[0].unsqueeze(0))
        seq_len = outer.shape[1]
        context_max_len = int(types.sum())
        max_ans_length = min(20, context_max_len)
        outer = torch.triu(outer, 0) - torch.triu(outer, seq_len - max_ans_length)
        outer_logits = torch.triu(outer_logits, 0) - torch.triu(outer_logits, seq_len - max_ans_length)
        start = int(torch.argmax(torch.max(outer, dim=1)[0]))
        end = int(torch.argmax(torch.max(outer, dim=0)[0]))
        best_logit = float(torch.max(outer_logits))
        results.append((start, end, best_logit, score, features["tokens"], window))
    best = int(np.argmax([r[2] for r in results]))
    start, end, logit, score, tokens, window = results[best]
    if start == 0 or end == 0:
        answer, char_start = "", -1
    else:
        sub2c = squad_subtok2char(window, tokens, do_lower_case)
        st_char = _char_position(sub2c, start)
        en_char = _char_position(sub2c, end)
        last = tokens[end]
        last = last[2:] if last.startswith("##") else last
        answer, char_start = window[st_char : en_char + len(last)], st_char
    return {
        "windows": windows,
        "window": best,
        "start_token": start,
        "end_token": end,
        "answer": answer,
        "answer_start": char_start,
        "logit": logit,
        "score": score,
    }


# ---------------------------------------------------------------------------------------------------------
# Ranking: torch_bert_ranker_preprocessor + torch_bert_ranker; path_ranking_preprocessor + nll ranker
# ---------------------------------------------------------------------------------------------------------


@torch.no_grad()
def bert_rank(
    model: nn.Module, tokenizer: WordPieceTokenizer, context: str, candidates: List[str], max_seq_length: int
) -> List[float]:
    """TorchBertRankerPreprocessor (context, candidate) pairs padded to max_seq_length, then
    TorchBertRankerModel.__call__: model(input_ids, token_type_ids=None, attention_mask) -- the pair's
    segment ids are computed but NOT passed, so the model sees all zeros -- softmax over the 2 logits,
    column 1 is the score. The batch result is a contexts x candidates matrix; this is one row."""
    scores = []
    for candidate in candidates:
        inputs = pad_to(tokenizer.encode_pair(context, candidate, max_seq_length), max_seq_length)
        logits = model(inputs["input_ids"], inputs["attention_mask"], None)[0]
        scores.append(float(torch.softmax(logits, dim=-1)[0, 1]))
    return scores


@torch.no_grad()
def nll_rank(model: nn.Module, tokenizer: WordPieceTokenizer, question: str, rels: List[str], max_seq_length: int) -> List[float]:
    """PathRankingPreprocessor (no special tokens added in rel_ranking_nll_bert_ru): (question, relation)
    pairs, padded to min(longest pair, max_seq_length) with truncation; TorchTransformersNLLRanker with
    return_probas returns NLLRanking.forward's raw scores fc(CLS hidden) -- no softmax at inference."""
    encoded = [tokenizer.encode_pair(question, rel, max_seq_length) for rel in rels]
    length = min(max(len(e["input_ids"]) for e in encoded), max_seq_length)
    scores = []
    for e in encoded:
        inputs = pad_to(e, length)
        scores.append(float(model(inputs["input_ids"], inputs["attention_mask"], inputs["token_type_ids"])[0]))
    return scores


# ---------------------------------------------------------------------------------------------------------
# Embedder: transformers_bert_preprocessor + transformers_bert_embedder
# ---------------------------------------------------------------------------------------------------------


def slow_basic_tokenize(tokenizer: WordPieceTokenizer, text: str) -> List[str]:
    """transformers' slow BasicTokenizer.tokenize (TransformersBertPreprocessor calls
    tokenizer.basic_tokenizer.tokenize): clean, CJK spacing, NFC, (lowercase + strip accents when
    do_lower_case), split on whitespace and punctuation."""
    return tokenizer.pre_tokenize(tokenizer.normalize(text, nfc=True))


@torch.no_grad()
def embed(model: nn.Module, tokenizer: WordPieceTokenizer, text: str, max_seq_length: int = 512) -> dict:
    """TransformersBertPreprocessor + TransformersBertEmbedder.__call__ for one text: words by the slow
    basic tokenizer, WordPiece per word, [CLS] ... [SEP]; BertModel(ids, attention) (token types zeros).
    Outputs: word_emb (hidden state of each word's FIRST subtoken), subword_emb (every position, [CLS]
    and [SEP] included), max_emb and mean_emb over ALL attended positions ([CLS] and [SEP] included),
    pooler_output (tanh(dense(h[CLS])))."""
    words = slow_basic_tokenize(tokenizer, text)
    tokens, markers = ["[CLS]"], [0]
    for word in words:
        for i, sub in enumerate(tokenizer.wordpiece(word)):
            tokens.append(sub)
            markers.append(int(i == 0))
    tokens.append("[SEP]")
    markers.append(0)
    if len(tokens) > max_seq_length:
        raise RuntimeError(f"input sequence after bert tokenization cannot exceed {max_seq_length} tokens.")
    ids = torch.tensor([[tokenizer.id(t) for t in tokens]])
    attention = torch.ones_like(ids)
    last_hidden, pooler = model(ids, attention)
    hidden = last_hidden[0]
    word_emb = hidden[torch.tensor(markers, dtype=torch.bool)]
    return {
        "tokens": words,
        "subword_tokens": tokens,
        "word_emb": word_emb.tolist(),
        "subword_emb": hidden.tolist(),
        "max_emb": torch.max(hidden, dim=0)[0].tolist(),
        "mean_emb": hidden.mean(dim=0).tolist(),
        "pooler_output": pooler[0].tolist(),
    }
