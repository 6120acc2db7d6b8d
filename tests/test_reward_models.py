import json
import random

import numpy as np
import pytest
import torch

from r1lib.sources.base import split
from r1lib.sources.micro import general as g
from r1lib.recipe import reward_models as rm
from r1lib.core.profile import RewardModelConfig


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """A ~30k-parameter model gains nothing from intra-op threads, and with 2 threads on 2 shared
    cores a busy neighbour makes every op wait on a descheduled thread (50x slower, measured)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def trained(one_thread, tmp_path_factory):
    """A tiny causal LM saved to disk, and a harmlessness RM trained from it on generated pairs."""
    from r1lib.recipe.models import new_micro_model, save_tokenizer, train_tokenizer

    root = tmp_path_factory.mktemp("rm")
    # the machinery on the easy pairs (refusal vs compliance, help vs needless refusal): a 32-wide
    # model learns them in 80 steps; off-task and garbled negatives take the micro RM's 150
    pairs = [p for p in g.preference_pairs(random.Random(0), 400, "harmlessness", benign_frac=0.3)
             if p["rejected_kind"] in ("compliance", "refusal")][:260]
    train, test = split(pairs, 0.25, seed=0, group_by="prompt")
    extra = g.factual_qa(random.Random(1), 50) + g.writing(random.Random(1), 50)
    texts = ([p["prompt"] + p["chosen"] for p in pairs] + [p["prompt"] + p["rejected"] for p in pairs]
             + [r["prompt"] + r["completion"] for r in extra])
    tok = train_tokenizer(texts, 400)
    base = root / "base"
    new_micro_model(tok, 32, 2, 2, 64, 256, seed=0).save_pretrained(str(base))
    save_tokenizer(tok, base)
    cfg = RewardModelConfig(steps=80, batch_size=16, lr=3e-3, max_length=128, save_steps=1000)
    out = root / "rm"
    info = rm.train_reward_model(base, train, cfg, out, seed=0, metrics_path=root / "metrics.jsonl")
    return {"root": root, "out": out, "info": info, "train": train, "test": test}


def test_train_reward_model_outputs(trained):
    info, out = trained["info"], trained["out"]
    assert info["rm_steps"] == 80 and info["rm_pairs"] == len(trained["train"])
    assert set(info) >= {"rm_steps", "train_s", "final_loss"} and info["final_loss"] < 0.5
    assert (out / "config.json").exists() and (out / "r1lib_tokenizer").exists()
    assert not (out / "_trainer").exists()
    rows = [json.loads(x) for x in (trained["root"] / "metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in rows)
    model, _ = rm.load_reward_model(out)
    assert model.config.num_labels == 1 and not model.training
    with pytest.raises(ValueError):
        rm.pairwise_accuracy(model, _, [])


def test_held_out_pairwise_accuracy(trained):
    model, tok = rm.load_reward_model(trained["out"])
    test = trained["test"]
    assert not {p["prompt"] for p in test} & {p["prompt"] for p in trained["train"]}
    assert rm.pairwise_accuracy(model, tok, test) >= 0.8
    benign = [p for p in test if p["source"] != "harmful"]
    assert benign and rm.pairwise_accuracy(model, tok, benign) >= 0.6  # not "always refuse"


def test_pairwise_accuracy_scores_long_pairs_by_their_end(trained, monkeypatch):
    model, tok = rm.load_reward_model(trained["out"])
    pad = "Tell me about the weather and the sea. " * 40  # a long dialogue before the prompt
    test = [{**p, "prompt": pad + p["prompt"]} for p in trained["test"]]
    n = max(len(tok(p["prompt"] + p["chosen"]).input_ids) for p in trained["test"]) + 2
    assert len(tok(test[0]["prompt"]).input_ids) > 4 * n
    widths = []
    real_score = rm.score
    monkeypatch.setattr(rm, "score", lambda m, t, texts, bs, ml: widths.append(ml) or real_score(m, t, texts, bs, ml))
    assert rm.pairwise_accuracy(model, tok, test, max_length=n) >= 0.8  # each text keeps its last n tokens
    assert widths == [n, n]  # chosen and rejected, both cut


def test_score_shape_and_padding_invariance(trained):
    model, tok = rm.load_reward_model(trained["out"])
    texts = [p["prompt"] + p["chosen"] for p in trained["test"][:9]] + ["Hi"]
    batch = rm.score(model, tok, texts, batch_size=4)
    assert batch.shape == (10,) and batch.dtype == np.float32
    alone = np.array([rm.score(model, tok, [t])[0] for t in texts])
    np.testing.assert_allclose(batch, alone, atol=1e-4)  # padding never changes a score
    assert rm.score(model, tok, []).shape == (0,)
    eos = rm.score(model, tok, [texts[0] + tok.eos_token])[0]  # EOS appended once, as in training
    assert eos == pytest.approx(batch[0], abs=1e-4)


def test_make_rm_reward(trained):
    f = rm.make_rm_reward(trained["out"], "harmless_rm", part="whole")
    assert f.__name__ == "harmless_rm"
    p = trained["test"][0]
    vals = f(prompts=[p["prompt"], p["prompt"], "Compute 1+2"],
             completions=[p["chosen"], p["rejected"], " <think> 1+2=3. </think> <answer> 3 </answer>"],
             category=["harmful", "harmful", "reasoning"])
    assert all(isinstance(v, float) for v in vals[:2]) and vals[2] is None
    assert vals[0] > vals[1]
    assert len(f(prompts=["a"], completions=["b"])) == 1  # no category column: every row scored

    summ = rm.make_rm_reward(trained["out"], "helpful_rm", part="summary")
    c1 = " <think> I will help. </think> The capital of Peru is Lima."
    c2 = " <think> Something else entirely, much longer. </think> The capital of Peru is Lima."
    a, b = summ(prompts=["Q?", "Q?"], completions=[c1, c2])
    assert a == pytest.approx(b, abs=1e-5)  # the same summary; padding moves the last bits
    w1, w2 = f(prompts=["Q?", "Q?"], completions=[c1, c2])
    assert w1 != w2  # the whole-response RM reads the reasoning too
    conv = summ(prompts=[[{"role": "user", "content": "Q?"}]],
                completions=[[{"role": "assistant", "content": c1}]])
    assert conv[0] == pytest.approx(a, abs=1e-5)


def test_part_of_and_errors(tmp_path):
    c = " <think> r </think>  the summary "
    assert rm.part_of(c, "whole") == c
    assert rm.part_of(c, "summary") == " the summary"
    assert rm.part_of("no tags", "summary") == " no tags"
    with pytest.raises(ValueError):
        rm.part_of(c, "reasoning")
    with pytest.raises(ValueError):
        rm.make_rm_reward(tmp_path, "x", part="middle")
    with pytest.raises(FileNotFoundError):
        rm.load_reward_model(tmp_path / "missing")


def test_freeze_layers_keeps_the_lowest_layers(trained, tmp_path):
    """freeze_layers=1 on a 2-layer model: embeddings and layer 0 end bit-identical to the base,
    layer 1 moves; more layers than the model has is refused before training."""
    from transformers import AutoModelForCausalLM

    base = trained["root"] / "base"
    cfg = RewardModelConfig(steps=4, batch_size=8, lr=3e-3, max_length=128, save_steps=1000, freeze_layers=1)
    out = tmp_path / "rm_frozen"
    rm.train_reward_model(base, trained["train"], cfg, out, seed=0, metrics_path=tmp_path / "m.jsonl")
    before = AutoModelForCausalLM.from_pretrained(str(base)).model
    after, _ = rm.load_reward_model(out)
    after = after.base_model
    assert torch.equal(before.embed_tokens.weight, after.embed_tokens.weight)
    for p, q in zip(before.layers[0].parameters(), after.layers[0].parameters()):
        assert torch.equal(p, q)
    assert any(not torch.equal(p, q) for p, q in zip(before.layers[1].parameters(), after.layers[1].parameters()))
    with pytest.raises(ValueError, match="freeze_layers=3"):
        rm.train_reward_model(base, trained["train"], cfg.model_copy(update={"freeze_layers": 3}),
                              tmp_path / "rm_bad", seed=0, metrics_path=tmp_path / "m2.jsonl")
