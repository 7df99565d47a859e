#!/usr/bin/python3
"""PyTorch references for @bertweb/classify on the sequence-classification fixtures.

Input: the JSON written by packages/classify/src/test-utils/dump-reference-inputs.ts (the exact token
ids and token type ids bertweb builds, truncation included). Output:
packages/classify/src/__fixtures__/classify-reference.json with, per fixture and case, the logits and the
scores torch_transformers_classifier would report: softmax for single_label_classification, sigmoid
for multi_label_classification; labels ranked best first.

The models are rebuilt with bertlib.build_fixture_model and checked against the committed
models/fixtures/<name>/reference.json first.

Usage:
  node --conditions=source --import tsx packages/classify/src/test-utils/dump-reference-inputs.ts /tmp/cls-inputs.json
  /usr/bin/python3 models/scripts/ref_classify.py /tmp/cls-inputs.json
"""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bertlib  # noqa: E402

OUT = os.path.join(ROOT, "packages/classify/src/__fixtures__/classify-reference.json")


def rounded(x):
    return float("%.8g" % x)


def check_rebuilt(name, model):
    with open(os.path.join(ROOT, "models/fixtures", name, "reference.json")) as f:
        case = json.load(f)["cases"][0]
    inputs = {k: torch.tensor(v, dtype=torch.int64) for k, v in case["inputs"].items()}
    with torch.no_grad():
        out = bertlib.run(model, inputs)["logits"].reshape(-1)
    diff = (out - torch.tensor(case["outputs"]["logits"]["data"])).abs().max().item()
    assert diff < 1e-5, f"{name}: rebuilt model differs from reference.json by {diff}"
    return diff


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/cls-inputs.json"
    out_path = sys.argv[2] if len(sys.argv) > 2 else OUT
    with open(src) as f:
        dump = json.load(f)
    result = {"generator": "models/scripts/ref_classify.py", "torch": torch.__version__, "models": {}}
    for name, cases in dump["models"].items():
        model = bertlib.build_fixture_model(name)
        diff = check_rebuilt(name, model)
        with open(os.path.join(ROOT, "models/fixtures", name, "config.json")) as f:
            config = json.load(f)
        labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        multi = config.get("problem_type") == "multi_label_classification"
        has_types = "token_type_ids" in bertlib.input_names(model)
        out_cases = []
        for case in cases:
            ids = case["ids"]
            inputs = {
                "input_ids": torch.tensor([ids], dtype=torch.int64),
                "attention_mask": torch.ones(1, len(ids), dtype=torch.int64),
            }
            if has_types:
                inputs["token_type_ids"] = torch.tensor([case["typeIds"]], dtype=torch.int64)
            with torch.no_grad():
                logits = bertlib.run(model, inputs)["logits"][0].double()
            scores = torch.sigmoid(logits) if multi else torch.softmax(logits, dim=-1)
            order = sorted(range(len(labels)), key=lambda i: (-scores[i].item(), i))
            out_cases.append(
                {
                    **case,
                    "logits": [rounded(x) for x in logits.tolist()],
                    "ranked": [{"label": labels[i], "score": rounded(scores[i].item())} for i in order],
                }
            )
        result["models"][name] = {
            "labels": labels,
            "activation": "sigmoid" if multi else "softmax",
            "rebuiltMaxDiff": diff,
            "cases": out_cases,
        }
        print(f"{name}: {len(out_cases)} cases, rebuilt model max |diff| vs reference.json {diff:.2e}")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out_path} ({os.path.getsize(out_path)} bytes)")


if __name__ == "__main__":
    main()
