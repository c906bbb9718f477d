#!/usr/bin/python3
"""clients/python/grade.py against a real `fathom serve`: the same numbers as `fathom grade`.

Started by ctest (tests/CMakeLists.txt) with FATHOM_BINARY, FATHOM_PY_STUBS and
FATHOM_SOURCE_DIR set. Starts the real server on a free loopback port, grades the same
samples file (a slice of the bundled one plus three bad records) with `fathom grade` and
with grade.py, and compares the printed summaries and the results files: every number
and every per-sample result, time limits included, exactly; only timings (and the
zygotes' peak memory) may differ. The server and `fathom grade` share one calibration
cache ($XDG_CACHE_HOME), as they would on one machine: the server calibrates at start,
`fathom grade` reads the same per-task limits.
"""

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = os.environ["FATHOM_BINARY"]
SOURCE = os.environ["FATHOM_SOURCE_DIR"]
PY = "/usr/bin/python3"
GRADE_PY = os.path.join(SOURCE, "clients", "python", "grade.py")
MINI = os.path.join(SOURCE, "problems", "fathom-mini.jsonl")
MINI_SAMPLES = os.path.join(SOURCE, "problems", "fathom-mini.samples.jsonl")
HUMANEVAL_PLUS = os.path.join(SOURCE, "..", "shared", "data", "humanevalplus",
                              "HumanEvalPlus.jsonl.gz")
# Measurements of one run, not outcomes: they differ between any two gradings.
TIMING_FIELDS = {"cpu_ms", "wall_ms", "max_rss_kb"}
CACHE_HOME = tempfile.mkdtemp(prefix="fathom-pyclient-cache-")
ENV = dict(os.environ, XDG_CACHE_HOME=CACHE_HOME)


class Server:
    """`fathom serve` on a free loopback port; its stderr lines are kept."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off", *args],
            stderr=subprocess.PIPE, text=True, env=ENV)
        self.lines = []
        self.port = None
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.lines.append(line)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "listening":
                    self.port = int(event["port"])
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not ready.wait(300) or self.port is None:  # calibration may run first
            self.proc.kill()
            raise RuntimeError("fathom serve did not start:\n" + "".join(self.lines))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        self.reader.join(10)
        return code


def summary_lines(text):
    """The summary without its timings: the elapsed-time line, the results path, how long
    calibration took (or that it was read from the cache: the server measured, `fathom
    grade` then read what it stored), and the zygotes' peak memory."""
    out = []
    for l in text.splitlines():
        if l.startswith("  time  ") or l.startswith("  results "):
            continue
        l = re.sub(r", (calibration cached|calibrated in [0-9.]+ s)", ", calibration", l)
        l = re.sub(r"expected outputs (cached|measured in [0-9.]+ s)", "expected outputs", l)
        l = re.sub(r"peak RSS [0-9]+ MiB", "peak RSS N MiB", l)
        out.append(l)
    return out


def results(path):
    with open(path, encoding="utf-8") as f:
        return [{k: v for k, v in json.loads(l).items() if k not in TIMING_FIELDS} for l in f]


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fathom-pyclient-")
        cls.samples = os.path.join(cls.dir, "samples.jsonl")
        with open(MINI_SAMPLES, encoding="utf-8") as src, open(cls.samples, "w") as out:
            for i, line in enumerate(src):
                if i < 60:
                    out.write(line)
            # Bad records: `fathom grade` and grade.py both skip and count them.
            out.write("{not json\n")
            out.write(json.dumps({"task_id": "FathomMini/999", "completion": "x"}) + "\n")
            out.write(json.dumps({"task_id": "FathomMini/0", "completion_id": 0,
                                  "completion": "    return ''\n"}) + "\n")
        cls.server = Server("--workers", "2", "--problems", "mini=" + MINI)

    @classmethod
    def tearDownClass(cls):
        if cls.server.proc.poll() is None:
            cls.server.proc.kill()
        shutil.rmtree(cls.dir, ignore_errors=True)
        shutil.rmtree(CACHE_HOME, ignore_errors=True)

    def test_1_same_summary_and_results_as_fathom_grade(self):
        cli_out = os.path.join(self.dir, "cli_results.jsonl")
        cli = subprocess.run([BINARY, "grade", "--problems", MINI, "--samples", self.samples,
                              "--out", cli_out, "--k", "1,2,3", "--no-progress",
                              "--workers", "2"],
                             capture_output=True, text=True, timeout=600, env=ENV)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        py_out = os.path.join(self.dir, "py_results.jsonl")
        py = subprocess.run([PY, GRADE_PY, "--server", "127.0.0.1:%d" % self.server.port,
                             "--problem-set", "mini", "--samples", self.samples, "--out", py_out,
                             "--k", "1,2,3", "--batch", "16"],
                            capture_output=True, text=True, timeout=600)
        self.assertEqual(py.returncode, 0, py.stderr)
        self.assertEqual(summary_lines(py.stdout), summary_lines(cli.stdout))
        lines = summary_lines(py.stdout)
        self.assertIn("  time limit auto: 1.0 s CPU median", "\n".join(lines))
        self.assertIn("runner:        warm zygotes (2), peak RSS N MiB, 0 restarts", lines)
        self.assertIn("3 bad input records", py.stdout)
        self.assertTrue(py.stdout.startswith("{'pass@1': "), py.stdout)
        self.assertEqual(py.stderr.count("grade.py: bad input: "), 3, py.stderr)
        py_results, cli_results = results(py_out), results(cli_out)
        self.assertEqual(len(py_results), 60)
        self.assertEqual(py_results, cli_results)
        self.assertTrue(all(r["cpu_limit_ms"] >= 1000 for r in py_results), py_results[0])

    def test_2_unknown_problem_set_is_a_clear_error(self):
        py = subprocess.run([PY, GRADE_PY, "--server", "127.0.0.1:%d" % self.server.port,
                             "--problem-set", "nope", "--samples", self.samples],
                            capture_output=True, text=True, timeout=120)
        self.assertEqual(py.returncode, 2)
        self.assertIn("no problem set 'nope'", py.stderr)

    def test_2_no_server_is_a_clear_error(self):
        with socket.socket() as s:  # a loopback port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        py = subprocess.run([PY, GRADE_PY, "--server", "127.0.0.1:%d" % port,
                             "--connect-timeout", "0.5", "--problem-set", "mini",
                             "--samples", self.samples],
                            capture_output=True, text=True, timeout=120)
        self.assertEqual(py.returncode, 2)
        self.assertEqual(py.stderr, "grade.py: cannot connect to the server at 127.0.0.1:%d "
                                    "(waited 0.5 s)\n" % port)

    def test_3_sigterm_exits_zero_with_one_log_line_per_call(self):
        self.assertEqual(self.server.stop(), 0)
        calls = [json.loads(l) for l in self.server.lines if '"event":"call"' in l]
        methods = [c["method"] for c in calls]
        self.assertIn("GradeStream", methods)
        stream = [c for c in calls if c["method"] == "GradeStream"][0]
        self.assertEqual(stream["code"], "OK")
        self.assertEqual(stream["samples"], 60)
        self.assertEqual(stream["problem_sets"], ["mini"])
        self.assertEqual(sum(stream["statuses"].values()), 60)
        for line in self.server.lines:  # never the program text
            self.assertNotIn("groupby", line)

    def test_4_io_mode_same_summary_and_results_as_fathom_grade(self):
        """HumanEval+ (its first 8 tasks) in I/O mode: grade.py --mode io prints what
        `fathom grade` prints (the base-inputs pass@k line included) and writes the same
        results, base_status / plus_status / failing inputs included."""
        if not os.path.exists(HUMANEVAL_PLUS):
            self.skipTest(HUMANEVAL_PLUS + " is absent")
        problems = os.path.join(self.dir, "heplus8.jsonl")
        samples = os.path.join(self.dir, "heplus8.samples.jsonl")
        with gzip.open(HUMANEVAL_PLUS, "rt", encoding="utf-8") as src:
            tasks = [json.loads(next(src)) for _ in range(8)]
        with open(problems, "w", encoding="utf-8") as out:
            out.writelines(json.dumps(t) + "\n" for t in tasks)
        rows = [{"task_id": t["task_id"], "completion": t["canonical_solution"],
                 "completion_id": 0} for t in tasks]
        rows += [
            # Right on HumanEval/0's base inputs (at most 6 numbers), wrong on longer ones.
            {"task_id": "HumanEval/0", "completion_id": 1,
             "completion": "    if len(numbers) > 6:\n        return False\n"
                           + tasks[0]["canonical_solution"]},
            {"task_id": "HumanEval/3", "completion_id": 1, "completion": "    return False\n"},
            {"task_id": "HumanEval/5", "completion_id": 1,
             "completion": "    raise ValueError('no')\n"},
        ]
        with open(samples, "w", encoding="utf-8") as out:
            out.writelines(json.dumps(r) + "\n" for r in rows)
        server = Server("--workers", "2", "--problems", "heplus=" + problems)
        try:
            cli_out = os.path.join(self.dir, "heplus_cli.jsonl")
            cli = subprocess.run([BINARY, "grade", "--problems", problems, "--samples", samples,
                                  "--out", cli_out, "--k", "1", "--no-progress", "--workers",
                                  "2", "--mode", "io"],
                                 capture_output=True, text=True, timeout=600, env=ENV)
            self.assertEqual(cli.returncode, 0, cli.stderr)
            py_out = os.path.join(self.dir, "heplus_py.jsonl")
            py = subprocess.run([PY, GRADE_PY, "--server", "127.0.0.1:%d" % server.port,
                                 "--problem-set", "heplus", "--samples", samples, "--out",
                                 py_out, "--k", "1", "--batch", "4", "--mode", "io"],
                                capture_output=True, text=True, timeout=600)
            self.assertEqual(py.returncode, 0, py.stderr)
        finally:
            self.assertEqual(server.stop(), 0)
        self.assertEqual(summary_lines(py.stdout), summary_lines(cli.stdout))
        lines = summary_lines(py.stdout)
        self.assertEqual(lines[0], "{'pass@1': 0.8125}")
        self.assertEqual(lines[1], "  mode       io: 11 samples graded by their inputs (base "
                                   "tests: pass@1 0.8750; the line above: base + extra tests), "
                                   "0 in assert mode; expected outputs")
        self.assertIn("  status     passed 8 failed 2 error 1", lines)
        self.assertIn("  time limit per input max(1.0 s, 4 x the canonical's CPU)", lines)
        py_results, cli_results = results(py_out), results(cli_out)
        self.assertEqual(len(py_results), 11)
        self.assertEqual(py_results, cli_results)
        base_only = py_results[8]
        self.assertEqual((base_only["task_id"], base_only["status"], base_only["base_status"],
                          base_only["plus_status"]), ("HumanEval/0", "failed", "pass", "fail"))
        self.assertEqual(base_only["base_failed_inputs"], [])
        self.assertEqual(len(base_only["plus_failed_inputs"]), 1)

    def test_5_mutual_tls(self):
        """grade.py with --tls-ca/--tls-cert/--tls-key against `fathom serve --client-ca`:
        served with the CA's client certificate, refused without one."""
        certs = os.path.join(self.dir, "certs")
        os.makedirs(certs)
        script = r"""set -e
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj "/CN=fathom test ca" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
for leaf in server client; do
  key $leaf.key
  openssl req -new -key $leaf.key -out $leaf.csr -subj "/CN=fathom test $leaf"
done
printf 'subjectAltName=DNS:fathom.test\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for leaf in server client; do
  openssl x509 -req -in $leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -out $leaf.pem -extfile $leaf.ext
done
"""
        made = subprocess.run(["/bin/sh", "-c", script], cwd=certs, capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(made.returncode, 0, made.stderr)
        c = lambda name: os.path.join(certs, name)
        server = Server("--workers", "1", "--problems", "mini=" + MINI,
                        "--tls-cert", c("server.pem"), "--tls-key", c("server.key"),
                        "--client-ca", c("ca.pem"))
        try:
            base = [PY, GRADE_PY, "--server", "127.0.0.1:%d" % server.port, "--problem-set",
                    "mini", "--samples", self.samples, "--k", "1", "--tls-ca", c("ca.pem"),
                    "--tls-server-name", "fathom.test"]
            refused = subprocess.run(base + ["--connect-timeout", "2",
                                             "--out", os.path.join(self.dir, "tls0.jsonl")],
                                     capture_output=True, text=True, timeout=120)
            self.assertEqual(refused.returncode, 2, refused.stderr)
            self.assertIn("cannot connect to the server", refused.stderr)
            served = subprocess.run(base + ["--tls-cert", c("client.pem"), "--tls-key",
                                            c("client.key"),
                                            "--out", os.path.join(self.dir, "tls1.jsonl")],
                                    capture_output=True, text=True, timeout=600)
            self.assertEqual(served.returncode, 0, served.stderr)
            self.assertTrue(served.stdout.startswith("{'pass@1': "), served.stdout)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
