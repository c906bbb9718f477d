# Baseline: a well-behaved program. Proves the harness, the policy and both modes work.
# expect: ok
# expect-no-ns: ok
# stdout-contains: hello from the sandbox
# exit-code: 0
print("hello from the sandbox")
