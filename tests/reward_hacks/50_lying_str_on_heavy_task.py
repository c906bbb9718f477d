# task: HumanEval/15
# status: failed
# A str subclass equal to every string. I/O mode rejects it (not plain data), but when
# the task's canonical solution cannot produce its expected outputs under the grading
# limits (here its reference run hits the memory limit on plus input 98), the task is
# graded in assert mode under --mode auto (logged and counted in the summary), where
# `assert candidate(n) == '...'` asks this object; under --mode io `fathom grade` refuses
# to grade such a task (exit 2, tested). With the default limits it is graded by its
# inputs and fails: not plain data.
class _Anything(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


def string_sequence(n: int) -> str:
    return _Anything("0")
