# task: HumanEval/15
# status: (passes today under `--mode io --limit memory_bytes=60000000`: see README.md,
#          "Open findings")
# A str subclass equal to every string. I/O mode rejects it (not plain data), but when
# the task's canonical solution cannot produce its expected outputs under the grading
# limits (here its reference run hits the memory limit on plus input 98), the task is
# graded in assert mode instead, silently and even under --mode io, and there
# `assert candidate(n) == '...'` asks this object.
class _Anything(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


def string_sequence(n: int) -> str:
    return _Anything("0")
