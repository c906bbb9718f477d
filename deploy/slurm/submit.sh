#!/usr/bin/env bash
# Submits a sharded `fathom grade` to Slurm as three jobs chained by dependencies:
#   prepare  one job: the time limits and expected outputs, measured once (fathom prepare)
#   grade    an array of N shards, started when prepare succeeded (--dependency=afterok)
#   merge    one job, started when every shard succeeded: the merged results, byte for byte
#            what one unsharded `fathom grade` writes (apart from timings)
# Prints the three job ids. Files land in OUT: prepared/, shard-<i>/, merged/, logs/.
#
# usage: deploy/slurm/submit.sh --problems FILE --samples FILE --out DIR [--shards N]
#            [--fathom PATH] [--cpus-per-shard C] [--time T] [--partition P]
#            [--setup "FLAGS"] [-- GRADE FLAGS...]
# --setup FLAGS go to prepare and to every shard: the flags that change what is measured
# (--mode, --limit, --timeout/--time-limit, --runtime, --no-zygote, --policies); both must
# see the same ones. GRADE FLAGS go to the shards only (--format evalplus, --k, --extract,
# --test-details, ...). OUT and the input files must be on a filesystem every node sees.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
problems="" samples="" out="" shards=4 fathom="${FATHOM:-fathom}" cpus=1 time_limit="" partition=""
setup="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --problems) problems="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --shards) shards="$2"; shift 2 ;;
    --fathom) fathom="$2"; shift 2 ;;
    --cpus-per-shard) cpus="$2"; shift 2 ;;
    --time) time_limit="$2"; shift 2 ;;
    --partition) partition="$2"; shift 2 ;;
    --setup) setup="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "submit.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [ -z "$problems" ] || [ -z "$samples" ] || [ -z "$out" ]; then
  echo "submit.sh: --problems, --samples and --out are required" >&2
  exit 2
fi
case "$shards" in ''|*[!0-9]*|0) echo "submit.sh: --shards must be a positive integer" >&2; exit 2 ;; esac
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"
common=(--parsable --cpus-per-task="$cpus")
[ -n "$time_limit" ] && common+=(--time="$time_limit")
[ -n "$partition" ] && common+=(--partition="$partition")
# The job scripts read these (sbatch passes the submitting environment on).
export FATHOM="$fathom" FATHOM_PROBLEMS="$problems" FATHOM_SAMPLES="$samples" FATHOM_OUT="$out"
export FATHOM_SHARDS="$shards" FATHOM_SETUP_ARGS="$setup" FATHOM_GRADE_ARGS="${extra[*]:-}"

prepare=$(sbatch "${common[@]}" --job-name=fathom-prepare --output="$out/logs/prepare.log" \
  "$here/prepare.sbatch")
grade=$(sbatch "${common[@]}" --job-name=fathom-grade --array="0-$((shards - 1))" \
  --dependency="afterok:$prepare" --kill-on-invalid-dep=yes \
  --output="$out/logs/grade-%a.log" "$here/grade.sbatch")
merge=$(sbatch "${common[@]}" --job-name=fathom-merge --dependency="afterok:$grade" \
  --kill-on-invalid-dep=yes --output="$out/logs/merge.log" "$here/merge.sbatch")
echo "prepare $prepare"
echo "grade $grade"
echo "merge $merge"
