# system() runs /bin/sh, which is bound (R itself needs sh, which, uname and rm); any
# other program is not in the sandbox at all: sh reports "not found", exit status 127,
# and R goes on. Nothing from the rest of /usr/bin (python3, perl, cat, gcc, curl) runs.
# expect: ok
# stdout-contains: /usr/bin/python3=127
# stdout-contains: /usr/bin/perl=127
# stdout-contains: cat=127
# stdout-contains: /usr/bin/gcc=127
# stdout-contains: /usr/bin/curl=127
# stdout-contains: uname=0
# stdout-not-contains: escaped
for (cmd in c("/usr/bin/python3", "/usr/bin/perl", "cat", "/usr/bin/gcc", "/usr/bin/curl")) {
  status <- suppressWarnings(system(paste(cmd, "-c 'print(\"escaped\")' 2>/dev/null")))
  cat(cmd, "=", status, "\n", sep = "")
}
cat("uname=", system("uname -s > /dev/null"), "\n", sep = "")
