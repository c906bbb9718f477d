# Raises an uncaught exception: Python prints the traceback and exits 1.
# expect: nonzero_exit
def parse(value):
    return int(value)


parse("not a number")
