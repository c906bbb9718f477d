# Exits with code 3 on purpose: the exit code is kept in the result.
# expect: nonzero_exit
import sys

print("exiting with code 3")
sys.exit(3)
