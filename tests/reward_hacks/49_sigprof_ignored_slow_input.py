# task: HumanEval/55
# status: timeout
# A correct answer that takes far longer than its input's time limit on one input: it
# ignores SIGPROF, so the harness's per-input CPU timer never fires, and its total CPU
# stays inside the run's whole budget (start-up allowance + the sum of the input limits).
# EvalPlus reports such a sample `timeout`; so does fathom: the grader checks the CPU time
# each value record reports against its input's limit (a program that also forges that
# number through ctypes, as 18 does to the harness's locals, can still spend up to the
# run's total; the answer must still be right: a speed loophole, not a forged pass).
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
