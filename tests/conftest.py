import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # one of several test processes (pytest-xdist): one thread here and in the notebook kernels
    # and workers it starts, which inherit the environment
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
else:
    torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def base_dir(tmp_path_factory):
    """A tiny untrained Qwen2 model and its tokenizer, saved as a checkpoint folder.

    Vocabulary 512 rather than 300: with only ~40 merges the R1-Zero template alone is ~200
    tokens, beyond the model's 128 positions; with 512 it is 17.
    """
    from r1lib.recipe.models import new_micro_model, save_tokenizer, train_tokenizer
    from r1lib.recipe.templates import make_prompt

    texts = [make_prompt(f"Compute {a}+{b}") + f" <think> {a}+{b}={a + b}. </think> "
             f"<answer> {a + b} </answer>" for a in range(10) for b in range(10)]
    tok = train_tokenizer(texts, 512)
    model = new_micro_model(tok, 32, 1, 2, 64, 128, seed=0)
    d = tmp_path_factory.mktemp("base")
    model.save_pretrained(str(d))
    save_tokenizer(tok, d)
    return d


HEAVY_FIRST = ("test_smollm2.py", "test_real_pipeline.py", "test_pipeline.py")
"""The end-to-end files (minutes each) are handed out first, so the light ones fill the other
worker around them instead of leaving one long file running alone at the end (--dist loadfile)."""


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return HEAVY_FIRST.index(name) if name in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable: the order inside each file is kept
