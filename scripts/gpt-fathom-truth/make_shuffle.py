"""Write tests/driver/fidelity/shuffle.jsonl: CPython random.Random(47).shuffle vectors.

GPT-Fathom's make_abc (evals/formatting.py) shuffles list(range(n)) with a
fresh random.Random(47) for every test item, and with ONE Random(47) shared
across the few-shot exemplars (MultipleChoice/CEVAL/READ_COMPRE
make_few_shot_prompt). This needs only CPython's `random`, not GPT-Fathom.

Run: python3 make_shuffle.py <repo-root>
"""
import json
import random
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out = root / "tests/driver/fidelity/shuffle.jsonl"
out.parent.mkdir(parents=True, exist_ok=True)
lines = []
for n in range(2, 27):
    p = list(range(n))
    random.Random(47).shuffle(p)
    lines.append({"seed": 47, "n": n, "perm": p})
for seq in ([4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4], [2, 2, 2], [4, 5, 3, 13, 2], [26, 2, 7], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5]):
    rng = random.Random(47)
    perms = []
    for n in seq:
        p = list(range(n))
        rng.shuffle(p)
        perms.append(p)
    lines.append({"seed": 47, "sequence": seq, "perms": perms})
with open(out, "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
print(out, len(lines))
