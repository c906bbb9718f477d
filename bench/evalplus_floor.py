"""The no-isolation floor of I/O mode: grades HumanEval+ / MBPP+ samples EvalPlus's way in
one warm Python process.

Usage: /usr/bin/python3 bench/evalplus_floor.py --problems FILE --samples FILE --out FILE
           --expected CACHE [--prepare]

For each sample, as EvalPlus's evaluator does for one solution, minus its process per
sample: the solution (a `solution`, or prompt + `completion`) is exec()ed in a fresh
globals dict, then its entry point is called on every base input, then on every plus
input (a deep copy of each, as EvalPlus passes them), each call under a CPU time limit of
max(1 s, 4 x the canonical solution's time on that input) (EvalPlus's defaults, in CPU
time as fathom counts it), and each output compared with the canonical solution's:
`out == expected`, else, for float outputs, numpy.allclose with the problem's atol (at
least 1e-6) and rtol 1e-7. A group stops at its first failure. Inputs are the problem
file's JSON, rebuilt into tuples, sets and complex numbers per task by the rules fathom's
harness uses (taken from grader/iomode/io_harness.py and io_mode.cc, so both sides call
the functions on the same values). stdout and stderr are swallowed.

The expected outputs and the canonical solution's times are EvalPlus's ground-truth
cache: `--prepare` computes them (running every canonical solution once, in this process)
and pickles them to CACHE; a grading run loads CACHE, as EvalPlus loads its cache and
fathom its expected-output file. Writes one JSON line per sample, in input order: task_id,
completion_id, status (passed | failed | error | timeout, fathom's names: a wrong output
is failed, an exception error), wall_ms and cpu_ms (floats: exec + every call; cpu_ms is
this process's CPU time, comparable with fathom's per-sample cpu_ms under any load).

A benchmark tool, not a grader: the programs run with this process's full rights.
"""

import argparse
import contextlib
import copy
import gzip
import io
import json
import os
import pickle
import re
import signal
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_FACTOR = 4.0


class CpuLimit(BaseException):
    """Raised by the CPU timer; a BaseException so `except Exception` in a program does not
    swallow it."""


def _on_timer(signum, frame):
    raise CpuLimit()


class _Discard(io.TextIOBase):
    def write(self, text):
        return len(text)

    def writable(self):
        return True


def load_problems(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def conversions():
    """{task number: rebuild(args)} for MBPP+, from fathom's own table (io_mode.cc) and
    rules (io_harness.py)."""
    namespace = {}
    # The harness module's order (program.h: HarnessModuleSource): io_harness.py's
    # definitions take their default arguments from harness_common.py's names.
    for name in ("harness_common.py", "io_harness.py"):
        with open(os.path.join(REPO, "grader", "iomode", name), encoding="utf-8") as f:
            exec(compile(f.read(), name, "exec"), namespace)
    rules = namespace["_FATHOM_CONVERSIONS"]
    with open(os.path.join(REPO, "grader", "iomode", "io_mode.cc"), encoding="utf-8") as f:
        source = f.read()
    table = {}
    for name, numbers in re.findall(r'\{"(\w+)",\s*\{([\d,\s]+)\}\}', source):
        for n in numbers.replace(",", " ").split():
            table[int(n)] = rules[name]
    return table


def rebuild_for(problem, table):
    if not problem["task_id"].startswith("Mbpp/"):
        return None
    return table.get(int(problem["task_id"].split("/")[1]))


def parse_inputs(text):
    if not isinstance(text, str):
        return text
    limit = getattr(sys, "set_int_max_str_digits", None)
    if limit:
        limit(0)
    return json.loads(text)


def program_of(problem, sample):
    if "solution" in sample:
        return sample["solution"]
    if "completion" in sample:
        return problem["prompt"] + sample["completion"]
    return problem["prompt"] + problem["canonical_solution"]


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


class NotPlain:
    """In the ground truth, a canonical output pickle cannot keep (MBPP+ has a task whose
    solution returns an re.Match): equal to nothing, as fathom's I/O mode, which compares
    plain data only, fails such a return value; fathom's label check leaves the task out."""

    def __init__(self, what):
        self.what = what

    def __eq__(self, other):
        return False

    __hash__ = None


def _picklable(x):
    try:
        pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)
        return x
    except Exception:
        return NotPlain(type(x).__qualname__)


def same(out, exp, atol):
    if out == exp:
        return True
    if is_floats(exp):
        import numpy
        try:
            return type(out) == type(exp) and (not hasattr(exp, "__len__") or len(out) == len(exp)) \
                and bool(numpy.allclose(out, exp, rtol=1e-07, atol=max(atol, 1e-6)))
        except Exception:
            return False
    return False


def run_groups(fn, groups, limits, expected, atol, rebuild):
    """Calls fn on each group's inputs; returns the status (EvalPlus stops a group at its
    first failure; a plus group counts only when base passed)."""
    for g, inputs in enumerate(groups):
        for i, args in enumerate(inputs):
            args = copy.deepcopy(args)
            if rebuild is not None:
                args = rebuild(args)
            signal.setitimer(signal.ITIMER_PROF, limits[g][i])
            try:
                out = fn(*args)
            except CpuLimit:
                return "timeout"
            except BaseException:
                return "error"
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            if expected is not None and not same(out, expected[g][i], atol):
                return "failed"
    return "passed"


def grade_one(problem, sample, truth, rebuild):
    program = program_of(problem, sample)
    sink = _Discard()
    globals_ = {"__name__": "__main__"}
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        signal.setitimer(signal.ITIMER_PROF, 10.0)
        try:
            exec(compile(program, "<solution>", "exec"), globals_)
        except CpuLimit:
            return "timeout"
        except BaseException:
            return "error"
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        fn = globals_.get(problem["entry_point"])
        if fn is None:
            return "error"
        return run_groups(fn, truth["inputs"], truth["limits"], truth["outputs"],
                          float(problem.get("atol") or 0), rebuild)


def prepare(problems, table):
    """The ground truth: each task's inputs, the canonical solution's outputs and its time
    limits (max(1 s, 4 x its CPU time per input))."""
    truth = {}
    sink = _Discard()
    for problem in problems:
        groups = [parse_inputs(problem["base_input"]), parse_inputs(problem["plus_input"])]
        globals_ = {"__name__": "__main__"}
        rebuild = rebuild_for(problem, table)
        outputs, limits = [], []
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            exec(compile(program_of(problem, {}), "<canonical>", "exec"), globals_)
            fn = globals_[problem["entry_point"]]
            for inputs in groups:
                outs, lims = [], []
                for args in inputs:
                    args = copy.deepcopy(args)
                    if rebuild is not None:
                        args = rebuild(args)
                    start = time.process_time()
                    try:
                        outs.append(fn(*args))
                    except BaseException as e:  # a broken canonical (HumanEval/32 OriginFmt)
                        outs.append(e)
                    used = time.process_time() - start
                    lims.append(max(MIN_TIME_LIMIT_S, TIME_LIMIT_FACTOR * used))
                outputs.append([_picklable(o) for o in outs])
                limits.append(lims)
        truth[problem["task_id"]] = {"inputs": groups, "outputs": outputs, "limits": limits}
    return truth


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", required=True)
    parser.add_argument("--samples")
    parser.add_argument("--out")
    parser.add_argument("--expected", required=True, help="the ground-truth cache (pickle)")
    parser.add_argument("--prepare", action="store_true",
                        help="compute the ground truth into --expected, then exit")
    args = parser.parse_args()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    problems = {p["task_id"]: p for p in load_problems(args.problems)}
    table = conversions()
    if args.prepare:
        truth = prepare(list(problems.values()), table)
        with open(args.expected, "wb") as f:
            pickle.dump(truth, f, protocol=pickle.HIGHEST_PROTOCOL)
        return
    with open(args.expected, "rb") as f:
        truth = pickle.load(f)
    signal.signal(signal.SIGPROF, _on_timer)
    with open(args.samples, encoding="utf-8") as inp, open(args.out, "w", encoding="utf-8") as out:
        for line in inp:
            sample = json.loads(line)
            problem = problems[sample["task_id"]]
            start, cpu_start = time.perf_counter(), time.process_time()
            status = grade_one(problem, sample, truth[sample["task_id"]],
                               rebuild_for(problem, table))
            wall_ms = (time.perf_counter() - start) * 1000.0
            cpu_ms = (time.process_time() - cpu_start) * 1000.0
            out.write(json.dumps({"task_id": sample["task_id"],
                                  "completion_id": sample["completion_id"],
                                  "status": status, "wall_ms": round(wall_ms, 4),
                                  "cpu_ms": round(cpu_ms, 4)}) + "\n")


if __name__ == "__main__":
    main()
