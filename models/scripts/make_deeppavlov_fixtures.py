#!/usr/bin/python3
"""Writes `models/fixtures/deeppavlov/`: tiny generated DeepPavlov 1.7 checkpoints in the real tarball
layouts, their base repos in the hub layout, and PyTorch reference outputs from `dp_reference.py`.

    /usr/bin/python3 models/scripts/make_deeppavlov_fixtures.py            # everything
    /usr/bin/python3 models/scripts/make_deeppavlov_fixtures.py --only word-split

Deterministic: fixed seeds, fixed tar/gzip metadata, so a rerun writes the same bytes (torch.save's
zip format included: it stores no timestamps). See models/fixtures/deeppavlov/README.md for the layout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "models" / "fixtures" / "deeppavlov"
sys.path.insert(0, str(HERE))

from dp_split import split_words, unicode_safety_applies, utf16_offsets  # noqa: E402
from dp_word_split_cases import CASES  # noqa: E402


def dump_json(value) -> str:
    """JSON with real UTF-8 letters, but lone surrogates escaped (UTF-8 cannot hold them; JSON can)."""
    text = json.dumps(value, ensure_ascii=False, indent=1)
    # One word object per line: readable diffs without a line per field.
    text = re.sub(r'\{\n\s*"text": (.*),\n\s*"start": (\d+),\n\s*"end": (\d+)\n\s*\}', r'{"text": \1, "start": \2, "end": \3}', text)
    return "".join(f"\\u{ord(ch):04x}" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text) + "\n"


def write_word_split() -> None:
    cases = []
    for case_id, text, note in CASES:
        cases.append(
            {
                "id": case_id,
                "note": note,
                "text": text,
                "unicodeSafetyApplies": unicode_safety_applies(text),
                "words": utf16_offsets(text, split_words(text, "1.7")),
                "legacyWords": utf16_offsets(text, split_words(text, "legacy")),
            }
        )
    doc = {
        "about": (
            "DeepPavlov's NER word split run with Python's re (models/scripts/dp_split.py). 'words': DeepPavlov >= 1.4 "
            "(1.7.0): [\\d]+[\\d\\.,]+[\\d]+|[\\w'\\.:@]+|[^\\w ] then a final '.' split off the last match; "
            "'legacyWords': DeepPavlov < 1.4: [\\w']+|[^\\w ]. Offsets are UTF-16 code units (JavaScript "
            "String indices): text.slice(start, end) === word. 'unicodeSafetyApplies' marks texts with characters "
            "for which bertweb deliberately departs from Python (non-ASCII-space whitespace, combining marks, "
            "format/control characters, surrogates, emoji modifiers and sequences, flags); on the others a "
            "faithful split must give exactly these words."
        ),
        "generator": "models/scripts/make_deeppavlov_fixtures.py --only word-split",
        "cases": cases,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "word-split.json").write_text(dump_json(doc), encoding="utf-8")
    print(f"word-split.json: {len(cases)} cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["word-split", "models"], help="write only one part")
    args = parser.parse_args()
    if args.only in (None, "word-split"):
        write_word_split()
    if args.only in (None, "models"):
        import dp_fixture_models  # noqa: PLC0415 (needs torch; word-split does not)

        dp_fixture_models.write_all(OUT)


if __name__ == "__main__":
    main()
