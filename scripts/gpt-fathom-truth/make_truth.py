"""Generate Fathom's GPT-Fathom ground truth by running GPT-Fathom's own code.

Usage:
    /usr/bin/python3 make_truth.py <GPT-Fathom checkout> <Fathom repo root> [benchmark ...]

Needs Debian's python3 with python3-numpy, python3-pandas, python3-pydantic,
python3-yaml, python3-jieba, python3-sympy, python3-tqdm (apt-get install);
everything else GPT-Fathom imports is stubbed (stubs/). See README.md.

For each benchmark it
  1. writes the sample set (our original rows, in the HF field names) under
     benchmarks/samples/<name>/ with predictions.jsonl;
  2. converts the rows to GPT-Fathom's registry format with GPT-Fathom's own
     build script (evals/build_data/build_<x>.py) or, for the evals that load
     HF datasets at run time, serves them through the `datasets` stub;
  3. runs the registry eval (GPT-Fathom's class, unchanged) once with a
     completion model and once with a chat model, the completion fn answering
     with the saved prediction;
  4. writes tests/driver/fidelity/<name>.jsonl (verdict vectors),
     tests/driver/fidelity/prompts/<name>.jsonl (exact prompts/messages),
     benchmarks/samples/<name>/expected.jsonl and expected_report.json.
"""
import csv
import io
import json
import math
import shutil
import sys
from pathlib import Path

import gfharness as H
import cases_qa as QA
import cases_mc as MC
import cases_other as OT
import cases_shots as SH

FAITHFUL_SHOTS = "--faithful-shots" in sys.argv

FIELDS_SRC = {
    "FuzzyMatch": "evals/elsuite/basic/fuzzy_match.py:FuzzyMatch.eval_sample",
    "MultipleChoice": "evals/elsuite/basic/multiple_choice.py:MultipleChoice.eval_sample",
    "READ_COMPRE": "evals/elsuite/basic/reading_comprehension.py:READ_COMPRE.eval_sample",
    "MATH_PROBLEM": "evals/elsuite/basic/math_problem.py:MATH_PROBLEM.eval_sample",
    "Lambada": "evals/elsuite/dataset_specific/lambada.py:Lambada.eval_sample",
    "BBH": "evals/elsuite/dataset_specific/bbh.py:BBH.eval_sample",
    "CEVAL": "evals/elsuite/dataset_specific/ceval.py:CEVAL.eval_sample",
    "AGIEVAL": "evals/elsuite/dataset_specific/agieval.py:AGIEVAL.eval_sample",
}


def dash(s):
    return s.replace("_", "-")


class Sub:
    """One GPT-Fathom sub-eval run on our rows."""

    def __init__(self, name, eval_name, rows, cases, setup, offset=0, subfield=None):
        self.name = name            # subtask name ("" for single-task)
        self.eval_name = eval_name  # GPT-Fathom registry eval
        self.rows = rows            # all rows of our test file (our schema)
        self.cases = cases          # [(completion, branch)] for scored rows
        self.setup = setup          # fn(gf) -> None (build registry data)
        self.offset = offset        # our row id = GPT-Fathom sample idx + offset


def bench_defs():
    D = {}

    # ---------------- NQ / WebQ / TriviaQA
    def qa(name, script, hf, cases, shots, data_dir, eval_name, copy_from=None):
        rows = [c[0] for c in cases]

        def setup(gf, rows=rows, shots=shots):
            gf.build(script, {(hf[0], hf[1], hf[2]): rows, (hf[0], hf[1], "train"): shots})
            if copy_from:
                for f in ("samples.jsonl", "fewshot.jsonl"):
                    gf.write_data(f"{data_dir}/{f}", gf.read_data(f"{copy_from}/{f}"))
        D[name] = dict(subs=[Sub("", eval_name, rows, [c[1:] for c in cases], setup)],
                       files={"test.jsonl": rows, "train.jsonl": shots}, metric="accuracy")

    qa("nq", "build_natural_questions", ("lucadiliello/naturalquestionsshortqa", None, "validation"), QA.NQ, QA.NQ_SHOTS,
       "natural_questions", "natural_questions-1shot", copy_from="NaturalQuestion")
    D["nq"]["files"] = {"test.jsonl": [c[0] for c in QA.NQ], "train.jsonl": QA.NQ_SHOTS}
    qa("webq", "build_web_questions", ("web_questions", None, "test"), QA.WEBQ, QA.WEBQ_SHOTS,
       "web_questions", "web_questions-1shot", copy_from="WebQ")
    qa("triviaqa", "build_triviaqa", ("trivia_qa", "rc.nocontext", "validation"), QA.TRIVIA, QA.TRIVIA_SHOTS,
       "triviaqa", "triviaqa-1shot")
    D["triviaqa"]["files"] = {"test.jsonl": [c[0] for c in QA.TRIVIA], "train.jsonl": QA.TRIVIA_SHOTS}

    # ---------------- TyDi QA (11 languages in GPT-Fathom; we ship 3)
    subs = []
    for la, cases in QA.TYDI.items():
        rows = [c[0] for c in cases]

        def setup(gf, la=la, rows=rows):
            gf.build("build_tydiqa", {("khalidalt/tydiqa-goldp", la, "validation"): rows,
                                      ("khalidalt/tydiqa-goldp", la, "train"): QA.TYDI_SHOTS[la]})
        subs.append(Sub(la, f"tydiqa-{la}-1shotnocontext", rows, [c[1:] for c in cases], setup))
    D["tydiqa"] = dict(subs=subs, metric="f1_score",
                       files={"test.jsonl": [r for la in QA.TYDI for r in [c[0] for c in QA.TYDI[la]]],
                              "train.jsonl": [r for la in QA.TYDI_SHOTS for r in QA.TYDI_SHOTS[la]]},
                       subfield="language")

    # ---------------- DROP
    rows = [c[0] for c in QA.DROP]
    D["drop"] = dict(subs=[Sub("", "drop-3shot", rows, [c[1:] for c in QA.DROP],
                               lambda gf, rows=rows: gf.build("build_drop", {("drop", None, "validation"): rows, ("drop", None, "train"): QA.DROP_SHOTS}))],
                     files={"test.jsonl": rows, "train.jsonl": QA.DROP_SHOTS}, metric="f1_score")

    # ---------------- MMLU (HF hendrycks_test at run time; we ship CSV)
    subs = []
    for subj, cases in MC.MMLU_TEST.items():
        rows = [{"question": q, "choices": ch, "answer": a, "subject": subj} for (q, ch, a), _, _ in cases]
        dev = [{"question": q, "choices": ch, "answer": a, "subject": subj} for q, ch, a in MC.MMLU_DEV[subj]]

        def setup(gf, subj=subj, rows=rows, dev=dev):
            gf.datasets.TABLES.clear()
            gf.datasets.TABLES[("hendrycks_test", subj, "test")] = rows
            gf.datasets.TABLES[("hendrycks_test", subj, "dev")] = dev
        subs.append(Sub(subj, f"mmlu-{dash(subj)}-5shot", rows, [c[1:] for c in cases], setup))
    D["mmlu"] = dict(subs=subs, metric="accuracy", csv=True)

    # ---------------- ARC
    for name, val, test, split_name, ev in (("arc-e", MC.ARC_E_VAL, MC.ARC_E_TEST, "ARC-Easy", "arc-e-1shot"),
                                            ("arc-c", MC.ARC_C_VAL, MC.ARC_C_TEST, "ARC-Challenge", "arc-c-1shot")):
        rows = [c[0] for c in test]
        tables = {("ai2_arc", "ARC-Easy" if name == "arc-e" else "ARC-Challenge", "test"): rows,
                  ("ai2_arc", split_name, "validation"): val}

        def setup(gf, tables=tables):
            gf.build("build_arc", tables)
        D[name] = dict(subs=[Sub("", ev, rows, [c[1:] for c in test], setup)],
                       files={"test.jsonl": rows, "validation.jsonl": val}, metric="accuracy")

    # ---------------- HellaSwag / WinoGrande (HF at run time)
    rows = [c[0] for c in MC.HS_VAL]

    def hs_setup(gf, rows=rows):
        gf.datasets.TABLES.clear()
        gf.datasets.TABLES[("hellaswag", None, "validation")] = rows
        gf.datasets.TABLES[("hellaswag", None, "train")] = MC.HS_TRAIN
    D["hellaswag"] = dict(subs=[Sub("", "hellaswag-1shot", rows, [c[1:] for c in MC.HS_VAL], hs_setup)],
                          files={"test.jsonl": rows, "train.jsonl": MC.HS_TRAIN}, metric="accuracy")
    rows = [c[0] for c in MC.WG_VAL]

    def wg_setup(gf, rows=rows):
        gf.datasets.TABLES.clear()
        gf.datasets.TABLES[("winogrande", "winogrande_xl", "validation")] = rows
        gf.datasets.TABLES[("winogrande", "winogrande_xl", "train")] = MC.WG_TRAIN
    D["winogrande"] = dict(subs=[Sub("", "winogrande-1shot", rows, [c[1:] for c in MC.WG_VAL], wg_setup)],
                           files={"test.jsonl": rows, "train.jsonl": MC.WG_TRAIN}, metric="accuracy")

    # ---------------- TruthfulQA (row 0 = shot)
    rows = [c[0] for c in MC.TQA_VAL]
    D["truthfulqa"] = dict(subs=[Sub("", "truthfulqa-0shot", rows, [c[1:] for c in MC.TQA_VAL[1:]],
                                     lambda gf, rows=rows: gf.build("build_truthfulqa", {("truthful_qa", "multiple_choice", "validation"): rows}),
                                     offset=1)],
                           files={"test.jsonl": rows}, metric="accuracy")

    # ---------------- RACE (shots = test[:10])
    for name, cfg, rows_c, ev in (("race-m", "middle", MC.RACE_M, "race-m-1shot"), ("race-h", "high", MC.RACE_H, "race-h-1shot")):
        rows = [c[0] for c in rows_c]

        def setup(gf, cfg=cfg, rows=rows):
            gf.build("build_race", {("race", cfg, "test"): rows})
        D[name] = dict(subs=[Sub("", ev, rows, [c[1:] for c in rows_c], setup)], files={"test.jsonl": rows}, metric="accuracy")

    # ---------------- LAMBADA (test[:15] = shots)
    rows = [{"text": t} for t in OT.LAMBADA_SHOTS] + [c[0] for c in OT.LAMBADA]
    D["lambada"] = dict(subs=[Sub("", "lambada-1shot", rows, [c[1:] for c in OT.LAMBADA],
                                  lambda gf, rows=rows: gf.build("build_lambada", {("EleutherAI/lambada_openai", "en", "test"): rows}),
                                  offset=15)],
                        files={"test.jsonl": rows}, metric="accuracy")

    # ---------------- GSM8K / MATH (fixed exemplars from the repository)
    rows = [c[0] for c in OT.GSM8K]
    D["gsm8k"] = dict(subs=[Sub("", "gsm8k-8shotCoT", rows, [c[1:] for c in OT.GSM8K],
                                lambda gf, rows=rows: own_shots(gf, gf.build("build_gsm8k", {("rookshanks/gsm8k", None, "test"): rows}), "gsm8k/fewshot.jsonl", SH.GSM8K_SHOTS))],
                      files={"test.jsonl": rows, "fewshot.jsonl": SH.GSM8K_SHOTS}, metric="accuracy")
    rows_m = [c[0] for c in OT.MATH]
    D["math"] = dict(subs=[Sub("", "math-4shotCoT", rows_m, [c[1:] for c in OT.MATH],
                               lambda gf, rows_m=rows_m: own_shots(gf, gf.build("build_math", {("competition_math", None, "test"): rows_m}), "math/fewshot.jsonl", SH.MATH_SHOTS))],
                     files={"test.jsonl": rows_m, "fewshot.jsonl": SH.MATH_SHOTS}, metric="accuracy")

    # ---------------- MGSM (TSV in the original)
    subs = []
    for la, cases in OT.MGSM.items():
        rows = [c[0] for c in cases]
        tsv = "".join(f"{r['question']}\t{r['answer_number']}\n" for r in rows)

        def setup(gf, la=la, tsv=tsv):
            return own_shots(gf, gf.build("build_mgsm", files={f"mgsm_prompt/mgsm_{la}.tsv": tsv}),
                             f"mgsm/fewshot_{la}.jsonl", SH.MGSM_SHOTS[la])
        subs.append(Sub(la, f"mgsm-{la}-8shotCoT", rows, [c[1:] for c in cases], setup))
    D["mgsm"] = dict(subs=subs, metric="accuracy",
                     files={"test.jsonl": [c[0] for la in OT.MGSM for c in OT.MGSM[la]],
                            "fewshot.jsonl": [dict(r, lang=la) for la in SH.MGSM_SHOTS for r in SH.MGSM_SHOTS[la]]}, subfield="lang")

    # ---------------- BBH
    subs = []
    for task, cases in OT.BBH.items():
        rows = [dict(c[0], task=task) for c in cases]

        def setup(gf, task=task, rows=rows):
            gf.build("build_bbh", {("lukaemon/bbh", task, "test"): rows})
        subs.append(Sub(task, f"bbh-{task}-3shot-CoT", rows, [c[1:] for c in cases], setup))
    D["bbh"] = dict(subs=subs, metric="accuracy", files={"test.jsonl": [r for s in subs for r in s.rows]}, subfield="task")

    # ---------------- C-Eval (HF ceval/ceval-exam at run time; val = test set)
    subs = []
    for subj, cases in OT.CEVAL_VAL.items():
        rows = [dict(c[0], subject=subj) for c in cases]
        dev = [dict(r, subject=subj) for r in OT.CEVAL_DEV[subj]]

        def setup(gf, subj=subj, rows=rows, dev=dev):
            gf.datasets.TABLES.clear()
            gf.datasets.TABLES[("ceval/ceval-exam", subj, "val")] = rows
            gf.datasets.TABLES[("ceval/ceval-exam", subj, "dev")] = dev
        subs.append(Sub(subj, f"ceval-{dash(subj)}-5shot", rows, [c[1:] for c in cases], setup))
    D["ceval"] = dict(subs=subs, metric="accuracy",
                      files={"test.jsonl": [r for s in subs for r in s.rows],
                             "dev.jsonl": [dict(r, subject=s) for s in OT.CEVAL_DEV for r in OT.CEVAL_DEV[s]]},
                      subfield="subject")

    # ---------------- AGIEval
    for name, group in (("agieval-en", OT.AG_EN), ("agieval-zh", OT.AG_ZH)):
        subs = []
        for task, cases in group.items():
            rows = [dict(c[0], task=task) for c in cases]

            def setup(gf, task=task, rows=rows):
                gf.write_data(f"agieval/{task}.jsonl", [{k: v for k, v in r.items() if k != "task"} for r in rows])
                (gf.data_dir / "agieval" / "few_shot_prompts.csv").write_text(agieval_csv(), encoding="utf-8")
            subs.append(Sub(task, f"agieval-{task}-5shot", rows, [c[1:] for c in cases], setup))
        D[name] = dict(subs=subs, metric="accuracy", files={"test.jsonl": [r for s in subs for r in s.rows]},
                       subfield="task", agieval=True)
    return D


def own_shots(gf, err, rel, rows):
    """Replace GPT-Fathom's fixed exemplars (licence unclear) by our own,
    unless --faithful-shots is given."""
    if not FAITHFUL_SHOTS:
        gf.write_data(rel, rows)
    return err


def agieval_csv():
    """Our own few-shot prompts in AGIEval's few_shot_prompts.csv layout."""
    tasks = list(OT.AG_SHOTS)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([""] + tasks)
    for i in range(5):
        ctx, exp = [f"context {i+1}"], [f"explanation {i+1}"]
        for t in tasks:
            shots = OT.AG_SHOTS[t]
            if i < len(shots):
                ctx.append(repr(shots[i][0]))
                exp.append(shots[i][1])
            else:
                ctx.append("")
                exp.append("")
        w.writerow(ctx)
        w.writerow(exp)
    return out.getvalue()


# ----------------------------------------------------------------------------
def run_sub(gf, sub, model):
    err = sub.setup(gf)
    if err is not None:
        print(f"  note: {sub.eval_name}: build script stopped with {type(err).__name__}: {err}", file=sys.stderr)
    preds = [c[0] for c in sub.cases]

    def completion(idx):
        return preds[idx]
    return gf.run(sub.eval_name, completion, model=model)


def main():
    checkout, root = Path(sys.argv[1]), Path(sys.argv[2])
    only = set(a for a in sys.argv[3:] if not a.startswith("--"))
    gf = H.GF(checkout)
    defs = bench_defs()
    fid = root / "tests/driver/fidelity"
    for name, d in defs.items():
        if only and name not in only:
            continue
        vec, prompts, expected = [], [], []
        report = {"benchmark": name, "metric": d["metric"], "mode": "faithful", "subtasks": {}}
        micro_sum, micro_n = 0.0, 0
        for sub in d["subs"]:
            r = run_sub(gf, sub, H.COMPLETION_MODEL)
            rc = run_sub(gf, sub, H.CHAT_MODEL)
            cls = type(r["eval"]).__name__
            src = FIELDS_SRC[cls]
            rep = {k: (None if isinstance(v, float) and math.isnan(v) else (float(v) if not isinstance(v, bool) else v))
                   for k, v in r["report"].items()}
            for idx in sorted(r["events"]):
                ev = r["events"][idx]
                m = ev["match"][0]
                met = ev.get("metrics", [{}])[0]
                rid = idx + sub.offset
                row = sub.rows[rid]
                completion, branch = sub.cases[idx]
                extracted = m.get("sampled", completion)
                score = float(met["f1_score"]) if d["metric"] == "f1_score" else (1.0 if m["correct"] else 0.0)
                item = {"row": row}
                if sub.name:
                    item["subtask"] = sub.name
                item.update({"id": rid, "completion": completion, "extracted": extracted, "picked": m.get("picked"),
                             "expected": m["expected"], "correct": m["correct"], "score": score,
                             "source": src, "branch": branch})
                if d["metric"] == "f1_score":
                    item["accuracy"] = float(met["accuracy"])
                vec.append(item)
                expected.append({"id": rid, "subtask": sub.name or None, "extracted": extracted,
                                 "correct": m["correct"], "score": score})
                text = r["sent"][idx][0]["sent"]
                msgs = rc["sent"][idx][0]["sent"]
                prompts.append({"id": rid, "subtask": sub.name or None, "shots": shots_of(name, sub, r["eval"]),
                                "text": text, "messages": msgs,
                                "params": r["sent"][idx][0]["params"], "chat_params": rc["sent"][idx][0]["params"]})
            key = sub.name or name
            report["subtasks"][key] = {"eval": sub.eval_name, "n": len(r["events"]), "final_report": rep,
                                       "value": rep[d["metric"]]}
            micro_sum += sum(e["score"] for e in expected if (e["subtask"] or None) == (sub.name or None))
            micro_n += len(r["events"])
        vals = [s["value"] for s in report["subtasks"].values()]
        report["macro"] = sum(vals) / len(vals)
        report["micro"] = micro_sum / micro_n
        report["value"] = report["macro"]
        H.write_jsonl(fid / f"{name}.jsonl", vec)
        H.write_jsonl(fid / "prompts" / f"{name}.jsonl", prompts)
        write_samples(root, name, d, expected, report)
        print(f"{name}: {len(vec)} cases, macro={report['macro']:.4f} micro={report['micro']:.4f}")


def shots_of(name, sub, ev):
    for attr in ("num_few_shot", "few_shot"):
        v = getattr(ev, attr, None)
        if isinstance(v, int):
            return v
    if name == "bbh":
        return 3
    return None


def write_samples(root, name, d, expected, report):
    out = root / "benchmarks/samples" / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    preds = []
    if d.get("csv"):  # MMLU: headerless CSV per subject, test/ and dev/
        for sub in d["subs"]:
            for split, rows in (("test", sub.rows), ("dev", [{"question": q, "choices": ch, "answer": a}
                                                             for q, ch, a in MC.MMLU_DEV[sub.name]])):
                p = out / split / f"{sub.name}.csv"
                p.parent.mkdir(parents=True, exist_ok=True)
                with open(p, "w", encoding="utf-8", newline="") as f:
                    w = csv.writer(f, lineterminator="\n")
                    for r in rows:
                        w.writerow([r["question"], *r["choices"], "ABCD"[r["answer"]]])
    else:
        for fname, rows in d["files"].items():
            H.write_jsonl(out / fname, rows)
    for sub in d["subs"]:
        for i, (c, _) in enumerate(sub.cases):
            p = {"id": i + sub.offset, "completion": c}
            if sub.name:
                p["subtask"] = sub.name
            preds.append(p)
    if d.get("subfield") and "files" in d and not d.get("csv"):
        # single-file multi-task layout: ids are line numbers in the one file
        line = 0
        id_map = {}
        for sub in d["subs"]:
            for j in range(len(sub.rows)):
                id_map[(sub.name, j)] = line
                line += 1
        for p in preds:
            p["id"] = id_map[(p["subtask"], p["id"])]
        for e in expected:
            e["id"] = id_map[(e["subtask"], e["id"])]
    if d.get("agieval"):
        (out / "few_shot_prompts.csv").write_text(agieval_csv(), encoding="utf-8")
    H.write_jsonl(out / "predictions.jsonl", preds)
    H.write_jsonl(out / "expected.jsonl", expected)
    with open(out / "expected_report.json", "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
