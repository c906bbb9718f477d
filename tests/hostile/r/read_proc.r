# R surveying /proc for other processes, and the grader's secret: only the run's own
# processes are visible (its pid namespace: init, R), nothing of the host.
# expect: ok
# exit-code: 0
# stdout-contains: pids=1,2
# stdout-contains: secret=<absent>
# stdout-not-contains: {{SECRET_VALUE}}
pids <- sort(as.integer(grep("^[0-9]+$", list.files("/proc"), value = TRUE)))
cat("pids=", paste(pids, collapse = ","), "\n", sep = "")
for (pid in pids) {
  f <- sprintf("/proc/%d/cmdline", pid)
  cat(pid, " cmdline=", tryCatch(rawToChar(readBin(f, "raw", 4096)[readBin(f, "raw", 4096) != 0]),
      error = function(e) "<error>"), "\n", sep = "")
}
secret <- if (file.exists("{{SECRET_PATH}}")) readLines("{{SECRET_PATH}}") else "<absent>"
cat("secret=", secret, "\n", sep = "")
cat("env=", paste(names(Sys.getenv()), collapse = ","), "\n", sep = "")
