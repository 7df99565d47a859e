"""DeepPavlov's NER word split (`torch_transformers_ner_preprocessor`), exactly as Python's `re` runs it.

Two versions, both with character offsets:

- ``"1.7"`` (DeepPavlov 1.4 and later, so 1.7.0): ``[\\d]+[\\d\\.,]+[\\d]+|[\\w'\\.:@]+|[^\\w ]`` via
  ``re.finditer``, then a final "." is split off the last match (``"конец."`` -> ``"конец"``, ``"."``).
- ``"legacy"`` (DeepPavlov 1.0-1.3 and 0.x): ``[\\w']+|[^\\w ]`` via ``re.finditer``, nothing else; read in
  ``deeppavlov/models/preprocessors/torch_transformers_preprocessor.py``,
  ``TorchTransformersNerPreprocessor.__init__`` (``self._re_tokenizer``) and ``__call__``.

Python's ``re`` on ``str`` is Unicode-aware: ``\\w`` is ``str.isalnum()`` or "_" (letters L*, digits and
numerics N*, not marks M*), ``\\d`` is a Unicode decimal digit (Nd), ``[^\\w ]`` excludes only the ASCII
space, so a tab, newline or no-break space becomes a word. Offsets here are Python code points;
``utf16_offsets`` converts them to what JavaScript counts.

No torch needed: ``make_deeppavlov_fixtures.py`` imports this for ``word-split.json``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Tuple

# DeepPavlov >= 1.4, torch_transformers_ner_preprocessor (see docs/deeppavlov-1.7.md, "NER word split").
RE_WORDS_1_7 = re.compile(r"[\d]+[\d\.,]+[\d]+|[\w'\.:@]+|[^\w ]")
# DeepPavlov < 1.4 (and the TensorFlow-era bert_ner_preprocessor).
RE_WORDS_LEGACY = re.compile(r"[\w']+|[^\w ]")

Span = Tuple[str, int, int]


def split_words(text: str, version: str = "1.7") -> List[Span]:
    """Words of ``text`` as (word, start, end) in code points, DeepPavlov's way for ``version``."""
    if version == "legacy":
        return [(m.group(0), m.start(), m.end()) for m in RE_WORDS_LEGACY.finditer(text)]
    if version != "1.7":
        raise ValueError(f"unknown split version {version!r}")
    words = [(m.group(0), m.start(), m.end()) for m in RE_WORDS_1_7.finditer(text)]
    # The final-dot rule: only the last match, only when it is longer than the dot itself.
    if words and len(words[-1][0]) > 1 and words[-1][0].endswith("."):
        word, start, end = words.pop()
        words.append((word[:-1], start, end - 1))
        words.append((".", end - 1, end))
    return words


def utf16_index(text: str, index: int) -> int:
    """Code point index -> UTF-16 code unit index (what JavaScript's String indices count)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text[:index])


def utf16_offsets(text: str, words: List[Span]) -> List[dict]:
    """Words with JavaScript offsets: ``text.slice(start, end) === word`` holds in JS."""
    return [{"text": w, "start": utf16_index(text, s), "end": utf16_index(text, e)} for w, s, e in words]


def unicode_safety_applies(text: str) -> bool:
    """True when the text holds a character for which bertweb's split deliberately departs from Python's:
    whitespace other than the ASCII space, combining marks, format or control characters, surrogates,
    emoji modifiers, variation selectors, regional indicators."""
    for ch in text:
        cp = ord(ch)
        cat = unicodedata.category(ch)
        if ch != " " and (ch.isspace() or cat in ("Zs", "Zl", "Zp")):
            return True
        if cat[0] == "M" or cat in ("Cf", "Cc", "Cs"):
            return True
        if 0x1F3FB <= cp <= 0x1F3FF or 0xFE00 <= cp <= 0xFE0F or 0x1F1E6 <= cp <= 0x1F1FF:
            return True
    return False
