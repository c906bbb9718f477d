# Baseline: a plain non-zero exit keeps its code and is not folded into anything else.
# expect: nonzero_exit
# expect-no-ns: nonzero_exit
# exit-code: 42
import sys
print("exiting with 42", flush=True)
sys.exit(42)
