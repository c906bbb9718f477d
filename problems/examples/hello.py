# Prints a greeting and exits 0: the sandbox reports a clean run.
# expect: ok
print("hello from the fathom sandbox")
