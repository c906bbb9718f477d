#!/usr/bin/env python3
"""Writes the reward-hack corpus as one samples JSONL for `fathom grade`.

Each NN_name.py here is one sample: a whole program (EvalPlus's `solution` field) for the
task named by its `# task:` header line. `--controls PROBLEMS` adds, for every task the
corpus uses, an honest sample: the canonical solution from PROBLEMS (a HumanEval or
HumanEval+ JSONL, .gz allowed) as a `completion`.

    tests/reward_hacks/make_samples.py > /tmp/hacks.jsonl
    build/fathom grade --problems ../shared/data/humanevalplus/HumanEvalPlus.jsonl.gz \
        --samples /tmp/hacks.jsonl --min-time-limit 0.2
"""
import argparse
import gzip
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def hacks():
    for name in sorted(os.listdir(HERE)):
        if not re.match(r"^\d\d_.*\.py$", name):
            continue
        with open(os.path.join(HERE, name), encoding="utf-8") as f:
            text = f.read()
        headers = dict(re.findall(r"^# (task|status): (\S+)$", text, re.M))
        yield name[:-3], headers["task"], headers["status"], text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--controls", help="problems file with canonical solutions")
    args = parser.parse_args()
    tasks = []
    for name, task, _, text in hacks():
        print(json.dumps({"task_id": task, "completion_id": name, "solution": text}))
        if task not in tasks:
            tasks.append(task)
    if args.controls:
        opener = gzip.open if args.controls.endswith(".gz") else open
        with opener(args.controls, "rt", encoding="utf-8") as f:
            problems = {p["task_id"]: p for p in map(json.loads, f)}
        for task in tasks:
            print(json.dumps({"task_id": task, "completion_id": "control",
                              "completion": problems[task]["canonical_solution"]}))


if __name__ == "__main__":
    sys.exit(main())
