"""Run GPT-Fathom's own eval classes on our rows and canned completions.

Usage (library): gf = GF("/path/to/GPT-Fathom checkout"); see make_vectors.py.

What it does
- Copies the checkout's `evals/` package (without the big HF caches) into a
  scratch directory, so the checkout itself is never modified.
- Puts small stand-ins for the packages GPT-Fathom imports but that we cannot
  install (openai<1.0, backoff, blobfile, tiktoken, transformers, datasets,
  evaluate, pyzstd, lz4) in front of sys.path (see stubs/).
- `build(script, tables)` runs one of GPT-Fathom's `evals/build_data/*.py`
  scripts unchanged, with `datasets.load_dataset` serving our rows, so the
  registry files (`registry/data/...`) are produced by GPT-Fathom's own
  conversion code. Registry YAMLs the scripts rewrite are restored afterwards.
- `run(eval_name, completions, model)` loads the eval from GPT-Fathom's own
  registry YAML, instantiates its class with GPT-Fathom's real
  `OpenAICompletionFn` / `OpenAIChatCompletionFn` (the stub `openai` module
  answers with the canned completion of the sample being evaluated and
  records the prompt / messages it was sent), calls `Eval.run(recorder)`
  sequentially and returns the recorded events per sample and the final
  report, exactly as `oaieval` would have logged them.

Nothing here reimplements GPT-Fathom's logic; every verdict comes from its code.
"""
import contextlib
import io
import json
import os
import runpy
import shutil
import sys
import tempfile
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
STUBS = HERE / "stubs"

COMPLETION_MODEL = "davinci"          # not in CHAT_MODELS -> OpenAICompletionFn
CHAT_MODEL = "gpt-3.5-turbo-0613"     # in CHAT_MODELS     -> OpenAIChatCompletionFn


class GF:
    def __init__(self, checkout):
        checkout = Path(checkout).resolve()
        if not (checkout / "evals" / "elsuite").is_dir():
            raise SystemExit(f"{checkout} is not a GPT-Fathom checkout")
        self.checkout = checkout
        self.work = Path(tempfile.mkdtemp(prefix="gf-truth-"))
        shutil.copytree(
            checkout / "evals",
            self.work / "evals",
            ignore=shutil.ignore_patterns("cached_hf_data", "longbench", "*.arrow", "__pycache__"),
        )
        self.registry_dir = self.work / "evals" / "registry"
        self.data_dir = self.registry_dir / "data"
        self.build_dir = self.work / "evals" / "build_data"
        os.environ["EVALS_SEQUENTIAL"] = "1"
        os.environ["EVALS_SHOW_EVAL_PROGRESS"] = ""
        os.environ["HF_ALLOW_CODE_EVAL"] = "1"
        sys.path[:0] = [str(STUBS), str(self.work)]
        import datasets  # stub
        import evals  # noqa: F401  (GPT-Fathom's package, from the scratch copy)
        import evals.record
        import evals.registry
        import openai  # stub

        self.datasets = datasets
        self.openai = openai
        self.evals = evals
        self._yaml_backup = {
            p.name: p.read_bytes() for p in (self.registry_dir / "evals").glob("*.yaml")
        }
        self.openai.RESPONDER = self._respond
        self._current = None

    # ------------------------------------------------------------------ build
    def build(self, script, tables=None, disk=None, files=None):
        """Run evals/build_data/<script>.py with our rows as the HF datasets.

        tables: {(hf_path, config_or_None, split): [rows]}
        files:  {path relative to build_data: text} written before running
        Returns the exception the script raised, if any (some scripts end by
        reading files absent from the repository; what they wrote before that
        point is what GPT-Fathom's registry holds)."""
        self.datasets.TABLES.clear()
        self.datasets.TABLES.update(tables or {})
        for rel, text in (files or {}).items():
            p = self.build_dir / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        cwd = os.getcwd()
        os.chdir(self.build_dir)
        sys.path.insert(0, str(self.build_dir))
        err = None
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                runpy.run_path(str(self.build_dir / f"{script}.py"), run_name="__main__")
        except Exception as e:  # noqa: BLE001
            err = e
        finally:
            sys.path.remove(str(self.build_dir))
            os.chdir(cwd)
            for p in (self.registry_dir / "evals").glob("*.yaml"):
                if p.name not in self._yaml_backup:
                    p.unlink()
            for name, data in self._yaml_backup.items():
                (self.registry_dir / "evals" / name).write_bytes(data)
        return err

    def write_data(self, rel, rows):
        p = self.data_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

    def read_data(self, rel):
        with open(self.data_dir / rel, encoding="utf-8") as f:
            return [json.loads(l) for l in f if l.strip()]

    # ------------------------------------------------------------------ run
    def _respond(self, kind, kwargs):
        cur = self._current
        # chat requests run in a worker thread (api_utils.request_with_timeout),
        # where the recorder context variable is not set: use the index noted
        # by the eval_sample wrapper below.
        idx = cur["idx"]
        n = cur["calls"].get(idx, 0)
        cur["calls"][idx] = n + 1
        sent = kwargs.get("prompt") if kind == "completion" else kwargs.get("messages")
        cur["sent"].setdefault(idx, []).append(
            {"kind": kind, "sent": sent,
             "params": {k: v for k, v in kwargs.items() if k not in ("prompt", "messages", "api_base", "api_key")}}
        )
        c = cur["completions"](idx)
        if isinstance(c, list):
            return c[n]
        return c

    def run(self, eval_name, completions, model=COMPLETION_MODEL, extra_args=None):
        """completions: callable idx -> str (or list[str] for n > 1 samples)."""
        from evals.completion_fns.openai import OpenAIChatCompletionFn, OpenAICompletionFn
        from evals.record import RecorderBase
        from evals.registry import CHAT_MODELS, Registry, n_ctx_from_model_name

        registry = Registry([self.registry_dir])
        spec = registry.get_eval(eval_name)
        if spec is None:
            raise KeyError(eval_name)
        fn_cls = OpenAIChatCompletionFn if model in CHAT_MODELS else OpenAICompletionFn
        fn = fn_cls(model=model, n_ctx=n_ctx_from_model_name(model))
        args = dict(spec.args or {})
        args.update(extra_args or {})
        spec_args_backup = spec.args
        spec.args = args
        eval_class = registry.get_class(spec)
        spec.args = spec_args_backup
        ev = eval_class(
            completion_fns=[fn],
            seed=20220722,
            name=spec.key,
            registry=registry,
            eval_in_batch=False,
            local_dataset=False,
        )

        class Capture(RecorderBase):
            def _flush_events_internal(self, events):
                pass

        rec = Capture(types.SimpleNamespace(run_id="gf-truth", created_by="gf-truth"))
        self._current = cur = {"completions": completions, "calls": {}, "sent": {}, "idx": None}
        orig_eval_sample = ev.eval_sample

        def eval_sample(sample, rng):
            # note which sample is being evaluated (sample_id = base.split.idx),
            # then call GPT-Fathom's method unchanged
            cur["idx"] = int(rec.current_sample_id().rsplit(".", 1)[1])
            return orig_eval_sample(sample, rng)

        ev.eval_sample = eval_sample
        with contextlib.redirect_stdout(io.StringIO()):
            report = ev.run(rec)
        per = {}
        for e in rec._events:
            idx = int(e.sample_id.rsplit(".", 1)[1])
            per.setdefault(idx, {}).setdefault(e.type, []).append(e.data)
        sent = self._current["sent"]
        self._current = None
        return {"events": per, "report": report, "sent": sent, "eval": ev, "key": spec.key}


def jdump(obj):
    return json.dumps(obj, ensure_ascii=False, sort_keys=False)


def write_jsonl(path, rows):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(jdump(r) + "\n")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]
