<?php
// Reading outside the work dir: /proc shows only the run's own processes (init and php),
// the grader's secret and the host's /etc/shadow and /home are not in the sandbox, and
// nothing under /usr can be written.
//
// expect: ok
// exit-code: 0
// stdout-contains: pids=1,2
// stdout-contains: secret=<absent>
// stdout-contains: shadow=<absent>
// stdout-contains: home=<absent>
// stdout-contains: write-usr=<refused>
// stdout-not-contains: {{SECRET_VALUE}}
$pids = array_values(array_filter(scandir("/proc"), "ctype_digit"));
sort($pids, SORT_NUMERIC);
echo "pids=" . implode(",", $pids) . "\n";
foreach ($pids as $pid) {
  echo "$pid cmdline=" . str_replace("\0", " ", (string) @file_get_contents("/proc/$pid/cmdline")) . "\n";
}
$read = function (string $path): string {
  $s = @file_get_contents($path);
  return $s === false ? "<absent>" : $s;
};
echo "secret=" . $read("{{SECRET_PATH}}") . "\n";
echo "shadow=" . $read("/etc/shadow") . "\n";
echo "home=" . (is_dir("/home") ? implode(",", scandir("/home")) : "<absent>") . "\n";
echo "write-usr=" . (@file_put_contents("/usr/fathom-hostile", "x") === false ? "<refused>" : "written") . "\n";
