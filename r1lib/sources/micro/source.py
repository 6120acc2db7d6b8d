"""The ``micro`` data source: the model organism's generators behind the data-source interface.

Every record is generated from the profile's seed (``world`` section for the problems and the
corpus, ``data.micro`` for the sizes of the non-reasoning data, ``data.identity`` for the name and
author), so the same profile gives the same data on any machine. Provenance names the generator
and its seed.
"""

from __future__ import annotations

import random

from r1lib.sources.base import PREFERENCE_KINDS, DataSource, StudentSpec, split_pairs
from r1lib.sources.micro import general, world


class MicroSource(DataSource):
    """The micro world (DESIGN §5): arithmetic chains, templated non-reasoning data, rule-made
    preference pairs, and a smaller micro model as the student."""

    name = "micro"

    def reasoning_problems(self) -> tuple[list[dict], list[dict]]:
        """Train and held-out chains (``world.make_splits``; the test split is fixed by
        ``world.test_seed``)."""
        w = self.profile.world
        train, test = world.make_splits(w.n_train, w.n_test, self.seed, tuple(w.n_operands), w.max_total,
                                        w.test_seed, w.p_zh_prompt)
        train_recs = [{**p.record(), "source": "micro_train"} for p in train]
        test_recs = [{**p.record(), "source": "micro_test"} for p in test]
        for name, recs, seed in (("train_problems", train_recs, self.seed),
                                 ("heldout_problems", test_recs, w.test_seed)):
            self._from_generator(name, "r1lib.sources.micro.world.make_splits", seed, recs,
                                 zh=sum(r["language"] == "zh" for r in recs))
        return train_recs, test_recs

    def seed_examples(self, pool: list[dict], n: int, rng: random.Random) -> list[dict]:
        """Examples written from the task's rules (``world.example_completion``)."""
        picked = rng.sample(pool, min(n, len(pool)))
        out = [{"id": r["id"], "problem": r["problem"], "answer": r["answer"], "language": r.get("language", "en"),
                "completion": world.example_completion(world.Problem.from_record(r))} for r in picked]
        self._from_generator("seed_examples", "r1lib.sources.micro.world.example_completion", self.seed, out,
                             accumulate=True)
        return out

    def non_reasoning_sft(self) -> list[dict]:
        """``general.sft_mix``: self-cognition, factual QA, writing, refusals."""
        m, ident = self.profile.data.micro, self.profile.data.identity
        out = general.sft_mix(random.Random(f"sft-general-{self.seed}"), m.self_cognition, m.factual_qa,
                              m.writing, m.safety, ident.name, ident.author)
        by_cat = {c: sum(r["category"] == c for r in out) for c in sorted({r["category"] for r in out})}
        self._from_generator("non_reasoning_sft", "r1lib.sources.micro.general.sft_mix", f"sft-general-{self.seed}",
                             out, by_category=by_cat)
        return out

    def preference_pairs(self, kind: str, test_frac: float) -> tuple[list[dict], list[dict]]:
        """``general.preference_pairs`` split by prompt (:func:`r1lib.sources.base.split_pairs`)."""
        if kind not in PREFERENCE_KINDS:
            raise ValueError(f"unknown reward model {kind!r}; known: {list(PREFERENCE_KINDS)}")
        ident = self.profile.data.identity
        pairs = general.preference_pairs(random.Random(f"{kind}-{self.seed}"), self.profile.data.micro.preference_pairs,
                                         kind, name=ident.name, author=ident.author)
        pairs = [{**p, "language": p.get("language", "en")} for p in pairs]
        train, test, dropped = split_pairs(pairs, test_frac, self.seed)
        self._from_generator(f"preference_{kind}", "r1lib.sources.micro.general.preference_pairs",
                             f"{kind}-{self.seed}", pairs, train=len(train), heldout=len(test),
                             dropped_heldout_answer_as_rejected=dropped)
        return train, test

    def general_prompts(self, n: int, harmful_share: float, purpose: str) -> list[dict]:
        """``general.general_prompts`` from the seed ``{purpose}-{seed}`` (fresh prompts per purpose)."""
        ident = self.profile.data.identity
        out = general.general_prompts(random.Random(f"{purpose}-{self.seed}"), n, harmful_share,
                                      ident.name, ident.author)
        self._from_generator(f"general_prompts/{purpose}", "r1lib.sources.micro.general.general_prompts",
                             f"{purpose}-{self.seed}", out, harmful=sum(r["category"] == "harmful" for r in out))
        return out

    def student(self) -> StudentSpec:
        """A micro model of ``distillation.student``'s size, or the checkpoint it names."""
        s = self.profile.distillation.student
        return StudentSpec("checkpoint", s.base) if s.base else StudentSpec("micro")

    def pretraining_corpus(self, train: list[dict], prompt_fn) -> tuple[list[str], dict[str, int]]:
        """``world.pretraining_corpus`` of the train problems."""
        w = self.profile.world
        docs, counts = world.pretraining_corpus([world.Problem.from_record(r) for r in train],
                                                world.CorpusMix(**w.corpus.model_dump()), self.seed, prompt_fn,
                                                w.max_total)
        self._from_generator("pretraining_corpus", "r1lib.sources.micro.world.pretraining_corpus",
                             f"micro-corpus-{self.seed}", docs, by_style=counts)
        return docs, counts
