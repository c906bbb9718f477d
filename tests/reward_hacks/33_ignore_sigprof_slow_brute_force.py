# task: HumanEval/55
# status: timeout
# Ignores SIGPROF (the signal CPU-time limits are delivered by), and SIGALRM/SIGVTALRM for
# good measure, then runs a naive exponential recursion that cannot finish the large
# inputs in any reasonable time.
import signal

for _s in (signal.SIGPROF, signal.SIGALRM, signal.SIGVTALRM):
    signal.signal(_s, signal.SIG_IGN)


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def fib(n: int):
    return _fib(n)
