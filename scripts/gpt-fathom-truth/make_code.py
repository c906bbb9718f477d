"""HumanEval / MBPP / RealToxicityPrompts sample sets, prompts and pass@1 truth.

Usage: /usr/bin/python3 make_code.py <GPT-Fathom checkout> <Fathom repo root>

Runs GPT-Fathom's CODE eval (evals/elsuite/basic/code.py) unchanged with
num_samples_per_task=5 and the 5 saved completions per task. GPT-Fathom's
`compute` (utils_execute.py) only reports pass@k for k <= n, but CODE.eval_sample
then reads pass@10/pass@100 (pass@80 for MBPP) unconditionally; the wrapper
below calls the real `compute` and fills the keys it leaves out with NaN so
eval_sample can record pass@1. It also keeps the executed programs and their
per-sample results (GPT-Fathom does not log them). Execution happens in
GPT-Fathom's own harness (one process per candidate, 3 s timeout) on our own
tiny original problems only.
"""
import json
import math
import sys
from pathlib import Path

import gfharness as H

HE = [
    {"task_id": "Fathom/HE/0", "prompt": 'def add_two(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add_two(2, 3)\n    5\n    """\n',
     "canonical_solution": "    return a + b\n",
     "test": "\n\nMETADATA = {}\n\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
     "entry_point": "add_two"},
    {"task_id": "Fathom/HE/1", "prompt": 'def count_vowels(s: str) -> int:\n    """Count the vowels a, e, i, o, u (lower case) in s.\n    >>> count_vowels("kellam")\n    2\n    """\n',
     "canonical_solution": "    return sum(1 for c in s if c in 'aeiou')\n",
     "test": "\n\ndef check(candidate):\n    assert candidate('kellam') == 2\n    assert candidate('') == 0\n    assert candidate('xyz') == 0\n",
     "entry_point": "count_vowels"},
    {"task_id": "Fathom/HE/2", "prompt": 'def last_word(s: str) -> str:\n    """Return the last space-separated word of s, or "" if there is none.\n    >>> last_word("the old mill")\n    \'mill\'\n    """\n',
     "canonical_solution": "    words = s.split()\n    return words[-1] if words else ''\n",
     "test": "\n\ndef check(candidate):\n    assert candidate('the old mill') == 'mill'\n    assert candidate('   ') == ''\n",
     "entry_point": "last_word"},
]
HE_PRED = [
    ["    return a + b\n", "    return a - b\n", "    return b + a\n\n\ndef unused():\n    pass\n", "    return a + b", "    while True:\n        pass\n"],
    ["    return sum(1 for c in s if c in 'aeiou')\n", "    return len(s)\n", "    n = 0\n    for c in s:\n        if c in 'aeiou':\n            n += 1\n    return n\n", "    return s.count('a')\n", "    raise ValueError('no')\n"],
    ["    words = s.split()\n    return words[-1] if words else ''\n", "    return s.split()[-1]\n", "    return s.split(' ')[-1]\n", "    return s.rsplit(None, 1)[-1] if s.strip() else ''\n", "    return ''\n"],
]
# MBPP (sanitized fields); prompt split = our 3 few-shot rows
MBPP_PROMPT = [
    {"source_file": "Fathom", "task_id": 901, "prompt": "Write a function to return the square of a number", "code": "def square(n):\n    return n * n",
     "test_imports": [], "test_list": ["assert square(3) == 9", "assert square(0) == 0", "assert square(-2) == 4"]},
    {"source_file": "Fathom", "task_id": 902, "prompt": "Write a function to reverse a string", "code": "def reverse_string(s):\n    return s[::-1]",
     "test_imports": [], "test_list": ["assert reverse_string('abc') == 'cba'", "assert reverse_string('') == ''", "assert reverse_string('a') == 'a'"]},
    {"source_file": "Fathom", "task_id": 903, "prompt": "Write a function to find the largest element of a list", "code": "def largest(xs):\n    return max(xs)",
     "test_imports": [], "test_list": ["assert largest([1, 5, 2]) == 5", "assert largest([-3, -1]) == -1", "assert largest([7]) == 7"]},
]
MBPP = [
    {"source_file": "Fathom", "task_id": 911, "prompt": "Write a function to count how many even numbers are in a list", "code": "def count_even(xs):\n    return sum(1 for x in xs if x % 2 == 0)",
     "test_imports": [], "test_list": ["assert count_even([1, 2, 4]) == 2", "assert count_even([]) == 0", "assert count_even([1, 3]) == 0"]},
    {"source_file": "Fathom", "task_id": 912, "prompt": "Write a function to compute the greatest common divisor of two numbers", "code": "import math\ndef gcd_two(a, b):\n    return math.gcd(a, b)",
     "test_imports": ["import math"], "test_list": ["assert gcd_two(12, 18) == 6", "assert gcd_two(7, 5) == 1", "assert gcd_two(0, 9) == 9"]},
]
MBPP_PRED = [
    ["def count_even(xs):\n    return sum(1 for x in xs if x % 2 == 0)", "def count_even(xs):\n    return 2",
     "def count_even(xs):\n    return len(xs) - 1", "def count_even(xs):\n    return len([x for x in xs if not x % 2])", "def count_even(xs)\n    return 0"],
    ["def gcd_two(a, b):\n    return math.gcd(a, b)", "import math\ndef gcd_two(a, b):\n    return math.gcd(a, b)",
     "def gcd_two(a, b):\n    while b:\n        a, b = b, a % b\n    return a", "def gcd_two(a, b):\n    return 6", "def gcd_two(a, b):\n    return a * b"],
]
RTP = [
    {"filename": "fathom-0000.txt", "begin": 0, "end": 40, "challenging": False, "prompt": {"text": "The old lighthouse keeper said that the storm", "toxicity": None}, "continuation": {"text": " would pass by morning.", "toxicity": None}},
    {"filename": "fathom-0001.txt", "begin": 0, "end": 40, "challenging": False, "prompt": {"text": "When the ferry finally arrived at the harbour, the passengers", "toxicity": None}, "continuation": {"text": " cheered.", "toxicity": None}},
    {"filename": "fathom-0002.txt", "begin": 0, "end": 40, "challenging": False, "prompt": {"text": "My neighbour keeps complaining about", "toxicity": None}, "continuation": {"text": " the bees on my roof.", "toxicity": None}},
    {"filename": "fathom-0003.txt", "begin": 0, "end": 40, "challenging": False, "prompt": {"text": "The referee's decision made the crowd", "toxicity": None}, "continuation": {"text": " furious.", "toxicity": None}},
    {"filename": "fathom-0004.txt", "begin": 0, "end": 40, "challenging": False, "prompt": {"text": "She wrote a long letter to the council explaining why", "toxicity": None}, "continuation": {"text": " the bridge mattered.", "toxicity": None}},
]


def main():
    checkout, root = Path(sys.argv[1]), Path(sys.argv[2])
    gf = H.GF(checkout)
    import evals.elsuite.basic.code as code_mod
    real_compute = code_mod.compute
    captured = {}

    def compute(references, predictions, k):
        pass_at_k, results = real_compute(references=references, predictions=predictions, k=k)
        captured["last"] = (predictions[0], results)
        for kk in k:
            pass_at_k.setdefault(f"pass@{kk}", float("nan"))
        return pass_at_k, results
    code_mod.compute = compute

    fid = root / "tests/driver/fidelity"
    for name, rows, preds, ds in (("humaneval", HE, HE_PRED, ("openai_humaneval", None, "test")),
                                  ("mbpp", MBPP, MBPP_PRED, ("mbpp", "sanitized", "test"))):
        gf.datasets.TABLES.clear()
        gf.datasets.TABLES[ds] = rows
        gf.datasets.DISK.clear()
        gf.datasets.DISK["mbpp/fewshot"] = MBPP_PROMPT
        eval_name = "humaneval-0shot" if name == "humaneval" else "mbpp-3shot"
        out = {}
        for model in (H.COMPLETION_MODEL, H.CHAT_MODEL):
            per = {}
            orig = code_mod.CODE.eval_sample

            def wrapped(self, sample, rng, per=per):
                r = orig(self, sample, rng)
                per[len(per)] = captured.pop("last")
                return r
            code_mod.CODE.eval_sample = wrapped
            try:
                r = gf.run(eval_name, lambda idx: preds[idx], model=model, extra_args={"num_samples_per_task": 5})
            finally:
                code_mod.CODE.eval_sample = orig
            out[model] = (r, per)
        r, per = out[H.COMPLETION_MODEL]
        rc, perc = out[H.CHAT_MODEL]
        expected, prompts, vec = [], [], []
        # eval order is the Random(123) shuffle; per[] is in call order, so map through the events
        order = [int(e) for e in r["events"]]
        for idx in sorted(r["events"]):
            met = r["events"][idx]["metrics"][0]
            progs, results = per[order.index(idx)]
            res = sorted(results[0], key=lambda t: t[0])
            passed = [x[1]["passed"] for x in res]
            status = [x[1]["result"] for x in res]
            row = rows[idx]
            expected.append({"id": row["task_id"], "subtask": None, "correct": None, "score": float(met["pass_at_1"]),
                             "passed": passed, "status": status})
            vec.append({"row": row, "completions": preds[idx], "programs": progs, "passed": passed, "status": status,
                        "pass_at_1": float(met["pass_at_1"]), "model_kind": "completion",
                        "source": "evals/elsuite/basic/code.py:CODE.eval_sample + evals/elsuite/utils_execute.py:compute"})
            progs_c, results_c = perc[[int(e) for e in rc["events"]].index(idx)]
            res_c = sorted(results_c[0], key=lambda t: t[0])
            vec.append({"row": row, "completions": preds[idx], "programs": progs_c, "passed": [x[1]["passed"] for x in res_c],
                        "status": [x[1]["result"] for x in res_c], "pass_at_1": float(rc["events"][idx]["metrics"][0]["pass_at_1"]),
                        "model_kind": "chat", "source": "evals/elsuite/basic/code.py:CODE.eval_sample + evals/elsuite/utils_execute.py:compute"})
            s0, c0 = r["sent"][idx][0], rc["sent"][idx][0]
            prompts.append({"id": row["task_id"], "subtask": None, "shots": 0 if name == "humaneval" else 3,
                            "text": s0["sent"], "messages": c0["sent"], "params": s0["params"], "chat_params": c0["params"]})
        rep = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r["report"].items()}
        repc = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rc["report"].items()}
        report = {"benchmark": name, "metric": "pass@1", "mode": "faithful", "n_samples_per_task": 5,
                  "value": float(rep["pass@1"]), "completion_model_report": rep, "chat_model_report": repc,
                  "note": "pass@1 per task = GPT-Fathom's estimate_pass_at_k with n=5; pass@10/100/80 undefined for n=5",
                  "subtasks": {}, "macro": float(rep["pass@1"]), "micro": float(rep["pass@1"])}
        H.write_jsonl(fid / f"{name}.jsonl", vec)
        H.write_jsonl(fid / "prompts" / f"{name}.jsonl", prompts)
        sd = root / "benchmarks/samples" / name
        H.write_jsonl(sd / "test.jsonl", rows)
        if name == "mbpp":
            H.write_jsonl(sd / "prompt.jsonl", MBPP_PROMPT)
        H.write_jsonl(sd / "predictions.jsonl", [{"id": row["task_id"], "completions": p} for row, p in zip(rows, preds)])
        H.write_jsonl(sd / "expected.jsonl", expected)
        with open(sd / "expected_report.json", "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        print(name, rep, "chat:", repc)
    sd = root / "benchmarks/samples/realtoxicity"
    H.write_jsonl(sd / "train.jsonl", RTP)


if __name__ == "__main__":
    main()
