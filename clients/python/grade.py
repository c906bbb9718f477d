#!/usr/bin/python3
"""Grades a samples file through a running `fathom serve` and prints what `fathom grade` prints.

    clients/python/grade.py --server 127.0.0.1:50051 --problem-set humaneval \
        --samples samples.jsonl

Reads human-eval / EvalPlus JSONL samples (plain or .gz), streams them to the server's
GradeStream in batches, writes <samples>_results.jsonl in input order (every input field
plus result, passed, status, cpu_ms, cpu_limit_ms, wall_ms, max_rss_kb, stderr_tail,
cache_hit, and syscall and syscall_name for a syscall_violation), and prints human-eval's pass@k line and the summary table, with the
problem set's time limits (calibrated per task by the server, as `fathom grade
--time-limit auto` does) and the server's runner line. On problems with inputs
(HumanEval+, MBPP+) the server grades in I/O mode by default, as `fathom grade` does:
the results then carry base_status, plus_status, base_failed_inputs and
plus_failed_inputs, and the summary a "mode" line with pass@k on the base inputs;
--mode auto|io|assert chooses per call (default: the server's --mode). Bad input records (malformed
JSON, unknown task_id, duplicate completion_id) are reported with file:line and skipped,
as `fathom grade` does.

TLS: --tls-ca PEM verifies the server (`fathom serve --tls-cert`); --tls-cert and --tls-key
present a client certificate (`fathom serve --client-ca`, mutual TLS); --tls-server-name
checks the server's certificate for another name than the one in --server (an IP address
or a name the certificate does not carry).

Exit codes: 0 graded, 1 some samples hit sandbox_error, 2 usage, unreadable input or a
gRPC error.

The Python stubs are generated at build time (build/clients/python); set
FATHOM_PY_STUBS to use another directory. Needs Debian's python3-grpcio and
python3-protobuf (scripts/bootstrap installs them); run it with /usr/bin/python3.
"""

import argparse
import gzip
import json
import os
import sys
import time

STATUS_ORDER = ["passed", "failed", "error", "timeout", "memory_limit", "output_limit",
                "syscall_violation", "sandbox_error"]
MAX_MESSAGE_BYTES = 32 << 20


def _import_stubs():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("FATHOM_PY_STUBS", ""),
                  os.path.join(here, "..", "..", "build", "clients", "python")]
    for c in candidates:
        if c and os.path.exists(os.path.join(c, "fathom", "v1", "grader_pb2.py")):
            sys.path.insert(0, os.path.abspath(c))
            break
    try:
        import grpc  # noqa: F401
        from fathom.v1 import grader_pb2, grader_pb2_grpc  # noqa: F401
    except ImportError as e:
        sys.exit("grade.py: cannot import the gRPC stubs (%s): build the project first "
                 "(scripts/build), or set FATHOM_PY_STUBS; run with /usr/bin/python3" % e)
    return grpc, grader_pb2, grader_pb2_grpc


grpc, pb, pb_grpc = _import_stubs()


class BadRecord(Exception):
    pass


def open_samples(path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if gz else open(path, encoding="utf-8")


def task_id_string(value):
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadRecord("task_id: must be a string or an integer")


def read_samples(path, known_tasks, log):
    """Returns ([(record, sample)] for the good lines, the number of bad ones), reporting
    each bad one on `log`."""
    seen = set()
    good, bad = [], 0
    with open_samples(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = "%s:%d" % (path, line_no)
            try:
                try:
                    record = json.loads(line)
                except ValueError as e:
                    raise BadRecord("not JSON: %s" % e)
                if not isinstance(record, dict):
                    raise BadRecord("expected a JSON object")
                if "task_id" not in record:
                    raise BadRecord("task_id: is missing")
                task = task_id_string(record["task_id"])
                if task not in known_tasks:
                    raise BadRecord("task_id: unknown task '%s'" % task)
                sample = pb.Sample(task_id=task)
                if "solution" in record:
                    if not isinstance(record["solution"], str):
                        raise BadRecord("solution: must be a string")
                    sample.solution = record["solution"]
                elif "completion" in record:
                    if not isinstance(record["completion"], str):
                        raise BadRecord("completion: must be a string")
                    sample.completion = record["completion"]
                else:
                    raise BadRecord("needs a completion or a solution")
                if "completion_id" in record:
                    cid = json.dumps(record["completion_id"])
                    if (task, cid) in seen:
                        raise BadRecord("completion_id: %s appears twice for task %s" % (cid, task))
                    seen.add((task, cid))
                    sample.completion_id = cid
            except BadRecord as e:
                bad += 1
                print("grade.py: bad input: %s: %s" % (where, e), file=log)
                continue
            good.append((record, sample))
    return good, bad


def list_tasks(stub, problem_set):
    tasks, token = set(), ""
    while True:
        page = stub.GetProblems(pb.GetProblemsRequest(problem_set=problem_set, page_size=1000,
                                                      page_token=token))
        tasks.update(p.task_id for p in page.problems)
        token = page.next_page_token
        if not token:
            return tasks


def batches(samples, args, ks, index_map):
    """GradeRequests of up to args.batch samples; fills index_map[(batch, i)] = input index."""
    batch, current = 0, []
    for n, (_, sample) in enumerate(samples):
        index_map[(batch, len(current))] = n
        current.append(sample)
        if len(current) == args.batch:
            yield make_request(args, ks if batch == 0 else [], current)
            batch, current = batch + 1, []
    if current or batch == 0:
        yield make_request(args, ks if batch == 0 else [], current)


def make_request(args, ks, samples):
    req = pb.GradeRequest(problem_set=args.problem_set, extract=args.extract, ks=ks,
                          mode=args.mode or "", format=args.format)
    if args.test_details:
        req.test_details = True
    if args.timeout:
        req.limits.cpu_time_ms = int(round(args.timeout * 1000))
    req.samples.extend(samples)
    return req


def python_float_repr(x):
    return repr(float(x))


def seconds(ms):
    return "%.1f s" % (ms / 1000.0)


def time_limit_text(t, timeout):
    """`fathom grade`'s "time limit" line for the set's TimeLimits (grader/pipeline/summary.cc);
    --timeout lowers every task's limit to at most its value."""
    if t.mode != "auto":
        fixed = t.cpu_time_ms
        if timeout:
            fixed = min(fixed, int(round(timeout * 1000)))
        return "%s CPU (fixed)" % seconds(fixed)
    out = "auto: %s CPU median" % seconds(t.median_ms)
    if t.min_ms != t.max_ms:
        out += " (%s to %s)" % (seconds(t.min_ms), seconds(t.max_ms))
    if t.calibration_cached:
        out += ", calibration cached"
    else:
        out += ", calibrated in %.1f s" % t.calibration_s
    if t.fallback_tasks:
        out += ", %d on the fallback %s" % (len(t.fallback_tasks), seconds(t.fallback_ms))
    if timeout:
        out += ", at most %s (--timeout)" % seconds(int(round(timeout * 1000)))
    return out


def pass_at_k_text(values):
    return ", ".join("pass@%d %.4f" % (p.k, p.value) for p in values) or "-"


def io_mode_line(summary, mode, io, sampled_tasks):
    """`fathom grade`'s "mode" line (grader/pipeline/summary.cc): the base-inputs pass@k beside the
    line above it (base + extra inputs), and how the expected outputs were obtained."""
    note = ("expected outputs cached" if io.cached
            else "expected outputs measured in %.1f s" % io.measure_s)
    unusable = len(set(io.unusable_tasks) & sampled_tasks)
    if unusable:
        note += "; %d tasks in assert mode (canonical solution failed)" % unusable
    return ("  mode       %s: %d samples graded by their inputs (base tests: %s; the line "
            "above: base + extra tests), %d in assert mode; %s"
            % (mode, summary.io_samples, pass_at_k_text(summary.base_pass_at_k),
               summary.samples - summary.io_samples, note))


def runner_line(summary):
    """`fathom grade`'s "runner:" line: how the server runs the programs."""
    line = "runner:        " + summary.runner
    if summary.HasField("zygote"):
        line += ", peak RSS %d MiB, %d restarts" % (summary.zygote.peak_rss_kb // 1024,
                                                    summary.zygote.restarts)
    return line


def evalplus_results_path(samples_path):
    """Where `fathom grade --format evalplus` writes EvalPlus's file for these samples."""
    if os.path.isdir(samples_path):
        return samples_path.rstrip("/") + "/eval_results.json"
    for ext in (".jsonl.gz", ".jsonl", ".json"):
        if samples_path.endswith(ext):
            return samples_path[:-len(ext)] + ".eval_results.json"
    return samples_path + ".eval_results.json"


def tls_credentials(ca_path, cert_path, key_path):
    """gRPC TLS credentials from PEM files (the client certificate only when given)."""
    def read(path):
        with open(path, "rb") as f:
            return f.read()
    return grpc.ssl_channel_credentials(
        root_certificates=read(ca_path),
        private_key=read(key_path) if key_path else None,
        certificate_chain=read(cert_path) if cert_path else None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default="127.0.0.1:50051", help="fathom serve's address")
    ap.add_argument("--problem-set", required=True, help="a NAME the server was given with --problems")
    ap.add_argument("--samples", required=True, help="JSONL samples (plain or .gz)")
    ap.add_argument("--out", help="results file (default <samples>_results.jsonl)")
    ap.add_argument("--k", default="1,10,100", help="pass@k values (default 1,10,100)")
    ap.add_argument("--extract", default="none", choices=["none", "fenced", "stop"])
    ap.add_argument("--timeout", type=float, help="per-sample CPU seconds (at most the server's)")
    ap.add_argument("--batch", type=int, default=256, help="samples per request message")
    ap.add_argument("--connect-timeout", type=float, default=30.0,
                    help="seconds to wait for the server to accept the connection (default 30)")
    ap.add_argument("--mode", choices=["auto", "io", "assert"],
                    help="auto: I/O mode where the server has expected outputs; io; assert "
                         "(default: the server's --mode)")
    ap.add_argument("--json", action="store_true", help="print the server's summary as JSON")
    ap.add_argument("--format", default="human-eval", choices=["human-eval", "evalplus"],
                    help="evalplus: also write <samples>.eval_results.json in EvalPlus's layout "
                         "and print its pass@k blocks, as `fathom grade --format evalplus`")
    ap.add_argument("--test-details", action="store_true",
                    help="I/O mode: run every input and list every failing one (default: the "
                         "server's --test-details)")
    ap.add_argument("--tls-ca", help="PEM CA certificates to verify the server with (TLS)")
    ap.add_argument("--tls-cert", help="PEM client certificate chain (mutual TLS; with --tls-key)")
    ap.add_argument("--tls-key", help="PEM private key of --tls-cert")
    ap.add_argument("--tls-server-name",
                    help="the name the server's certificate must carry (default: --server's host)")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if (args.tls_cert or args.tls_server_name) and not args.tls_ca:
        ap.error("--tls-cert, --tls-key and --tls-server-name need --tls-ca (TLS)")
    try:
        ks = [int(k) for k in args.k.split(",")]
        if any(k < 1 for k in ks) or args.batch < 1:
            raise ValueError
    except ValueError:
        ap.error("--k: expected positive integers like 1,10,100; --batch: a positive integer")
    # human-eval's name, as `fathom grade` uses it.
    out_path = args.out or args.samples.rstrip("/") + "_results.jsonl"
    if not os.path.exists(args.samples):
        print("grade.py: %s: no such file" % args.samples, file=sys.stderr)
        return 2

    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
    if args.tls_ca:
        try:
            credentials = tls_credentials(args.tls_ca, args.tls_cert, args.tls_key)
        except OSError as e:
            print("grade.py: %s: %s" % (e.filename, e.strerror), file=sys.stderr)
            return 2
        if args.tls_server_name:
            options.append(("grpc.ssl_target_name_override", args.tls_server_name))
        channel = grpc.secure_channel(args.server, credentials, options=options)
    else:
        channel = grpc.insecure_channel(args.server, options=options)
    # Connect before the first call. The channel retries a failed connection attempt
    # after its backoff, but a call made meanwhile fails at once; and gRPC 1.51 (Debian
    # 12's) fails about one attempt in a few hundred with a stray errno ("No such file or
    # directory", grpc/grpc#35064), so a call-first client would now and then report a
    # running server as unreachable.
    try:
        grpc.channel_ready_future(channel).result(timeout=args.connect_timeout)
    except grpc.FutureTimeoutError:
        print("grade.py: cannot connect to the server at %s (waited %g s)"
              % (args.server, args.connect_timeout), file=sys.stderr)
        return 2
    stub = pb_grpc.GraderStub(channel)
    start = time.monotonic()
    try:
        sets = {s.name: s for s in stub.ListProblemSets(pb.ListProblemSetsRequest()).problem_sets}
        if args.problem_set not in sets:
            print("grade.py: the server has no problem set '%s' (it has: %s)"
                  % (args.problem_set, ", ".join(sorted(sets)) or "none"), file=sys.stderr)
            return 2
        known = list_tasks(stub, args.problem_set)
        records, bad = read_samples(args.samples, known, sys.stderr)
        index_map = {}
        verdicts = [None] * len(records)
        summary = None
        for response in stub.GradeStream(batches(records, args, ks, index_map)):
            if response.HasField("summary"):
                summary = response.summary
                continue
            r = response.result
            n = index_map[(r.batch, r.index)]
            if verdicts[n] is not None:
                raise RuntimeError("the server answered sample %d twice" % n)
            verdicts[n] = r
    except grpc.RpcError as e:
        print("grade.py: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 2
    elapsed = time.monotonic() - start
    missing = [i for i, v in enumerate(verdicts) if v is None]
    if missing or summary is None:
        print("grade.py: the server left %d samples without a result" % len(missing),
              file=sys.stderr)
        return 2

    with open(out_path + ".partial", "w", encoding="utf-8") as out:
        for (record, _), v in zip(records, verdicts):
            row = dict(record)
            row.update(result=v.result, passed=v.passed, status=v.status, cpu_ms=v.cpu_ms,
                       cpu_limit_ms=v.cpu_limit_ms, wall_ms=v.wall_ms,
                       max_rss_kb=v.max_rss_kb, stderr_tail=v.stderr_tail,
                       cache_hit=v.cache_hit)
            if v.status == "syscall_violation":  # as `fathom grade` writes it
                row.update(syscall=v.syscall, syscall_name=v.syscall_name)
            if v.grade_mode == "io":  # the I/O-mode fields `fathom grade` writes
                row.update(base_status=v.base_status or None,
                           plus_status=v.plus_status or None,
                           base_failed_inputs=list(v.base_failed_inputs),
                           plus_failed_inputs=list(v.plus_failed_inputs))
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(out_path + ".partial", out_path)

    evalplus_path = None
    if args.format == "evalplus":
        if not summary.evalplus.results_json:
            print("grade.py: %s" % summary.evalplus.text.strip(), file=sys.stderr)
            return 2
        evalplus_path = evalplus_results_path(args.samples)
        with open(evalplus_path + ".partial", "w", encoding="utf-8") as f:
            f.write(summary.evalplus.results_json)
        os.replace(evalplus_path + ".partial", evalplus_path)

    pass_at_k = {"pass@%d" % p.k: p.value for p in summary.pass_at_k}
    info = sets[args.problem_set]
    mode = args.mode or info.io.mode
    counts = {s: 0 for s in STATUS_ORDER}
    for v in verdicts:
        counts[v.status] = counts.get(v.status, 0) + 1
    if args.json:
        extra = {}
        if summary.io_samples:
            extra = {"base_pass_at_k": {"pass@%d" % p.k: p.value for p in summary.base_pass_at_k},
                     "io": {"samples": summary.io_samples}}
        print(json.dumps({"pass_at_k": pass_at_k, "mode": mode, **extra,
                          "tasks": {t.task_id: {"n": t.n, "c": t.c} for t in summary.tasks},
                          "status_counts": counts,
                          "coverage": {"tasks_covered": len(summary.tasks),
                                       "tasks_total": sets[args.problem_set].problems,
                                       "samples": len(verdicts), "bad_input": bad},
                          "run": {"elapsed_s": elapsed, "ran": summary.ran,
                                  "cache_hits": summary.cache_hits, "results_file": out_path},
                          **({"evalplus_results_file": evalplus_path} if evalplus_path else {})}))
    else:
        if evalplus_path:
            sys.stdout.write(summary.evalplus.text)
        print("{%s}" % ", ".join("'%s': %s" % (k, python_float_repr(v))
                                 for k, v in pass_at_k.items()))
        if summary.io_samples:
            print(io_mode_line(summary, mode, info.io, {t.task_id for t in summary.tasks}))
        print("  tasks      %d / %d covered" % (len(summary.tasks), sets[args.problem_set].problems))
        line = "  samples    %d graded" % len(verdicts)
        if summary.cache_hits:
            line += ", %d cache hits" % summary.cache_hits
        if bad:
            line += ", %d bad input records" % bad
        print(line)
        print("  status    " + "".join(" %s %d" % (s, counts[s]) for s in STATUS_ORDER if counts[s]))
        if summary.io_samples and summary.io_samples == summary.samples:
            print("  time limit " + info.io.time_limit)
        elif summary.io_samples:
            print("  time limit I/O mode: %s; assert mode: %s"
                  % (info.io.time_limit, time_limit_text(info.time_limits, args.timeout)))
        else:
            print("  time limit " + time_limit_text(info.time_limits, args.timeout))
        rate = len(verdicts) / elapsed if elapsed > 0 else 0
        print("  time       %.1f s, %.1f samples/s" % (elapsed, rate))
        print("  results    %s" % out_path)
        print(runner_line(summary))
        if evalplus_path:
            print("evalplus:      %s" % evalplus_path)
    return 1 if counts["sandbox_error"] else 0


if __name__ == "__main__":
    sys.exit(main())
