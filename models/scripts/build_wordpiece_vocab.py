#!/usr/bin/python3
"""The project's own WordPiece vocabulary learner and encoder (no `tokenizers` library).

Pre-tokenization is BERT's BasicTokenizer with do_lower_case=False (cased), as Hugging Face's
BertTokenizer / BertNormalizer + BertPreTokenizer do it: drop NUL, U+FFFD and control characters,
map whitespace to spaces, put spaces around CJK ideographs, NFC (a no-op on factRuEval, which is
NFC already), split on whitespace, then split every punctuation character off as its own token.

Learning is BPE-style, as Hugging Face's WordPieceTrainer does it: every word starts as its first
character plus ``##``-prefixed continuation characters; the most frequent adjacent pair (or, with
``--score likelihood``, the pair with the highest freq(ab) / (freq(a) * freq(b)), Google's WordPiece
criterion) is merged until the vocabulary reaches the target size. The vocabulary is: the special
tokens ([PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4), every single character seen and its ``##`` form,
a small base alphabet (Russian and Latin letters, digits, ASCII and Russian typographic punctuation,
so that unseen-but-ordinary characters never become [UNK]), then the merged pieces in merge order.

Encoding is greedy longest-match-first per word, [UNK] for a word with an unmatchable rest or longer
than 100 characters: exactly HF's WordpieceTokenizer.

Usage (the text is read from the training data: factRuEval dev + optional augmentation file):
  build_wordpiece_vocab.py --out models/ner-ru-tiny/vocab.txt --size 8000 [--extra aug.txt]
"""

from __future__ import annotations

import argparse
import heapq
import os
import sys
import unicodedata
from collections import Counter, defaultdict

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_CHARS_PER_WORD = 100
BASE_ALPHABET = (
    "".join(chr(c) for c in range(0x21, 0x7F))
    + "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    + "«»„“”‘’—–…№°"
)


# ----------------------------------------------------------------------------------------------
# BasicTokenizer (cased)
# ----------------------------------------------------------------------------------------------


def _is_whitespace(ch: str) -> bool:
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    # BERT treats every non-alphanumeric ASCII character as punctuation ("$", "^", "`", ...).
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


def basic_tokenize(text: str) -> list[str]:
    """BERT BasicTokenizer, do_lower_case=False."""
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            cleaned.append(" ")
        elif _is_cjk(cp):
            cleaned.append(f" {ch} ")
        else:
            cleaned.append(ch)
    text = unicodedata.normalize("NFC", "".join(cleaned))
    out: list[str] = []
    for word in text.split():
        current = ""
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    out.append(current)
                    current = ""
                out.append(ch)
            else:
                current += ch
        if current:
            out.append(current)
    return out


# ----------------------------------------------------------------------------------------------
# WordPiece encoding
# ----------------------------------------------------------------------------------------------


class WordPiece:
    """Greedy longest-match-first WordPiece over a vocab (HF BertTokenizer, cased)."""

    def __init__(self, vocab: list[str]):
        self.vocab = vocab
        self.ids = {tok: i for i, tok in enumerate(vocab)}
        self.unk_id = self.ids["[UNK]"]
        self.max_piece = max(len(t) for t in vocab)

    @classmethod
    def from_file(cls, path: str) -> WordPiece:
        with open(path, encoding="utf-8") as f:
            return cls([line.rstrip("\n") for line in f])

    def word_ids(self, word: str) -> list[int]:
        """Subtoken ids of one pre-tokenized word (already split by basic_tokenize)."""
        if len(word) > MAX_CHARS_PER_WORD:
            return [self.unk_id]
        out: list[int] = []
        start = 0
        while start < len(word):
            end = min(len(word), start + self.max_piece)
            found = None
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    found = self.ids[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk_id]
            out.append(found)
            start = end
        return out

    def text_ids(self, text: str) -> list[int]:
        """Subtoken ids of a text (no special tokens)."""
        return [i for w in basic_tokenize(text) for i in self.word_ids(w)]

    def tokens(self, ids: list[int]) -> list[str]:
        return [self.vocab[i] for i in ids]


# ----------------------------------------------------------------------------------------------
# Learning
# ----------------------------------------------------------------------------------------------


def learn_vocab(word_counts: Counter, size: int, score: str = "frequency", min_pair_count: int = 2) -> list[str]:
    """WordPiece vocabulary of about ``size`` entries learned from ``word_counts``."""
    vocab: list[str] = list(SPECIAL_TOKENS)
    seen: set[str] = set(vocab)

    def add(tok: str) -> None:
        if tok not in seen:
            seen.add(tok)
            vocab.append(tok)

    chars = Counter()
    for w, c in word_counts.items():
        for ch in w:
            chars[ch] += c
    alphabet = sorted(set(chars) | set(BASE_ALPHABET), key=lambda ch: (-chars[ch], ch))
    for ch in alphabet:
        add(ch)
    for ch in alphabet:
        add("##" + ch)

    # Each word as a list of symbols; merges rewrite these lists.
    words: list[list[str]] = []
    counts: list[int] = []
    for w, c in word_counts.items():
        if len(w) > MAX_CHARS_PER_WORD:
            continue
        words.append([w[0]] + ["##" + ch for ch in w[1:]])
        counts.append(c)

    pair_counts: Counter = Counter()
    symbol_counts: Counter = Counter()
    where: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    for wi, syms in enumerate(words):
        for s in syms:
            symbol_counts[s] += counts[wi]
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += counts[wi]
            where[(a, b)].add(wi)

    def pair_score(pair: tuple[str, str]) -> float:
        n = pair_counts[pair]
        if score == "likelihood":
            return n / (symbol_counts[pair[0]] * symbol_counts[pair[1]])
        return float(n)

    # Lazy max-heap: entries are re-checked against the live score when popped.
    heap = [(-pair_score(p), p) for p, n in pair_counts.items() if n >= min_pair_count]
    heapq.heapify(heap)

    while len(vocab) < size and heap:
        neg, pair = heapq.heappop(heap)
        n = pair_counts.get(pair, 0)
        if n < min_pair_count:
            continue
        live = pair_score(pair)
        if abs(live + neg) > 1e-12 * max(1.0, abs(live)):
            heapq.heappush(heap, (-live, pair))
            continue
        a, b = pair
        merged = a + (b[2:] if b.startswith("##") else b)
        add(merged)
        touched: set[tuple[str, str]] = set()
        for wi in list(where[pair]):
            syms = words[wi]
            c = counts[wi]
            for x, y in zip(syms, syms[1:]):
                pair_counts[(x, y)] -= c
                where[(x, y)].discard(wi)
                touched.add((x, y))
            for s in syms:
                symbol_counts[s] -= c
            out: list[str] = []
            i = 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[wi] = out
            for s in out:
                symbol_counts[s] += c
            for x, y in zip(out, out[1:]):
                pair_counts[(x, y)] += c
                where[(x, y)].add(wi)
                touched.add((x, y))
        pair_counts.pop(pair, None)
        where.pop(pair, None)
        # With the likelihood score, symbol counts changed, so scores of pairs sharing a or b drift;
        # the lazy check above re-scores them when they surface.
        for p in touched:
            if pair_counts.get(p, 0) >= min_pair_count:
                heapq.heappush(heap, (-pair_score(p), p))
    return vocab


def count_words(lines) -> Counter:
    counts: Counter = Counter()
    for line in lines:
        counts.update(basic_tokenize(line))
    return counts


def training_lines(extra: list[str]) -> list[str]:
    """factRuEval dev sentences (as text) plus the lines of any extra files."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ner_data

    lines = [s.text for s in ner_data.load_split("dev")]
    for path in extra:
        with open(path, encoding="utf-8") as f:
            lines.extend(line.rstrip("\n") for line in f)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--score", choices=["frequency", "likelihood"], default="frequency")
    ap.add_argument("--extra", action="append", default=[], help="extra training text, one sentence a line")
    args = ap.parse_args()

    counts = count_words(training_lines(args.extra))
    vocab = learn_vocab(counts, args.size, args.score)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(vocab) + "\n")
    wp = WordPiece(vocab)
    n_words = sum(counts.values())
    n_pieces = sum(len(wp.word_ids(w)) * c for w, c in counts.items())
    print(
        f"vocab {len(vocab)} -> {args.out}; {len(counts)} distinct words, "
        f"{n_pieces / n_words:.3f} pieces per training word",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
