#!/usr/bin/python3
"""Writes packages/tagging/src/__fixtures__/word-split-1.7.json: what Python's `re` makes of DeepPavlov 1.7's
NER word split, for packages/tagging/src/words.test.ts (CI has Python's answers, not Python).

    /usr/bin/python3 models/scripts/make_word_split_fixture.py

The split itself is models/scripts/dp_split.py (`split_words(text, "1.7")`: `re.finditer` with
`[\\d]+[\\d\\.,]+[\\d]+|[\\w'\\.:@]+|[^\\w ]`, then the final "." split off the last match). The file holds:

- `classes`: Python's `\\w` and `\\d` (`re`, this Python's Unicode version) and the assigned code points
  (category not Cn), each as inclusive [first, last] code point ranges, so the test can check that
  bertweb's `[\\p{L}\\p{N}_]` and `\\p{Nd}` are exactly Python's on every character both Unicode versions know;
- `alphabet`: the characters the random texts are drawn from (no marks, format or control characters,
  emoji sequences, flags or surrogates: there bertweb departs from Python on purpose; whitespace other than
  the space is in, see `random`);
- `random`: seeded random texts over the alphabet with Python's words for the text whose whitespace
  characters are all replaced by spaces (bertweb never makes a word of whitespace), UTF-16 offsets.

Deterministic (fixed seed); a rerun writes the same bytes.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "packages" / "tagging" / "src" / "__fixtures__" / "word-split-1.7.json"
sys.path.insert(0, str(HERE))

from dp_split import split_words, utf16_offsets  # noqa: E402

SEED = 1717
COUNT = 800
MAX_LENGTH = 24

# Characters that matter to the pattern, each a few times over so that they meet often.
PATTERN_CHARS = list("0123456789..,,::@@''_ ") + ["  ", "."]
LETTERS = list("abzXYабвёЖЩ") + ["é", "ß", "Ω", "ا", "ש", "東", "ㅎ", "𝐀", "ǅ", "ʰ"]
DIGITS_OTHER = ["٣", "۵", "७", "১", "０", "９", "𝟘", "߀"]  # Nd outside ASCII (Arabic-Indic, Devanagari, fullwidth...)
NUMBERS_OTHER = ["²", "½", "Ⅻ", "〇", "①", "𐄇"]  # No / Nl: \w but not \d
PUNCT = list("-–—()«»\"!?;/%$#&*+=<>[]{}|~^`\\") + ["…", "№", "€", "·", "٫", "．", "、", "。", "‘", "’"]
SYMBOLS = ["😀", "👍", "©", "™", "→", "∑"]  # emoji without modifiers or joiners: plain symbols for both
WHITESPACE = ["\t", "\n", "\u00a0", "\u2003", "\u3000", "\r"]
ALPHABET = PATTERN_CHARS * 4 + LETTERS + DIGITS_OTHER + NUMBERS_OTHER + PUNCT + SYMBOLS + WHITESPACE


def ranges(predicate) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or not predicate(chr(cp)):
            continue
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def main() -> None:
    word = re.compile(r"\w")
    digit = re.compile(r"\d")
    rng = random.Random(SEED)
    cases = []
    for _ in range(COUNT):
        n = rng.randint(0, MAX_LENGTH)
        text = "".join(rng.choice(ALPHABET) for _ in range(n))
        spaced = "".join(" " if ch.isspace() else ch for ch in text)
        cases.append({"text": text, "words": utf16_offsets(spaced, split_words(spaced, "1.7"))})
    doc = {
        "about": (
            "Python's answers for DeepPavlov 1.7's NER word split (models/scripts/dp_split.py). 'classes': re's \\w "
            "and \\d and the assigned code points as inclusive code point ranges. 'random': texts drawn from "
            "'alphabet', words of the text with every whitespace character replaced by a space, UTF-16 offsets."
        ),
        "generator": "models/scripts/make_word_split_fixture.py",
        "python": sys.version.split()[0],
        "unicode": unicodedata.unidata_version,
        "classes": {
            "word": ranges(lambda ch: word.match(ch) is not None),
            "digit": ranges(lambda ch: digit.match(ch) is not None),
            "assigned": ranges(lambda ch: unicodedata.category(ch) != "Cn"),
        },
        "alphabet": sorted(set(ALPHABET)),
        "random": cases,
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # One random case per line keeps diffs readable.
    text = text.replace(',{"text":', ',\n{"text":').replace('"random":[{', '"random":[\n{')
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(cases)} random texts, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
