"""benchmarks/model_speed.py: its nucleus sampling keeps only the top-p mass, one token a row."""

import importlib.util
from pathlib import Path

import torch

_SPEC = importlib.util.spec_from_file_location(
    "model_speed", Path(__file__).resolve().parent.parent / "benchmarks" / "model_speed.py")
model_speed = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(model_speed)


def test_nucleus_sample_draws_only_inside_the_top_p_mass():
    torch.manual_seed(0)
    # per row: token 2 holds 0.7, token 0 0.2, the other three 0.1 between them
    probs = torch.tensor([[0.2, 0.03, 0.7, 0.03, 0.04]]).repeat(4000, 1)
    draws = model_speed.nucleus_sample(probs.log(), top_p=0.85)
    assert draws.shape == (4000, 1)
    assert set(draws.flatten().tolist()) == {0, 2}  # 0.7 + 0.2 reach 0.85; the tail is cut
    share = (draws == 2).float().mean().item()
    assert abs(share - 0.7 / 0.9) < 0.03  # renormalised over the kept tokens


def test_nucleus_sample_with_a_small_top_p_is_greedy():
    logits = torch.tensor([[0.0, 3.0, 1.0], [2.0, 0.0, 1.0]])
    assert model_speed.nucleus_sample(logits, top_p=0.01).flatten().tolist() == [1, 0]
