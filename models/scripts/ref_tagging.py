#!/usr/bin/python3
"""PyTorch references for @bertweb/tagging on the token-classification fixtures.

Input: the JSON written by packages/tagging/src/test-utils/dump-reference-inputs.ts (the exact window
token ids bertweb builds, each window's word ids, and the window each word is read from).
Output: packages/tagging/src/__fixtures__/tagging-reference.json with, per fixture and case, the
word-level softmax probabilities and the tags + scores of four decodings:

  argmax            per-word argmax of the first-subtoken logits (DeepPavlov without CRF)
  crf               Viterbi over crf.json (pytorch-crf `_viterbi_decode` semantics, all-ones mask)
  crf_constrained   the same with invalid BIO/BIOES moves set to -inf
  constrained       most probable valid path: Viterbi over log-softmax with 0/-inf moves

The models are rebuilt with bertlib.build_fixture_model (the generator behind make_fixtures.py) and
first checked against the committed models/fixtures/<name>/reference.json, so the references come from
the very weights in the ONNX files. It also records DeepPavlov 1.7's word split (dp_split.py:
[\\d]+[\\d\\.,]+[\\d]+|[\\w'\\.:@]+|[^\\w ] with the final "." split off), for comparison with
bertweb's default split.

Usage:
  node --conditions=source --import tsx packages/tagging/src/test-utils/dump-reference-inputs.ts /tmp/tag-inputs.json
  /usr/bin/python3 models/scripts/ref_tagging.py /tmp/tag-inputs.json
"""

import json
import os
import re
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bertlib  # noqa: E402
from dp_split import split_words  # noqa: E402

OUT = os.path.join(ROOT, "packages/tagging/src/__fixtures__/tagging-reference.json")
NEG_INF = float("-inf")


def rounded(x):
    return float("%.8g" % x)


def check_rebuilt(name, model):
    """The rebuilt torch model must reproduce the committed reference outputs."""
    with open(os.path.join(ROOT, "models/fixtures", name, "reference.json")) as f:
        ref = json.load(f)
    case = ref["cases"][0]
    inputs = {k: torch.tensor(v, dtype=torch.int64) for k, v in case["inputs"].items()}
    with torch.no_grad():
        out = bertlib.run(model, inputs)["logits"].reshape(-1)
    want = torch.tensor(case["outputs"]["logits"]["data"])
    diff = (out - want).abs().max().item()
    assert diff < 1e-5, f"{name}: rebuilt model differs from reference.json by {diff}"
    return diff


def parse_label(label):
    if label == "O":
        return "O", ""
    m = re.match(r"^([BIESLU])[-_](.+)$", label)
    if not m:
        return "I", label
    return {"L": "E", "U": "S"}.get(m.group(1), m.group(1)), m.group(2)


def allowed_moves(labels):
    """(start, transitions, end) boolean lists for the scheme the labels use."""
    tags = [parse_label(l) for l in labels]
    prefixes = {p for p, _ in tags}
    scheme = "BIOES" if prefixes & {"E", "S"} else "BIO" if "B" in prefixes else "IO"
    n = len(tags)
    if scheme == "IO":
        return [True] * n, [[True] * n for _ in range(n)], [True] * n
    if scheme == "BIO":
        start = [p != "I" for p, _ in tags]
        trans = [[not (pj == "I" and (pi == "O" or ti != tj)) for pj, tj in tags] for pi, ti in tags]
        return start, trans, [True] * n
    inside = [p in ("B", "I") for p, _ in tags]
    start = [p in ("O", "B", "S") for p, _ in tags]
    trans = [
        [(pj in ("I", "E") and tj == ti) if inside[i] else pj in ("O", "B", "S") for pj, tj in tags]
        for i, (pi, ti) in enumerate(tags)
    ]
    end = [not x for x in inside]
    return start, trans, end


def viterbi(emissions, start, transitions, end):
    """pytorch-crf's _viterbi_decode for one sequence (mask all ones), float64."""
    score = start + emissions[0]
    history = []
    for i in range(1, emissions.shape[0]):
        next_score = score.unsqueeze(1) + transitions + emissions[i].unsqueeze(0)
        next_score, indices = next_score.max(dim=0)
        score = next_score
        history.append(indices)
    score = score + end
    best = int(score.argmax().item())
    if score[best].item() == NEG_INF:
        return None
    path = [best]
    for indices in reversed(history):
        path.append(int(indices[path[-1]].item()))
    path.reverse()
    return path


def masked(values, allowed):
    t = torch.tensor(values, dtype=torch.float64)
    return t.masked_fill(~torch.tensor(allowed), NEG_INF)


def word_logits(model, case, has_types, num_labels):
    """First-subtoken logits of every word, taken from the window that owns it."""
    window_logits = []
    for ids in case["windows"]:
        inputs = {
            "input_ids": torch.tensor([ids], dtype=torch.int64),
            "attention_mask": torch.ones(1, len(ids), dtype=torch.int64),
        }
        if has_types:
            inputs["token_type_ids"] = torch.zeros(1, len(ids), dtype=torch.int64)
        with torch.no_grad():
            window_logits.append(bertlib.run(model, inputs)["logits"][0])
    emissions = torch.zeros(len(case["words"]), num_labels)
    for w, k in enumerate(case["owner"]):
        # wordIds index the sequence's words; the first token carrying w is the word's first subtoken.
        emissions[w] = window_logits[k][case["windowWords"][k].index(w)]
    return emissions


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/tag-inputs.json"
    out_path = sys.argv[2] if len(sys.argv) > 2 else OUT
    with open(src) as f:
        dump = json.load(f)
    result = {"generator": "models/scripts/ref_tagging.py", "torch": torch.__version__, "models": {}}
    for name, cases in dump["models"].items():
        model = bertlib.build_fixture_model(name)
        rebuilt_diff = check_rebuilt(name, model)
        folder = os.path.join(ROOT, "models/fixtures", name)
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        crf = None
        if os.path.exists(os.path.join(folder, "crf.json")):
            with open(os.path.join(folder, "crf.json")) as f:
                crf = json.load(f)
        has_types = "token_type_ids" in bertlib.input_names(model)
        start_ok, trans_ok, end_ok = allowed_moves(labels)
        zeros = [0.0] * len(labels)
        out_cases = []
        for case in cases:
            n = len(case["words"])
            emissions = word_logits(model, case, has_types, len(labels))
            e64 = emissions.double()
            probs = torch.softmax(e64, dim=-1)
            decodings = {"argmax": [int(i) for i in e64.argmax(dim=-1).tolist()] if n else []}
            if n:
                log_probs = torch.log_softmax(e64, dim=-1)
                decodings["constrained"] = viterbi(
                    log_probs, masked(zeros, start_ok), masked([zeros] * len(labels), trans_ok), masked(zeros, end_ok)
                ) or decodings["argmax"]
                if crf is not None:
                    s, t, e = (torch.tensor(crf[k], dtype=torch.float64) for k in ("start", "transitions", "end"))
                    decodings["crf"] = viterbi(e64, s, t, e)
                    decodings["crf_constrained"] = viterbi(
                        e64, masked(crf["start"], start_ok), masked(crf["transitions"], trans_ok), masked(crf["end"], end_ok)
                    ) or decodings["crf"]
            entry = {
                "name": case["name"],
                "maxLength": case["maxLength"],
                "words": case["words"],
                "windows": case["windows"],
                "owner": case["owner"],
                "probabilities": [[rounded(p) for p in row] for row in probs.tolist()],
                "decodings": {
                    mode: {"tags": [labels[i] for i in path], "scores": [rounded(probs[w, i].item()) for w, i in enumerate(path)]}
                    for mode, path in decodings.items()
                },
            }
            if "text" in case:
                entry["text"] = case["text"]
                entry["deeppavlovWords"] = [w for w, _, _ in split_words(case["text"], "1.7")]
            else:
                entry["inputWords"] = case["inputWords"]
            out_cases.append(entry)
        result["models"][name] = {"labels": labels, "crf": crf is not None, "rebuiltMaxDiff": rebuilt_diff, "cases": out_cases}
        print(f"{name}: {len(out_cases)} cases, rebuilt model max |diff| vs reference.json {rebuilt_diff:.2e}")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out_path} ({os.path.getsize(out_path)} bytes)")


if __name__ == "__main__":
    main()
