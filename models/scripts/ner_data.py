#!/usr/bin/python3
"""factRuEval-2016 -> word-level BIO sentences (PER / ORG / LOC).

The corpus (``/work/shared/data/factRuEval-2016``) ships, per document:
  ``.txt``      the text (offsets below are code points of this text),
  ``.tokens``   ``id start length text`` per line, blank line between sentences,
  ``.spans``    ``id type start length first_token n_tokens # ...`` (first annotation layer),
  ``.objects``  ``id type span_id... # ...`` (mentions built from spans, second layer).

Sentences are the corpus sentences (blank lines in ``.tokens``), split further after
sentence-final punctuation when the corpus glued two sentences together. Words are the
corpus tokens (``load_split``), or the words that bertweb's run-time split makes of each
sentence's text (``resplit`` / ``load_split_words``): DeepPavlov 1.7's
``[\d]+[\d\.,]+[\d]+|[\w'\.:@]+|[^\w ]`` with the final "." split off the last match
(``dp_split.py``), every whitespace character a separator. The gold entities, character
spans taken from the corpus tokens, are then mapped onto those words: an entity covers
every word it overlaps. An entity whose ends fall inside a word ("Путин" in "Путин:")
no longer matches word boundaries; these are counted (``--stats``), and their word-level
span is the covering words.

Label mapping (objects of other types, e.g. Facility and Project, are dropped):
  Person -> PER,  Org -> ORG,  Location -> LOC,  LocOrg -> LOC.

A mention covers the tokens from the first to the last token of its spans (the spans
of a mention are listed out of text order, and a geo adjective may precede the name).
Nested or overlapping mentions are resolved to the outermost: mentions are taken
longest first (ties: earlier start, then PER < ORG < LOC for determinism) and a
mention overlapping an already accepted one is dropped. So "мэрии Москвы" (Org)
wins over the LocOrg "Москвы" inside it, as in the Collection3-style corpora
DeepPavlov trains on. A mention crossing a sentence boundary is dropped (counted).

Usage:
  ner_data.py --split test --stats
  ner_data.py --split test --conll models/ner-ru-tiny/data/factru-test.conll   # 1.7 words
  ner_data.py --split test --words corpus --conll corpus-tokens.conll
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dp_split  # noqa: E402

DATA_ROOT = "/work/shared/data/factRuEval-2016"
SPLIT_DIRS = {"dev": "devset", "test": "testset"}
TYPE_MAP = {"Person": "PER", "Org": "ORG", "Location": "LOC", "LocOrg": "LOC"}
LABEL_ORDER = {"PER": 0, "ORG": 1, "LOC": 2}
SENTENCE_FINAL = {".", "!", "?", "…"}
# Tokens that may follow a sentence-final mark and still belong to the sentence.
CLOSERS = {"»", '"', ")", "”", "’", "'", "]"}
# Word sources: the corpus tokens, or bertweb's run-time split in one of its two versions.
WORD_SPLITS = ("1.7", "legacy", "corpus")


@dataclass
class Word:
    text: str
    start: int  # code point offset in the document text
    end: int


@dataclass
class Sentence:
    doc: str
    words: list[Word]
    tags: list[str]
    text: str = ""  # the document text slice covering the sentence
    offset: int = 0  # where `text` starts in the document
    meta: dict = field(default_factory=dict)


@dataclass
class Stats:
    mentions: Counter = field(default_factory=Counter)  # kept, per label
    nested_dropped: int = 0
    cross_sentence_dropped: int = 0
    other_types_dropped: Counter = field(default_factory=Counter)
    # resplit(): entities whose start or end falls inside a word of the new split, per label
    misaligned: Counter = field(default_factory=Counter)
    misaligned_examples: list = field(default_factory=list)
    # resplit(): entities dropped because a word of the new split overlaps an earlier entity
    merged_dropped: int = 0
    # resplit(): words before and after
    corpus_words: int = 0
    split_words: int = 0


def _read_tokens(path: str) -> list[list[tuple[str, int, int, str]]]:
    """Corpus sentences as lists of (token_id, start, end, text)."""
    sentences: list[list[tuple[str, int, int, str]]] = []
    current: list[tuple[str, int, int, str]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                if current:
                    sentences.append(current)
                    current = []
                continue
            tid, start, length, text = parts
            current.append((tid, int(start), int(start) + int(length), text))
    if current:
        sentences.append(current)
    return sentences


def _split_glued(sentence: list[tuple[str, int, int, str]]) -> list[list[tuple[str, int, int, str]]]:
    """Split a corpus sentence after sentence-final punctuation (plus closing quotes)
    when an upper-case word follows: a few corpus sentences hold several."""
    pieces: list[list[tuple[str, int, int, str]]] = []
    current: list[tuple[str, int, int, str]] = []
    i = 0
    while i < len(sentence):
        current.append(sentence[i])
        if sentence[i][3] in SENTENCE_FINAL:
            j = i + 1
            while j < len(sentence) and sentence[j][3] in CLOSERS:
                current.append(sentence[j])
                j += 1
            nxt = sentence[j][3] if j < len(sentence) else ""
            if nxt[:1].isupper():
                pieces.append(current)
                current = []
            i = j
            continue
        i += 1
    if current:
        pieces.append(current)
    return pieces


def _read_spans(path: str) -> dict[str, tuple[str, int]]:
    """span id -> (first token id, number of tokens)."""
    spans: dict[str, tuple[str, int]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            head = line.split("#", 1)[0].split()
            if len(head) < 6:
                continue
            spans[head[0]] = (head[4], int(head[5]))
    return spans


def _read_objects(path: str) -> list[tuple[str, str, list[str]]]:
    """(mention id, type, span ids)."""
    objects = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            head = line.split("#", 1)[0].split()
            if len(head) < 3:
                continue
            objects.append((head[0], head[1], head[2:]))
    return objects


def load_document(base: str, stats: Stats | None = None) -> list[Sentence]:
    """Sentences of one document (``base`` is the path without extension)."""
    stats = stats if stats is not None else Stats()
    doc = os.path.basename(base)
    with open(base + ".txt", encoding="utf-8", newline="") as f:
        text = f.read()
    corpus_sentences = _read_tokens(base + ".tokens")
    token_index: dict[str, tuple[int, int]] = {}  # token id -> (sentence no, position)
    token_order: dict[str, int] = {}  # token id -> global position in the document
    flat: list[tuple[str, int, int, str]] = []
    for s_no, sent in enumerate(corpus_sentences):
        for pos, tok in enumerate(sent):
            token_index[tok[0]] = (s_no, pos)
            token_order[tok[0]] = len(flat)
            flat.append(tok)
            if text[tok[1] : tok[2]] != tok[3]:
                raise ValueError(f"{doc}: token {tok[0]} {tok[3]!r} does not match the text at {tok[1]}")

    spans = _read_spans(base + ".spans") if os.path.exists(base + ".spans") else {}
    objects = _read_objects(base + ".objects") if os.path.exists(base + ".objects") else []

    # Each mention as a range of global token positions.
    mentions: list[tuple[int, int, str]] = []
    for _, otype, span_ids in objects:
        label = TYPE_MAP.get(otype)
        if label is None:
            stats.other_types_dropped[otype] += 1
            continue
        positions: list[int] = []
        for sid in span_ids:
            if sid not in spans:
                raise ValueError(f"{doc}: object refers to unknown span {sid}")
            first, n = spans[sid]
            p0 = token_order[first]
            positions.extend(range(p0, p0 + n))
        lo, hi = min(positions), max(positions)
        if token_index[flat[lo][0]][0] != token_index[flat[hi][0]][0]:
            stats.cross_sentence_dropped += 1
            continue
        mentions.append((lo, hi, label))

    # Outermost wins: longest first, reject overlaps with accepted mentions.
    mentions.sort(key=lambda m: (-(m[1] - m[0]), m[0], LABEL_ORDER[m[2]]))
    taken = [False] * len(flat)
    tags = ["O"] * len(flat)
    seen: set[tuple[int, int, str]] = set()
    for lo, hi, label in mentions:
        if (lo, hi, label) in seen:
            continue  # the same mention annotated twice
        seen.add((lo, hi, label))
        if any(taken[lo : hi + 1]):
            stats.nested_dropped += 1
            continue
        for p in range(lo, hi + 1):
            taken[p] = True
            tags[p] = ("B-" if p == lo else "I-") + label
        stats.mentions[label] += 1

    sentences: list[Sentence] = []
    for sent in corpus_sentences:
        for piece in _split_glued(sent):
            words = [Word(t[3], t[1], t[2]) for t in piece]
            wtags = [tags[token_order[t[0]]] for t in piece]
            # A split inside an entity would orphan an I- tag: start a new entity there.
            if wtags and wtags[0].startswith("I-"):
                wtags[0] = "B-" + wtags[0][2:]
            start, end = words[0].start, words[-1].end
            sentences.append(Sentence(doc, words, wtags, text[start:end], start))
    return sentences


def load_split(split: str, root: str = DATA_ROOT, stats: Stats | None = None) -> list[Sentence]:
    """All sentences of ``dev`` or ``test``, documents in sorted order."""
    folder = os.path.join(root, SPLIT_DIRS[split])
    bases = sorted(p[: -len(".tokens")] for p in glob.glob(os.path.join(folder, "*.tokens")))
    if not bases:
        raise FileNotFoundError(f"no .tokens files under {folder}")
    out: list[Sentence] = []
    for base in bases:
        out.extend(load_document(base, stats))
    return out


def entities(tags: list[str]) -> list[tuple[int, int, str]]:
    """Entity spans (first word, last word inclusive, label) from BIO tags, seqeval-style:
    an I- tag after O or after another type starts a new entity."""
    out: list[tuple[int, int, str]] = []
    start, label = -1, ""
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, typ = tag.partition("-")
        continues = prefix == "I" and typ == label and start >= 0
        if start >= 0 and not continues:
            out.append((start, i - 1, label))
            start, label = -1, ""
        if prefix in ("B", "I") and not continues:
            start, label = i, typ
    return out


def runtime_words(text: str, version: str = "1.7") -> list[tuple[str, int, int]]:
    """The words bertweb's ``splitWords(text, { split: version })`` gives, as (word, start, end) in code
    points: DeepPavlov's regex (``dp_split.split_words``) with every whitespace character a separator
    (bertweb never makes a word of whitespace; Python's ``[^\\w ]`` makes one of a newline). The other
    characters for which bertweb departs from Python (marks, format and control characters, emoji
    sequences, flags) do not occur in factRuEval; a text holding one is refused rather than split
    differently from the run time."""
    spaced = "".join(" " if ch.isspace() else ch for ch in text)
    if dp_split.unicode_safety_applies(spaced.replace(" ", "")):
        raise ValueError(f"text holds characters whose run-time split this script does not model: {text!r}")
    return dp_split.split_words(spaced, version)


def gold_spans(sentence: Sentence) -> list[tuple[int, int, str]]:
    """Gold entities of a corpus-token sentence as document character spans (start, end, label)."""
    return [(sentence.words[a].start, sentence.words[b].end, label) for a, b, label in entities(sentence.tags)]


def resplit(sentence: Sentence, version: str = "1.7", stats: Stats | None = None) -> Sentence:
    """The sentence with the words of bertweb's run-time split of its text and the gold entities mapped
    onto them (B- on the first word an entity overlaps, I- on the others). ``meta["spans"]`` keeps the
    gold character spans (document offsets) for finer labels (train_ner.py labels each sub-word piece)."""
    stats = stats if stats is not None else Stats()
    spans = gold_spans(sentence)
    words = [Word(w, sentence.offset + a, sentence.offset + b) for w, a, b in runtime_words(sentence.text, version)]
    tags = ["O"] * len(words)
    kept = []
    for start, end, label in spans:
        covered = [i for i, w in enumerate(words) if w.start < end and w.end > start]
        if not covered or any(tags[i] != "O" for i in covered):
            stats.merged_dropped += 1
            continue
        for k, i in enumerate(covered):
            tags[i] = ("B-" if k == 0 else "I-") + label
        kept.append((start, end, label))
        if words[covered[0]].start != start or words[covered[-1]].end != end:
            stats.misaligned[label] += 1
            if len(stats.misaligned_examples) < 12:
                a, b = words[covered[0]].start - sentence.offset, words[covered[-1]].end - sentence.offset
                stats.misaligned_examples.append(
                    {"entity": sentence.text[start - sentence.offset : end - sentence.offset], "words": sentence.text[a:b], "label": label}
                )
    stats.corpus_words += len(sentence.words)
    stats.split_words += len(words)
    return Sentence(sentence.doc, words, tags, sentence.text, sentence.offset, {"spans": kept})


def load_split_words(split: str, words: str = "1.7", root: str = DATA_ROOT, stats: Stats | None = None) -> list[Sentence]:
    """``load_split`` with the words of ``words`` ("1.7", "legacy": bertweb's run-time split; "corpus":
    the corpus tokens)."""
    sentences = load_split(split, root, stats)
    if words == "corpus":
        return sentences
    return [resplit(s, words, stats) for s in sentences]


def entity_counts(sentences: list[Sentence]) -> Counter:
    counts: Counter = Counter()
    for s in sentences:
        for _, _, label in entities(s.tags):
            counts[label] += 1
    return counts


def to_conll(sentences: list[Sentence]) -> str:
    """``word<TAB>TAG`` lines, a blank line after each sentence."""
    lines: list[str] = []
    for s in sentences:
        for w, t in zip(s.words, s.tags):
            lines.append(f"{w.text}\t{t}")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=sorted(SPLIT_DIRS), required=True)
    ap.add_argument("--root", default=DATA_ROOT)
    ap.add_argument(
        "--words",
        choices=WORD_SPLITS,
        default="1.7",
        help="words: bertweb's run-time split ('1.7', default; 'legacy') or the corpus tokens ('corpus')",
    )
    ap.add_argument("--conll", help="write the split as CoNLL (word<TAB>TAG) to this file")
    ap.add_argument("--stats", action="store_true", help="print sentence / word / entity counts as JSON")
    args = ap.parse_args()

    stats = Stats()
    sentences = load_split_words(args.split, args.words, args.root, stats)
    if args.conll:
        os.makedirs(os.path.dirname(os.path.abspath(args.conll)), exist_ok=True)
        with open(args.conll, "w", encoding="utf-8", newline="\n") as f:
            f.write(to_conll(sentences))
    if args.stats or not args.conll:
        report = {
            "split": args.split,
            "word_split": args.words,
            "sentences": len(sentences),
            "words": sum(len(s.words) for s in sentences),
            "entities": dict(sorted(entity_counts(sentences).items())),
            "nested_or_overlapping_dropped": stats.nested_dropped,
            "cross_sentence_dropped": stats.cross_sentence_dropped,
            "other_types_dropped": dict(sorted(stats.other_types_dropped.items())),
        }
        if args.words != "corpus":
            report["corpus_tokens"] = stats.corpus_words
            report["entities_not_on_word_boundaries"] = dict(sorted(stats.misaligned.items()))
            report["entities_merged_into_one_word_dropped"] = stats.merged_dropped
            report["examples_not_on_word_boundaries"] = stats.misaligned_examples
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
