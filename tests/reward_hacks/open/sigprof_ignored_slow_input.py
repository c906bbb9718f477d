# task: HumanEval/55
# status: (passes today: see README.md, "Open findings")
# A correct answer that takes far longer than its input's time limit on one input: it
# ignores SIGPROF, so the harness's per-input CPU timer never fires, and its total CPU
# stays inside the run's whole budget (start-up allowance + the sum of the input limits).
# EvalPlus reports such a sample `timeout`; the grader never checks the CPU time the
# harness measured for each value record.
import signal
import time

signal.signal(signal.SIGPROF, signal.SIG_IGN)


def fib(n: int):
    if n == 10:
        end = time.process_time() + 3.0
        while time.process_time() < end:
            pass
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
