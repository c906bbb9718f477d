#!/usr/bin/env bash
# A real single-node Slurm cluster (Debian's slurmctld, slurmd and munge on localhost, in a
# temporary directory, started and stopped by this test) runs deploy/slurm/submit.sh: a
# `fathom prepare` job, an array of 4 `fathom grade --shard auto/4` tasks of a HumanEval+
# grade that starts when prepare succeeded, and a `fathom merge` job that starts when every
# shard succeeded. The merged results must equal one unsharded `fathom grade` of the same
# samples under the same prepared limits, byte for byte apart from timings, and the merge
# must print what that grade printed.
#
# usage: slurm_e2e_test.sh FATHOM_BINARY SOURCE_DIR SHARED_DATA_DIR
# Exits 77 (ctest: skipped) with the reason printed when this host cannot run the cluster
# (not root, Slurm or munge not installed, daemons that do not come up, no ../shared/data);
# FATHOM_REQUIRE_SLURM=1 turns every such skip into a failure (CI on a host that can).
# Every daemon and job process is stopped on exit, failure and timeout included: the
# test's own deadline (FATHOM_SLURM_DEADLINE_S, default 780 s) is below ctest's timeout.
set -uo pipefail

fathom="${1:?usage: $0 FATHOM_BINARY SOURCE_DIR SHARED_DATA_DIR}"
source_dir="${2:?}"
data_dir="${3:?}"
deadline_s="${FATHOM_SLURM_DEADLINE_S:-780}"
start_s=$SECONDS

skip() {
  echo "SKIPPED: the Slurm test cannot run here: $*"
  if [ "${FATHOM_REQUIRE_SLURM:-0}" = 1 ]; then
    echo "FAILED: FATHOM_REQUIRE_SLURM=1 (this host is expected to run it)"
    exit 1
  fi
  exit 77
}
fail() {
  echo "FAILED: $*"
  exit 1
}
log() { echo "[$((SECONDS - start_s)) s] $*"; }

[ "$(id -u)" = 0 ] || skip "it needs root (munged, slurmd and the sandbox's cgroups)"
for c in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo python3; do
  command -v "$c" >/dev/null || skip "$c is not installed (scripts/bootstrap installs slurmctld, slurmd, slurm-client, munge)"
done
problems="$data_dir/humanevalplus/HumanEvalPlus.jsonl.gz"
[ -f "$problems" ] || skip "$problems is absent (the released datasets, ../shared/data)"
[ -x "$fathom" ] || fail "no fathom binary at $fathom"

# Every process this test starts in the cluster carries FATHOM_SLURM_TEST=<its directory>
# in its environment (the daemons, slurmstepd through slurmd, the jobs through sbatch's
# copy of the submitter's environment): what cleanup ends, by pid, and nothing else. The
# test's own shell does not carry it.
marker_pids() {  # pids whose environment holds FATHOM_SLURM_TEST=$1
  local p
  for p in /proc/[0-9]*; do
    if { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qx "FATHOM_SLURM_TEST=$1"; then
      echo "${p#/proc/}"
    fi
  done
}
# A run of this test killed with SIGKILL (ctest's own timeout) could not clean up: its
# processes are found by their marker and ended, and its directory removed, when the test
# that owned them is gone.
stale_dirs=()
for p in /proc/[0-9]*; do
  owner_dir=$({ tr '\0' '\n' < "$p/environ"; } 2>/dev/null | sed -n 's/^FATHOM_SLURM_TEST=//p')
  [ -n "$owner_dir" ] || continue
  owner=$(cat "$owner_dir/test.pid" 2>/dev/null || echo 0)
  if [ "$owner" != 0 ] && kill -0 "$owner" 2>/dev/null; then continue; fi
  log "ending a process left by an earlier run of this test: ${p#/proc/} ($owner_dir)"
  kill -9 "${p#/proc/}" 2>/dev/null
  stale_dirs+=("$owner_dir")
done
for d in "${stale_dirs[@]}"; do
  case "$d" in /tmp/fathom-slurm-test.*) rm -rf "$d" ;; esac
done

work=$(mktemp -d /tmp/fathom-slurm-test.XXXXXX)
chmod 755 "$work"
echo $$ > "$work/test.pid"
in_cluster=(env "FATHOM_SLURM_TEST=$work")
daemon_pids=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -f "$work/slurm.conf" ] && [ ${#daemon_pids[@]} -gt 1 ]; then
    SLURM_CONF="$work/slurm.conf" timeout 10 scancel --user=root >/dev/null 2>&1
  fi
  # slurmd and slurmctld first, munged (which they authenticate through) last.
  local p i
  for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
    p=${daemon_pids[$i]}
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  # slurmstepd and job processes the daemons left behind.
  for p in $(marker_pids "$work"); do kill -KILL "$p" 2>/dev/null; done
  local left
  left=$(marker_pids "$work" | wc -l)
  [ "$left" -gt 0 ] && { echo "FAILED: $left processes survived the cleanup"; rc=1; }
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    for f in "$work"/log/*.log "$work"/out/logs/*.log; do
      [ -f "$f" ] || continue
      echo "--- $f (last 30 lines)"
      tail -n 30 "$f"
    done
  fi
  if [ "${FATHOM_SLURM_KEEP:-0}" = 1 ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
  log "cleaned up"
  exit "$rc"
}
on_signal() {
  echo "FAILED: interrupted"
  exit 1
}
trap cleanup EXIT
trap on_signal INT TERM

remaining() { echo $((deadline_s - (SECONDS - start_s))); }
# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds, within the deadline.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local until=$((SECONDS + limit))
  while ! "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$until" ] && return 1
    [ "$(remaining)" -le 0 ] && fail "the test's deadline (${deadline_s} s) passed waiting for $what"
    sleep 0.5
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- munge
mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log"
chmod 700 "$work/munge"
head -c 1024 /dev/urandom > "$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
"${in_cluster[@]}" munged --foreground --force --socket="$work/munge/munge.socket" \
  --key-file="$work/munge/munge.key" --pid-file="$work/munge/munged.pid" \
  --seed-file="$work/munge/munged.seed" --log-file="$work/log/munged.log" \
  >>"$work/log/munged.log" 2>&1 &
daemon_pids+=($!)
wait_for 15 "munged" test -S "$work/munge/munge.socket" ||
  skip "munged did not start: $(tail -n 3 "$work/log/munged.log" | tr '\n' ' ')"

# --- slurmctld and slurmd
node=$(hostname -s)
ctld_port=$(free_port)
slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
cpus=$(nproc)
cat > "$work/slurm.conf" <<CONF
ClusterName=fathomtest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
# No cgroup plugins: Fathom makes its own cgroups under the job (deploy/slurm/README.md says
# what happens when slurmd's cgroup plugin owns them instead).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=3600
KillWait=5
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
"${in_cluster[@]}" slurmctld -D -f "$SLURM_CONF" >>"$work/log/slurmctld.log" 2>&1 &
daemon_pids+=($!)
"${in_cluster[@]}" slurmd -D -f "$SLURM_CONF" -N "$node" >>"$work/log/slurmd.log" 2>&1 &
daemon_pids+=($!)
node_idle() { [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" = idle ]; }
wait_for 60 "the node to come up" node_idle ||
  skip "the cluster did not come up in 60 s: $(tail -n 5 "$work/log/slurmctld.log" "$work/log/slurmd.log" | tr '\n' ' ')"
log "cluster up: $node, $cpus CPUs, slurmctld :$ctld_port, slurmd :$slurmd_port ($(sinfo --version))"

# --- the samples: every HumanEval+ task's canonical solution and one wrong completion
python3 - "$problems" "$work/he+.jsonl" <<'PY'
import gzip, json, sys
with gzip.open(sys.argv[1], "rt") as f, open(sys.argv[2], "w") as out:
    for line in f:
        p = json.loads(line)
        for completion in (p["canonical_solution"], "    return None\n"):
            out.write(json.dumps({"task_id": p["task_id"], "completion": completion}) + "\n")
PY
samples="$work/he+.jsonl"
name="he+.jsonl_results.jsonl"

# --- prepare, 4 shards, merge: the shipped scripts
submit_start=$SECONDS
ids=$("${in_cluster[@]}" "$source_dir/deploy/slurm/submit.sh" --problems "$problems" --samples "$samples" \
  --out "$work/out" --shards 4 --fathom "$fathom" --cpus-per-shard 1) ||
  fail "deploy/slurm/submit.sh failed: $ids"
echo "$ids"
prepare_id=$(echo "$ids" | awk '$1 == "prepare" {print $2}')
grade_id=$(echo "$ids" | awk '$1 == "grade" {print $2}')
merge_id=$(echo "$ids" | awk '$1 == "merge" {print $2}')
state() { scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr '\n' ' '; }
merge_done() { scontrol show job -o "$merge_id" | grep -qE 'JobState=(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)'; }
last=""
while ! merge_done; do
  now="prepare: $(state "$prepare_id")| grade: $(state "$grade_id")| merge: $(state "$merge_id")"
  [ "$now" != "$last" ] && log "$now"
  last=$now
  [ "$(remaining)" -le 0 ] && fail "the test's deadline (${deadline_s} s) passed with the jobs at: $now"
  sleep 1
done
log "jobs done in $((SECONDS - submit_start)) s: prepare: $(state "$prepare_id")| grade: $(state "$grade_id")| merge: $(state "$merge_id")"
for id in "$prepare_id" "$grade_id" "$merge_id"; do
  if scontrol show job -o "$id" | grep -o 'JobState=[A-Z_]*' | grep -vq COMPLETED; then
    fail "job $id did not complete: $(state "$id")"
  fi
done
[ "$(scontrol show job -o "$grade_id" | grep -c 'JobState=COMPLETED')" = 4 ] ||
  fail "the array did not run 4 shards: $(state "$grade_id")"

# --- one unsharded run, on the host, under the same prepared limits
unsharded_start=$SECONDS
"$fathom" grade --problems "$problems" --samples "$samples" --prepared "$work/out/prepared" \
  --out-dir "$work/whole" --no-progress >"$work/whole.out" 2>"$work/whole.err" ||
  fail "the unsharded grade failed: $(tail -n 5 "$work/whole.err")"
log "unsharded grade in $((SECONDS - unsharded_start)) s"

python3 - "$work" "$name" <<'PY' || fail "the merged run differs from the unsharded one"
import json, re, sys
work, name = sys.argv[1], sys.argv[2]
timing = re.compile(r'"(cpu_ms|wall_ms|max_rss_kb)": ?-?[0-9]+')
whole = timing.sub(r'"\1":0', open(f"{work}/whole/{name}").read())
merged = timing.sub(r'"\1":0', open(f"{work}/out/merged/{name}").read())
ok = True
if not whole or whole != merged:
    a, b = whole.splitlines(), merged.splitlines()
    print(f"results differ: {len(a)} lines unsharded, {len(b)} merged")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print(f"first difference, line {i + 1}:\n  {x[:300]}\n  {y[:300]}")
            break
    ok = False
def summary(path):  # the merge job's log holds stderr too: the summary's lines only
    keep = []
    for line in open(path):
        if line.startswith(("  time       ", "runner:", "  results ", "fathom ")):
            continue
        keep.append(line)
    return keep
s_whole, s_merged = summary(f"{work}/whole.out"), summary(f"{work}/out/logs/merge.log")
if s_whole != s_merged:
    print("summaries differ:\n" + "".join(s_whole) + "---\n" + "".join(s_merged))
    ok = False
lines = len(whole.splitlines())
print(f"merged = unsharded: {lines} results, summary: {s_merged[0].strip()}")
sys.exit(0 if ok else 1)
PY
log "PASSED"
