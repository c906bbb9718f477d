# The test puts FATHOM_TEST_SECRET=<random> into its own (the grader's) environment before
# running; the environment is an allowlist, so neither the name nor the value may reach
# the program. It prints its whole environment.
# expect: ok
# expect-no-ns: ok
# stdout-not-contains: FATHOM_TEST_SECRET
# stdout-not-contains: {{SECRET_VALUE}}
# stdout-contains: ENV-END
import os
for k, v in sorted(os.environ.items()):
    print("%s=%s" % (k, v))
print("ENV-END")
