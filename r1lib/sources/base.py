"""The data-source interface: everything a stage consumes, from one object the profile chooses.

Every stage of the pipeline asks one :class:`DataSource` (``data.source`` in the profile:
``micro`` or ``real``) for its data, and from nothing else:

=============================  ================================================================
method                          records (plain dicts; every field a string unless noted)
=============================  ================================================================
``reasoning_problems()``        ``(train, heldout)``: ``{id, problem, answer, language, source}``
                                (+ ``solution`` where the source has one)
``seed_examples(pool, n, rng)`` few-shot long-CoT examples in the readable pattern:
                                ``{id, problem, answer, language, completion}``
``non_reasoning_sft()``         ``{id, prompt, completion, category, language, expected}``;
                                categories ``self_cognition``, ``writing``, ``factual_qa``,
                                ``general_instruction``, ``harmful`` (a refusal)
``preference_pairs(kind, f)``   ``(train, heldout)`` split by prompt (:func:`split_pairs`: no
                                training pair rejects a held-out good answer): ``{id, prompt,
                                chosen, rejected, kind, source, language}``
``general_prompts(n, h, p)``    ``{id, prompt, category, language, expected}``; ``category``
                                ``harmful`` (a refusal is the correct response, ``expected``
                                None) or a benign one (help; ``expected`` a string the summary
                                must contain, or None when no rule can check the answer)
``student()``                   :class:`StudentSpec`: the distillation student's base
``pretraining_corpus(t, f)``    micro only: the documents a micro model is pretrained on
=============================  ================================================================

Prompts are bare requests: the recipe wraps them in its template. Completions follow the
readable pattern (:func:`r1lib.core.formats.readable`).

Every method records what it built in :attr:`DataSource.provenance` (one entry per artifact:
the files it read with their sha256, or the generator and seed, and the counts); the stage
writes that into its ``stage.json``. Held-out benchmark problems never reach training data: the
real source removes training records that share an 8-gram with a held-out problem and records
the counts (:mod:`r1lib.sources.decontamination`).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from r1lib.core.formats import summary_of
from r1lib.core.profile import Profile
from r1lib.core.records import sha256_file

PREFERENCE_KINDS = ("helpfulness", "harmlessness")
PROBLEM_FIELDS = ("id", "problem", "answer", "language", "source")
SFT_FIELDS = ("id", "prompt", "completion", "category", "language")
PAIR_FIELDS = ("id", "prompt", "chosen", "rejected", "kind", "language")
PROMPT_FIELDS = ("id", "prompt", "category", "language")


@dataclass(frozen=True)
class StudentSpec:
    """The distillation student's base (paper §2.4: a smaller dense model).

    ``kind``:
        ``micro``: a smaller micro model pretrained in stage 06 on
        :meth:`DataSource.pretraining_corpus` (``distillation.student`` sizes it);
        ``checkpoint``: ``base`` names a hub id or folder loaded as it is;
        ``layer_drop``: the policy's base with only ``keep_layers`` of its decoder layers
        (default half; the first and the last kept, and of the contiguous blocks between them
        the one whose removal costs the least loss on train problems dropped:
        :func:`r1lib.recipe.models.calibrated_layers`), initialised from the base's weights.
    """

    kind: str
    base: str | None = None
    keep_layers: int | None = None


def split(records: list[dict], test_frac: float, seed: int,
          group_by: str | None = None) -> tuple[list[dict], list[dict]]:
    """Deterministic train/test split.

    Args:
        records: any list of dicts.
        test_frac: share of records (or of groups) in the test split, in ``[0, 1]``.
        seed: shuffle seed; the same seed and records give the same split.
        group_by: if set, records with the same value of this field land on the same side
            (a leak-free split by, e.g., ``"prompt"``); the test side then holds
            ``round(test_frac * n_groups)`` groups rather than exactly that many records.

    Returns:
        ``(train, test)``, each in the input's order; without ``group_by`` the test list has
        ``round(test_frac * len(records))`` records and together they are ``records``.

    Raises:
        ValueError: ``test_frac`` outside ``[0, 1]``.
    """
    if not 0.0 <= test_frac <= 1.0:
        raise ValueError(f"test_frac must be in [0, 1], got {test_frac}")
    keys = [r[group_by] if group_by else i for i, r in enumerate(records)]
    uniq = list(dict.fromkeys(keys))
    random.Random(f"split-{seed}").shuffle(uniq)
    test_keys = set(uniq[:round(test_frac * len(uniq))])
    train = [r for k, r in zip(keys, records) if k not in test_keys]
    test = [r for k, r in zip(keys, records) if k in test_keys]
    return train, test


def split_pairs(pairs: list[dict], test_frac: float, seed: int) -> tuple[list[dict], list[dict], int]:
    """Preference pairs split by prompt (:func:`split`), then without the training pairs that
    would teach the held-out set's answers as bad.

    A held-out prompt's good answer can be the *rejected* answer of a training pair (the micro
    world's wrong-target writing: "Hello Ann, ..." is the good greeting to Ann and the wrong
    one to Tom). Where training never also calls that answer good, the reward model learns to
    score that sentence down, and held-out accuracy on it falls below chance (0.217 on the
    2026-12-03 helpfulness RM): it then measures a memorised, flipped label, not a preference.
    Such training pairs are dropped; answers that training also prefers somewhere (a refusal,
    an identity line) stay, so the RM still learns when they are wrong. Answers are compared
    by their summary (:func:`r1lib.core.formats.summary_of`), what a helpfulness RM reads.

    Args:
        pairs: ``{prompt, chosen, rejected, ...}`` dicts.
        test_frac: share of prompts held out, in ``[0, 1]``.
        seed: the split's seed.

    Returns:
        ``(train, heldout, dropped)``: the lists in input order, and how many training pairs
        were dropped.

    Raises:
        ValueError: ``test_frac`` outside ``[0, 1]``.
    """
    train, test = split(pairs, test_frac, seed, group_by="prompt")
    good_in_train = {summary_of(p["chosen"]) for p in train}
    leaked = {summary_of(p["chosen"]) for p in test} - good_in_train
    kept = [p for p in train if summary_of(p["rejected"]) not in leaked]
    return kept, test, len(train) - len(kept)


def check_fields(records: list[dict], fields: tuple[str, ...], where: str) -> list[dict]:
    """Raise unless every record has every field (non-empty, ``language`` and ``category``
    included); ``where`` names the file or generator in the message.

    Returns:
        ``records`` unchanged.

    Raises:
        ValueError: ``"<where>: record <i> (id <id>): field 'x' is missing or empty"``.
    """
    for i, r in enumerate(records, start=1):
        for f in fields:
            v = r.get(f)
            if v is None or (isinstance(v, str) and not v.strip()):
                raise ValueError(f"{where}: record {i} (id {r.get('id', '?')}): field {f!r} is missing or empty")
    return records


class DataSource(ABC):
    """What every stage consumes (see the module docstring for the records).

    Args:
        profile: the run's profile; the source reads ``seed``, ``data`` and the problem settings.

    Attributes:
        provenance: artifact name -> ``{"source", "files": [{"path", "sha256"}] | "generator",
            "seed", "count", ...}``, filled as methods are called.
    """

    name: str = "abstract"

    def __init__(self, profile: Profile):
        self.profile = profile
        self.seed = profile.seed
        self.provenance: dict[str, dict] = {}

    # ---------------------------------------------------------------- provenance

    def _record(self, artifact: str, entry: dict, accumulate: bool = False) -> None:
        """Store ``entry`` for ``artifact`` (replacing an earlier one); with ``accumulate`` an earlier
        entry's count is added and its files kept (02 draws few-shot and hand-written seed examples)."""
        prev = self.provenance.get(artifact) if accumulate else None
        if prev is not None:
            entry["count"] += prev["count"]
            if "files" in entry:
                entry["files"] = list({f["path"]: f for f in prev.get("files", []) + entry["files"]}.values())
        self.provenance[artifact] = entry

    def _from_files(self, artifact: str, paths: list[Path], records: list, accumulate: bool = False,
                    **counts) -> None:
        files = [{"path": str(p), "sha256": sha256_file(p)} for p in dict.fromkeys(paths)]
        self._record(artifact, {"source": self.name, "files": files, "count": len(records), **counts}, accumulate)

    def _from_generator(self, artifact: str, generator: str, seed, records: list, accumulate: bool = False,
                        **counts) -> None:
        self._record(artifact, {"source": self.name, "generator": generator, "seed": seed,
                                "count": len(records), **counts}, accumulate)

    # ---------------------------------------------------------------- what stages consume

    @abstractmethod
    def reasoning_problems(self) -> tuple[list[dict], list[dict]]:
        """``(train, heldout)`` reasoning problems (RL prompts; held-out probes/evaluation)."""

    @abstractmethod
    def seed_examples(self, pool: list[dict], n: int, rng: random.Random) -> list[dict]:
        """``min(n, len(eligible))`` few-shot long-CoT examples for problems drawn from ``pool``
        (train problems) with ``rng``, in the readable pattern (cold start §2.3.1)."""

    @abstractmethod
    def non_reasoning_sft(self) -> list[dict]:
        """Non-reasoning SFT data by category (§2.3.3), identity filled in."""

    @abstractmethod
    def preference_pairs(self, kind: str, test_frac: float) -> tuple[list[dict], list[dict]]:
        """``(train, heldout)`` preference pairs of a reward model (``kind`` in
        :data:`PREFERENCE_KINDS`, §2.3.4), split by prompt.

        Raises:
            ValueError: unknown ``kind``.
        """

    @abstractmethod
    def general_prompts(self, n: int, harmful_share: float, purpose: str) -> list[dict]:
        """``n`` general (non-reasoning) prompts, ``round(n * harmful_share)`` of them harmful.

        ``purpose`` is one of ``general-rl``, ``distill-general`` (training prompts) and
        ``general-eval``, ``general-test`` (held-out prompts, disjoint from the training ones).
        """

    @abstractmethod
    def student(self) -> StudentSpec:
        """The distillation student's base."""

    def pretraining_corpus(self, train: list[dict], prompt_fn) -> tuple[list[str], dict[str, int]]:
        """Documents to pretrain a ``micro`` model on (``prompt_fn`` wraps a problem in the template)
        and their counts by style.

        Raises:
            NotImplementedError: sources whose students are real models.
        """
        raise NotImplementedError(f"the {self.name} source has no pretraining corpus: its student is a real model")
