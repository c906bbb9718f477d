# A fork bomb in R: parallel's mcparallel forks R itself (the shell profile allows fork:
# R needs it at every start and exit). The pids limit (max_processes 16) refuses the
# fork after the run's 16th task and mcfork raises "unable to fork"; R halts, but its
# parallel package's shutdown then waits 10 s for children it cannot account for (the
# failed fork's) before it gives up, so the run's wall backstop (8 s with the default
# 3 s of CPU) ends the tree first: wall_timeout, deterministic because the wait is
# longer than the backstop. The growth stops at the limit; nothing survives the run.
# expect: wall_timeout
# stderr-contains: unable to fork, possible reason: Resource temporarily unavailable
library(parallel)
jobs <- list()
repeat jobs[[length(jobs) + 1]] <- mcparallel(Sys.sleep(1000))
