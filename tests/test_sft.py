import json

import pytest

from r1lib.recipe import generation
from r1lib.recipe import sft
from r1lib.core.profile import SFTConfig
from r1lib.recipe.generation import Generations
from r1lib.recipe.models import load_policy
from r1lib.recipe.templates import make_prompt

PROMPT = make_prompt("Compute 1+2")
COMPLETION = " <think> 1+2=3. </think> <answer> 3 </answer>"




@pytest.fixture(scope="module")
def sft_run(base_dir, tmp_path_factory):
    """30 steps of SFT on one repeated prompt/completion pair (memorisation)."""
    out = tmp_path_factory.mktemp("sft")
    cfg = SFTConfig(steps=30, batch_size=4, lr=3e-2, warmup_steps=2, max_length=64, save_steps=30)
    res = sft.run_sft(base_dir, [{"prompt": PROMPT, "completion": COMPLETION}] * 8, cfg,
                      out / "model", seed=0, metrics_path=out / "metrics.jsonl")
    return res, out


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sft_lowers_loss_and_memorises(sft_run):
    res, out = sft_run
    assert res["sft_steps"] == 30 and res["examples"] == 8 and res["truncated"] == 0
    losses = [r["loss"] for r in _rows(out / "metrics.jsonl") if "loss" in r]
    assert len(losses) == 30
    assert losses[-1] < 0.5 * losses[0] and res["final_loss"] == round(losses[-1], 4)
    model, tok = load_policy(str(out / "model"))
    g = generation.sample(model, tok, [PROMPT], greedy=True, max_new_tokens=30)
    assert g.texts == [[COMPLETION]]  # stops on the trained EOS


def test_sft_outputs(sft_run):
    res, out = sft_run
    assert set(res) >= {"sft_steps", "train_s", "final_loss", "examples"}
    names = {p.name for p in (out / "model").iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "r1lib_tokenizer"} <= names
    assert not (out / "model" / "_trainer").exists()
    _, tok = load_policy(str(out / "model"))
    assert type(tok).__name__ in ("PreTrainedTokenizerFast", "TokenizersBackend")
    assert tok.eos_token == "<|endoftext|>" and tok.padding_side == "left"


def test_sft_resumes_from_checkpoint(base_dir, tmp_path):
    from transformers import TrainerCallback

    class StopAt2(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 2:
                control.should_training_stop = True

    cfg = SFTConfig(steps=4, batch_size=2, lr=1e-3, warmup_steps=0, max_length=64, save_steps=2)
    recs = [{"prompt": PROMPT, "completion": COMPLETION}] * 4
    out = tmp_path / "model"
    model, tok = load_policy(str(base_dir))
    trainer = sft.make_sft_trainer(model, tok, recs, cfg, out / "_trainer", 0, [StopAt2()])
    trainer.train()  # "interrupted" after step 2, with checkpoint-2 saved
    assert (out / "_trainer" / "checkpoint-2").is_dir()
    res = sft.run_sft(base_dir, recs, cfg, out, seed=0, metrics_path=tmp_path / "m.jsonl")
    steps = [r["step"] for r in _rows(tmp_path / "m.jsonl") if "loss" in r]
    assert steps == [3, 4]  # continued, not restarted
    assert res["sft_steps"] == 4 and (out / "model.safetensors").exists()
    assert not (out / "_trainer").exists()


def test_labels_mask_prompt_and_end_with_eos(base_dir, tmp_path):
    model, tok = load_policy(str(base_dir))
    assert not model.training
    recs = [{"prompt": PROMPT, "completion": COMPLETION},
            {"prompt": make_prompt("Compute 12+3"), "completion": " <answer> 15 </answer>"}]
    cfg = SFTConfig(steps=1, batch_size=2, max_length=64)
    trainer = sft.make_sft_trainer(model, tok, recs, cfg, tmp_path / "_trainer", 0)
    assert model.training
    ds = trainer.train_dataset
    for rec, row in zip(recs, ds):
        n_prompt = len(tok(rec["prompt"]).input_ids)
        ids, labels = row["input_ids"], row["labels"]
        assert ids[:n_prompt] == tok(rec["prompt"]).input_ids
        assert labels[:n_prompt] == [-100] * n_prompt
        assert labels[n_prompt:] == ids[n_prompt:]
        assert labels[-1] == tok.eos_token_id and ids.count(tok.eos_token_id) == 1
        assert tok.decode(ids[n_prompt:-1]) == rec["completion"]
    batch = trainer.data_collator([ds[0], ds[1]])
    labels, mask = batch["labels"], batch["attention_mask"]
    for r in range(2):
        n = int(mask[r].sum())
        assert (labels[r, n:] == -100).all()  # right padding is ignored too
        assert labels[r, n - 1] == tok.eos_token_id


def test_truncation_loses_eos_and_is_counted(base_dir, tmp_path):
    model, tok = load_policy(str(base_dir))
    n_prompt = len(tok(PROMPT).input_ids)
    cfg = SFTConfig(steps=1, batch_size=1, max_length=n_prompt + 3)
    trainer = sft.make_sft_trainer(model, tok, [{"prompt": PROMPT, "completion": COMPLETION}],
                                   cfg, tmp_path / "_trainer", 0)
    row = trainer.train_dataset[0]
    assert len(row["labels"]) == n_prompt + 3 and row["labels"][-1] != tok.eos_token_id


def test_run_sft_rejects_bad_records(base_dir, tmp_path):
    model, tok = load_policy(str(base_dir))
    with pytest.raises(ValueError, match="no training records"):
        sft.make_sft_trainer(model, tok, [], SFTConfig(), tmp_path, 0)
    with pytest.raises(ValueError, match="record 0 .*'completion'"):
        sft.make_sft_trainer(model, tok, [{"prompt": "p", "response": "r"}], SFTConfig(),
                             tmp_path, 0)


# ----------------------------------------------------------------------------- rejection sampling

PROBLEMS = [{"id": "p0", "problem": "Compute 1+2", "answer": "3"},
            {"id": "p1", "problem": "Compute 2+3", "answer": "5"},
            {"id": "p2", "problem": "Compute 3+4", "answer": "7"}]
A = " <think> 1+2=3 </think> <answer> 3 </answer>"
FIXED = [  # (text, length in tokens) per problem
    [(A, 5), (A, 5), ("??? <answer> 3 </answer>", 6), ("<answer> 4 </answer>", 5)],
    [("<answer> 5 </answer>", 5), ("x <answer> 5 </answer>", 6),
     ("??? <answer> 5 </answer>", 30), ("y <answer> 5 </answer>", 30)],
    [("<answer> 8 </answer>", 5), ("no answer", 2), ("", 0), ("<answer> 7 or 8 </answer>", 7)],
]
FILTERS = {"readable": lambda c, n: "???" not in c, "not_overlong": lambda c, n: n <= 20}


@pytest.fixture
def fixed_sampler(monkeypatch):
    calls = []

    def fake(model, tok, prompts, n=1, seed=0, temperature=0.6, top_p=0.95, **kw):
        calls.append(dict(prompts=prompts, n=n, seed=seed, temperature=temperature, top_p=top_p))
        assert n == 4 and len(prompts) == len(FIXED)
        return Generations([[t for t, _ in f] for f in FIXED], [[k for _, k in f] for f in FIXED],
                           0)

    monkeypatch.setattr(generation, "sample", fake)
    return calls


class _Model:
    training = True

    def eval(self):
        self.training = False

    def train(self, mode=True):
        self.training = mode


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_rejection_sample_counts(fixed_sampler, keep):
    model = _Model()
    kept, stats = sft.rejection_sample(model, None, PROBLEMS, n=4, temperature=0.7, top_p=0.9,
                                       max_new_tokens=32, filters=FILTERS, seed=5,
                                       keep_per_problem=keep)
    assert model.training  # restored after sampling
    call = fixed_sampler[0]
    assert call["seed"] == 5 and call["temperature"] == 0.7 and call["top_p"] == 0.9
    assert call["prompts"] == [make_prompt(p["problem"]) for p in PROBLEMS]
    assert stats["sampled"] == 12 and stats["correct"] == 7
    assert stats["rejected_by_readable"] == 2 and stats["rejected_by_not_overlong"] == 1
    assert stats["passed"] == 4
    expected = {1: [("p0", A), ("p1", "<answer> 5 </answer>")],
                2: [("p0", A), ("p0", A), ("p1", "<answer> 5 </answer>"),
                    ("p1", "x <answer> 5 </answer>")]}
    expected[3] = expected[2]  # p0 has 2 passing samples (one text), p1 two distinct ones
    assert [(r["id"], r["completion"]) for r in kept] == expected[keep]
    assert stats["kept"] == len(kept) and stats["problems_kept"] == 2
    assert stats["acceptance_rate"] == round(len(kept) / 12, 4)
    assert stats["kept"] <= stats["passed"] <= stats["correct"] <= stats["sampled"]
    assert kept[0]["prompt"] == make_prompt("Compute 1+2") and kept[0]["answer"] == "3"
    assert set(kept[0]) == {"id", "prompt", "completion", "answer"}


def test_rejection_sample_prefers_distinct(monkeypatch):
    def fake(model, tok, prompts, n=1, **kw):
        texts = ["<answer> 3 </answer>", "<answer> 3 </answer>", "so <answer> 3 </answer>"]
        return Generations([texts], [[5, 5, 6]], 0)

    monkeypatch.setattr(generation, "sample", fake)
    kept, stats = sft.rejection_sample(_Model(), None, PROBLEMS[:1], 3, 1.0, 1.0, 16, {}, 0,
                                       keep_per_problem=2)
    assert [r["completion"] for r in kept] == ["<answer> 3 </answer>", "so <answer> 3 </answer>"]
    assert stats == {"sampled": 3, "correct": 3, "passed": 3, "kept": 2, "problems_kept": 1,
                     "acceptance_rate": round(2 / 3, 4)}


def test_rejection_sample_on_trained_model(sft_run):
    _, out = sft_run
    model, tok = load_policy(str(out / "model"))
    seen = []

    def length_ok(c, n):
        seen.append(n)
        return n <= 20

    probs = [{"id": "a", "problem": "Compute 1+2", "answer": "3"},
             {"id": "b", "problem": "Compute 1+2", "answer": "4"}]  # same prompt, wrong gold
    kept, stats = sft.rejection_sample(model, tok, probs, n=4, temperature=0.6, top_p=0.95,
                                       max_new_tokens=24, filters={"not_overlong": length_ok},
                                       seed=0, keep_per_problem=2)
    assert stats["sampled"] == 8 and 0 < stats["correct"] <= 4
    assert len(seen) == stats["correct"] and all(0 < n <= 24 for n in seen)
    assert stats["kept"] == len(kept) <= 2 and all(r["id"] == "a" for r in kept)
    assert stats["kept"] <= stats["correct"] - stats["rejected_by_not_overlong"]


def test_rejection_sample_validates():
    with pytest.raises(ValueError, match="keep_per_problem"):
        sft.rejection_sample(_Model(), None, PROBLEMS, 2, 1.0, 1.0, 8, {}, 0, keep_per_problem=0)
    with pytest.raises(ValueError, match="lacks"):
        sft.rejection_sample(_Model(), None, [{"id": "x", "problem": "p"}], 2, 1.0, 1.0, 8, {}, 0)


# ----------------------------------------------------------------------------- SFT data


def test_reasoning_filters_order_and_language():
    from r1lib.recipe.sft import reasoning_filters

    good = " <think> 1+2=3. </think> So the answer is \\boxed{3}."
    en = " <think> 1+2=3. Wait, ok. </think> So the answer is \\boxed{3}."
    f = reasoning_filters("zh", 10)
    assert list(f) == ["unreadable", "mixed_language", "overlong"]
    assert all(g(good, 5) for g in f.values())
    assert not f["mixed_language"](en, 5) and reasoning_filters("en", 10)["mixed_language"](en, 5)
    assert not f["overlong"](good, 11) and not f["unreadable"](" <think> 3 </think> <answer> 3 </answer>", 5)


def _padded_tokens(trainer, ds) -> tuple[int, list[int]]:
    """Tokens of one epoch's batches as the trainer pads them (rows x longest), and the order."""
    order = list(trainer._get_train_sampler(ds))
    bs = trainer.args.train_batch_size
    padded = sum(max(len(ds[i]["input_ids"]) for i in order[j:j + bs]) * len(order[j:j + bs])
                 for j in range(0, len(order), bs))
    return padded, order


def test_group_by_length_cuts_padding_and_keeps_every_example(base_dir, tmp_path):
    model, tok = load_policy(str(base_dir))
    # 64 examples whose completions are 1 to 32 "+1" terms long: random batches of 4 pad a lot
    recs = [{"prompt": make_prompt(f"Compute {i}"), "completion": " <answer>" + " +1" * (1 + i % 32) + " </answer>"}
            for i in range(64)]
    out = {}
    for grouped in (False, True):
        cfg = SFTConfig(steps=1, batch_size=4, max_length=128, group_by_length=grouped)
        trainer = sft.make_sft_trainer(model, tok, recs, cfg, tmp_path / f"_t{grouped}", 0)
        ds = trainer.train_dataset
        out[grouped] = _padded_tokens(trainer, ds)
        real = sum(len(r["input_ids"]) for r in ds)
    assert sorted(out[True][1]) == list(range(64))  # a permutation: every example once per epoch
    pad_random, pad_grouped = out[False][0] - real, out[True][0] - real
    # mega-batches of min(64 // (4 * 4), 50) = 4 batches are sorted by length: a third of the padding
    assert pad_grouped < 0.5 * pad_random, (pad_random, pad_grouped)
