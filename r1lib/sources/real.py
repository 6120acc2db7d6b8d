"""The ``real`` data source: public datasets under the data root behind the data-source interface.

==========================  ====================================================================
method                      files (relative to the data root; README.md there has the schemas)
==========================  ====================================================================
``reasoning_problems``      ``problems.train`` (GSM8K train, MATH train = ``math_test_minus_math500``,
                            CMATH dev for Chinese prompts) and ``problems.heldout`` (MATH-500,
                            GSM8K test, MGSM zh), through :func:`~r1lib.sources.benchmarks.load_benchmark`
                            (a missing local file falls back to the hub id)
``seed_examples``           the GSM8K / MATH reference ``solution`` of pool problems, rewritten in
                            the readable pattern
``non_reasoning_sft``       ``data.real.sft_files`` (LLaMA-Factory identity, name and author filled;
                            alpaca en/zh demo) + HH-RLHF harmful requests with a fixed refusal
``preference_pairs``        helpfulness: ``data.real.helpfulness_files`` (LLaMA-Factory DPO demo);
                            harmlessness: ``data.real.harmlessness_file`` (HH-RLHF harmless-base)
``general_prompts``         HH-RLHF first human turns (harmful), alpaca prompts and identity
                            questions (benign), each split by prompt into a training and a
                            held-out side (``data.real.harmful_eval_share``, ``benign_eval_share``)
``student``                 ``distillation.student.base``, else the policy's base with half its layers
==========================  ====================================================================

Every training artifact is decontaminated against the held-out problems and the evaluation
benchmarks (8-gram overlap, :mod:`r1lib.sources.decontamination`); its provenance entry names the
files read with their sha256, the counts and ``decontamination: {checked, removed, against, ngram}``.

Source: DeepSeek-R1 (arXiv 2501.12948) §2.2-2.4; datasets: GSM8K (Cobbe et al. 2021), MATH /
PRM800K (Hendrycks et al. 2021; Lightman et al. 2023), CMATH (Wei et al. 2023), MGSM (Shi et al.
2022), Anthropic HH-RLHF (Bai et al. 2022), LLaMA-Factory demo data (hiyouga/LLaMA-Factory).
"""

from __future__ import annotations

import random
import re
from functools import cached_property
from pathlib import Path

from r1lib.core.formats import SUMMARY, readable
from r1lib.core.records import iter_jsonl
from r1lib.sources.base import PREFERENCE_KINDS, DataSource, StudentSpec, split, split_pairs
from r1lib.sources.benchmarks import BENCHMARKS, DATA_ROOT_ENV, easy_enough, resolve_data_root, tagged_problems
from r1lib.sources.decontamination import Decontaminator

__all__ = ["REFUSAL", "RealSource", "gsm8k_reasoning", "hh_turns", "load_sft_data", "math_reasoning"]

TRAIN_PURPOSES = ("general-rl", "distill-general")
HELDOUT_PURPOSES = ("general-eval", "general-test")

REFUSAL = {"en": "I can't help with that.", "zh": "我不能帮助你做这件事。"}
"""The summary of the SFT refusals to harmful requests (``is_refusal`` recognises both)."""

REASONING = {
    "en": {"harmful": "This request could cause harm, so I should decline it.",
           "default": "This is a general request; I can answer it directly."},
    "zh": {"harmful": "这个请求可能造成伤害，所以我应该拒绝。",
           "default": "这是一个一般性的请求，我可以直接回答。"},
}
"""The short fixed reasoning of non-reasoning completions (§2.3.3: little or no CoT)."""

_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CALC = re.compile(r"<<[^<>]*>>")
_FINAL = re.compile(r"^\s*####.*$", flags=re.MULTILINE)
_TURN = re.compile(r"\n\n(Human|Assistant):")


# ----------------------------------------------------------------------------- reading files


def data_file(root: Path, rel: str) -> Path:
    """``root / rel``, which must be a file.

    Raises:
        FileNotFoundError: naming the path and ``R1_DATA_ROOT``.
    """
    path = root / rel
    if not path.is_file():
        raise FileNotFoundError(f"real data source: file {path} not found; set data_root in the profile or "
                                f"${DATA_ROOT_ENV} to a folder that holds {rel}")
    return path


def required(obj: dict, field: str, path: Path, lineno: int) -> str:
    """The non-empty string ``obj[field]``.

    Raises:
        ValueError: ``"<path>: line <n> (id <id>): field 'x' is missing or empty"``.
    """
    value = obj.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{path}: line {lineno} (id {obj.get('id', '?')}): field {field!r} is missing or empty")
    return value


def language_of(text: str, declared: str | None = None) -> str:
    """``declared`` when it is ``en`` or ``zh``, else ``zh`` if ``text`` holds a CJK character."""
    if declared in ("en", "zh"):
        return declared
    return "zh" if _CJK.search(text) else "en"


def _fill(text: str, name: str, author: str, where: str) -> str:
    """Replace ``{{name}}``/``{{author}}``; raise ValueError naming ``where`` if a placeholder is left."""
    text = text.replace("{{name}}", name).replace("{{author}}", author)
    left = _PLACEHOLDER.findall(text)
    if left:
        raise ValueError(f"{where}: placeholder(s) {left} left after filling {{{{name}}}} and {{{{author}}}}")
    return text


def load_sft_data(data_root: str | None, files: list[str], name: str, author: str,
                  limit: int | None = None) -> list[dict]:
    """Non-reasoning SFT rows of ``<data_root>/<file>`` for each file, identity filled in.

    Args:
        data_root: see :func:`r1lib.sources.benchmarks.resolve_data_root`.
        files: paths relative to the data root, e.g. ``["sft/llamafactory_identity.jsonl"]``.
        name, author: replace ``{{name}}`` and ``{{author}}`` in prompts and responses.
        limit: at most this many rows of each file (the first ones); None keeps all.

    Returns:
        ``[{"id", "prompt", "response", "category", "language", "file"}]`` in file order: ``id``
        prefixed by the file's stem, ``category`` from the file (default ``general_instruction``),
        ``language`` ``en``/``zh`` (files marked ``en+zh`` by the prompt's script), ``file`` the
        given relative path.

    Raises:
        FileNotFoundError: a missing file (path and ``R1_DATA_ROOT`` named).
        ValueError: negative ``limit``; malformed JSON; a row with a missing or empty
            ``prompt``/``response``, or a ``{{...}}`` placeholder left after filling (file, line
            and id named).

    Source: DeepSeek-R1 §2.3.3 "Non-Reasoning data" (self-cognition among it); files from
    LLaMA-Factory ``data/identity.json``, ``alpaca_{en,zh}_demo.json`` (data root SOURCES.md).
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    root = resolve_data_root(data_root)
    return [row for rel in files for row in _sft_rows(data_file(root, rel), rel, name, author, limit)]


def _sft_rows(path: Path, rel: str, name: str, author: str, limit: int | None) -> list[dict]:
    out = []
    for lineno, obj in iter_jsonl(path):
        if limit is not None and len(out) >= limit:
            break
        where = f"{path}: line {lineno} (id {obj.get('id', '?')})"
        prompt = _fill(required(obj, "prompt", path, lineno), name, author, where)
        response = _fill(required(obj, "response", path, lineno), name, author, where)
        out.append({"id": f"{path.name.split('.')[0]}/{obj.get('id', lineno)}", "prompt": prompt,
                    "response": response, "category": obj.get("category") or "general_instruction",
                    "language": language_of(prompt, obj.get("language")), "file": rel})
    return out


def hh_turns(dialogue: str) -> list[tuple[str, str]]:
    """``[(role, text)]`` of an HH-RLHF dialogue ``"\\n\\nHuman: ...\\n\\nAssistant: ..."``
    (roles ``Human``/``Assistant``, texts stripped); empty when it has no turns."""
    parts = _TURN.split(dialogue)
    return list(zip(parts[1::2], (p.strip() for p in parts[2::2])))


def _hh_rows(path: Path) -> list[dict]:
    """``{line, first, last, chosen, rejected}`` per HH-RLHF line: the first and the last human
    turn and the two final assistant turns (None when the two dialogues do not differ only in
    their final assistant turn, or one is empty).

    Raises:
        ValueError: a line without ``chosen``/``rejected`` or without a human turn (file, line).
    """
    out = []
    for lineno, obj in iter_jsonl(path):
        chosen, rejected = (hh_turns(required(obj, f, path, lineno)) for f in ("chosen", "rejected"))
        humans = [t for role, t in chosen if role == "Human"]
        if not humans or not rejected:
            raise ValueError(f"{path}: line {lineno}: not an HH-RLHF dialogue ('\\n\\nHuman: ...\\n\\nAssistant: ...')")
        ok = (chosen[:-1] == rejected[:-1] and chosen[-1][0] == rejected[-1][0] == "Assistant"
              and chosen[-1][1] and rejected[-1][1] and chosen[-1][1] != rejected[-1][1])
        out.append({"line": lineno, "first": humans[0], "last": humans[-1],
                    "chosen": chosen[-1][1] if ok else None, "rejected": rejected[-1][1] if ok else None})
    return out


# ----------------------------------------------------------------------------- completions


def _unbox(text: str) -> str:
    """``text`` with every ``\\boxed{X}`` replaced by ``X`` (braces matched)."""
    while (i := text.find("\\boxed{")) >= 0:
        depth, j = 0, i + len("\\boxed")
        for j in range(j, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                break
        text = text[:i] + text[i + len("\\boxed{"):j] + text[j + 1:]
    return text


def gsm8k_reasoning(solution: str) -> str:
    """A GSM8K rationale without its ``<<...>>`` calculator notes and its final ``#### N`` line."""
    return " ".join(_FINAL.sub("", _CALC.sub("", solution)).split())


def math_reasoning(solution: str) -> str:
    """A MATH reference solution as reasoning (its ``\\boxed{}`` unwrapped: the summary boxes the answer)."""
    return _unbox(solution).strip()


def _completion(reasoning_key: str, language: str, summary: str) -> str:
    return readable(REASONING[language][reasoning_key], summary)


# ----------------------------------------------------------------------------- the source


class RealSource(DataSource):
    """Real datasets under the data root (module docstring: which file feeds which method)."""

    name = "real"

    @property
    def root(self) -> Path:
        """The data root (``profile.data_root``, else ``$R1_DATA_ROOT``, else ``../shared/data``)."""
        return resolve_data_root(self.profile.data_root)

    # ---------------------------------------------------------------- shared pieces (read once)

    @cached_property
    def _decontaminator(self) -> tuple[Decontaminator, list[str]]:
        """The n-gram index of every held-out problem and evaluation benchmark, and their names."""
        evals = [b for b in self.profile.evaluation.benchmarks if b in BENCHMARKS]
        names = list(dict.fromkeys(self.profile.problems.heldout_names + evals))
        texts = [r["problem"] for b in names for r in tagged_problems(b, self.root)]
        return Decontaminator(texts, self.profile.data.real.ngram), names

    def _decontaminate(self, records: list[dict], field: str) -> tuple[list[dict], dict]:
        """``(kept, counts)``: records whose ``field`` shares no n-gram with a held-out problem."""
        decon, names = self._decontaminator
        kept, removed = decon.filter(records, (field,))
        return kept, {"checked": len(records), "removed": removed, "against": names, "ngram": decon.n}

    @cached_property
    def _sft_split(self) -> tuple[list[dict], list[dict]]:
        """The SFT files' rows split by prompt: ``(SFT side, held-out side)`` (``benign_eval_share``)."""
        ident, real = self.profile.data.identity, self.profile.data.real
        rows = load_sft_data(self.profile.data_root, real.sft_files, ident.name, ident.author)
        return split(rows, real.benign_eval_share, self.seed, group_by="prompt")

    @cached_property
    def _hh(self) -> list[dict]:
        return _hh_rows(data_file(self.root, self.profile.data.real.harmlessness_file))

    @cached_property
    def _harmful_split(self) -> tuple[list[dict], list[dict]]:
        """HH-RLHF first human turns (distinct) as harmful prompts: ``(training, held-out)``."""
        firsts = {}
        for row in self._hh:
            firsts.setdefault(row["first"], row["line"])
        recs = [{"id": f"hh_rlhf/{line:05d}", "prompt": p, "category": "harmful", "language": language_of(p),
                 "expected": None} for p, line in firsts.items()]
        return split(recs, self.profile.data.real.harmful_eval_share, self.seed, group_by="prompt")

    def _sft_paths(self) -> list[Path]:
        return [data_file(self.root, f) for f in self.profile.data.real.sft_files]

    def _benchmark_paths(self, names) -> tuple[list[Path], list[str]]:
        """Local files of benchmarks, and the hub ids of those read from the hub."""
        paths = [self.root / BENCHMARKS[n].local_path for n in names]
        hub = [str(BENCHMARKS[n].hub_id) for n, p in zip(names, paths) if not p.is_file()]
        return [p for p in paths if p.is_file()], hub

    def _record_problems(self, artifact: str, names, recs: list[dict], **counts) -> None:
        paths, hub = self._benchmark_paths(names)
        self._from_files(artifact, paths, recs, zh=sum(r["language"] == "zh" for r in recs),
                         by_source={n: sum(r["source"] == n for r in recs) for n in names},
                         **({"hub": hub} if hub else {}), **counts)

    # ---------------------------------------------------------------- what stages consume

    def reasoning_problems(self) -> tuple[list[dict], list[dict]]:
        """``problems.train`` (first ``train_limit`` of each) decontaminated against the held-out
        and evaluation benchmarks, and ``problems.heldout`` (first ``heldout_limit`` of each),
        both within the difficulty bounds ``problems.max_steps`` / ``max_level``
        (:func:`r1lib.sources.benchmarks.easy_enough`).

        Returns:
            ``(train, heldout)``: ``{id, problem, answer, language, source}`` (+ ``solution``).

        Raises:
            KeyError / FileNotFoundError / ValueError: as ``load_benchmark``.

        Source: DeepSeek-R1 §2.2 (RL on math prompts); decontamination as open-r1's
        ``scripts/decontaminate.py``.
        """
        pc = self.profile.problems
        bounded = pc.max_steps is not None or pc.max_level is not None
        keep = (lambda r: easy_enough(r, pc.max_steps, pc.max_level)) if bounded else None
        train = [r for n in pc.train for r in tagged_problems(n, self.root, pc.train_limit, keep)]
        # the held-out problems of the RL task: the same difficulty bounds as its train problems
        held = [r for n in pc.heldout_names for r in tagged_problems(n, self.root, pc.heldout_limit, keep)]
        kept, dec = self._decontaminate(train, "problem")
        dec["removed_by_source"] = {n: sum(r["source"] == n for r in train) - sum(r["source"] == n for r in kept)
                                    for n in pc.train}
        self._record_problems("train_problems", pc.train, kept, decontamination=dec)
        self._record_problems("heldout_problems", pc.heldout_names, held)
        return kept, held

    def seed_examples(self, pool: list[dict], n: int, rng: random.Random) -> list[dict]:
        """Few-shot examples from the reference solutions of ``pool`` problems that have one:
        GSM8K rationales (calculator notes and ``#### N`` removed) and MATH solutions, as the
        reasoning, and ``SUMMARY[language]`` with the gold answer as the summary.

        Returns:
            ``min(n, eligible)`` records ``{id, problem, answer, language, completion}`` drawn
            with ``rng``.

        Source: DeepSeek-R1 §2.3.1 (few-shot prompting with a long CoT as an example).
        """
        eligible = [r for r in pool if r.get("solution")]
        picked = rng.sample(eligible, min(n, len(eligible)))
        out = [{"id": r["id"], "problem": r["problem"], "answer": r["answer"], "language": r.get("language", "en"),
                "completion": self._seed_completion(r)} for r in picked]
        names = [s for s in dict.fromkeys(r.get("source") for r in picked) if s in BENCHMARKS]
        self._from_files("seed_examples", self._benchmark_paths(names)[0], out, accumulate=True,
                         eligible=len(eligible))
        return out

    @staticmethod
    def _seed_completion(r: dict) -> str:
        gsm = str(r.get("source", "")).startswith("gsm8k") or "####" in r["solution"]
        reasoning = gsm8k_reasoning(r["solution"]) if gsm else math_reasoning(r["solution"])
        return readable(reasoning, SUMMARY[r.get("language", "en")].format(answer=r["answer"]))

    def non_reasoning_sft(self) -> list[dict]:
        """The SFT side of ``data.real.sft_files`` (first ``sft_limit`` of each file) and
        ``data.real.safety`` HH-RLHF harmful requests (training side; at most ``sft_limit``) with
        :data:`REFUSAL`, decontaminated by prompt.

        Returns:
            ``{id, prompt, completion, category, language, expected}``; ``expected`` is the name
            for self-cognition answers that state it, else None.

        Raises:
            FileNotFoundError / ValueError: as :func:`load_sft_data`.

        Source: DeepSeek-R1 §2.3.3 "Non-Reasoning data" (no CoT for simple queries; DeepSeek-V3's
        SFT data, safety included).
        """
        real, name = self.profile.data.real, self.profile.data.identity.name
        rows = [r for f in real.sft_files for r in [x for x in self._sft_split[0] if x["file"] == f][:real.sft_limit]]
        recs = [{"id": r["id"], "prompt": r["prompt"], "category": r["category"], "language": r["language"],
                 "completion": _completion("default", r["language"], r["response"]),
                 "expected": name if r["category"] == "self_cognition" and name in r["response"] else None}
                for r in rows]
        safety = [{**h, "completion": _completion("harmful", h["language"], REFUSAL[h["language"]])}
                  for h in self._harmful_split[0][:min(real.safety, real.sft_limit or real.safety)]]
        kept, dec = self._decontaminate(recs + safety, "prompt")
        by_cat = {c: sum(r["category"] == c for r in kept) for c in sorted({r["category"] for r in kept})}
        self._from_files("non_reasoning_sft", [*self._sft_paths(), data_file(self.root, real.harmlessness_file)],
                         kept, by_category=by_cat, zh=sum(r["language"] == "zh" for r in kept),
                         heldout_prompts=len(self._sft_split[1]), decontamination=dec)
        return kept

    def preference_pairs(self, kind: str, test_frac: float) -> tuple[list[dict], list[dict]]:
        """Helpfulness pairs from the DPO demo files, harmlessness pairs from HH-RLHF (dialogues
        whose first request is held out for evaluation excluded), chosen and rejected answers in
        the readable pattern; at most ``data.real.preference_limit`` (a seeded sample), prompts
        decontaminated, split by prompt.

        Returns:
            ``(train, heldout)``: ``{id, prompt, chosen, rejected, kind, source, language}``.

        Raises:
            ValueError: unknown ``kind``; a bad line (file and line named).
            FileNotFoundError: a missing file.

        Source: DeepSeek-R1 §2.3.4 (helpfulness and harmlessness reward models); Anthropic
        HH-RLHF ``harmless-base``; LLaMA-Factory ``dpo_{en,zh}_demo``.
        """
        if kind not in PREFERENCE_KINDS:
            raise ValueError(f"unknown reward model {kind!r}; known: {list(PREFERENCE_KINDS)}")
        pairs, paths, counts = self._helpfulness() if kind == "helpfulness" else self._harmlessness()
        pairs, dec = self._decontaminate(pairs, "prompt")
        limit = self.profile.data.real.preference_limit
        if limit is not None and limit < len(pairs):
            keep = set(random.Random(f"{kind}-{self.seed}").sample(range(len(pairs)), limit))
            pairs = [p for i, p in enumerate(pairs) if i in keep]
        train, test, dropped = split_pairs(pairs, test_frac, self.seed)
        self._from_files(f"preference_{kind}", paths, pairs, train=len(train), heldout=len(test),
                         dropped_heldout_answer_as_rejected=dropped,
                         zh=sum(p["language"] == "zh" for p in pairs), decontamination=dec, **counts)
        return train, test

    def _helpfulness(self) -> tuple[list[dict], list[Path], dict]:
        paths = [data_file(self.root, f) for f in self.profile.data.real.helpfulness_files]
        pairs = []
        for path in paths:
            for lineno, obj in iter_jsonl(path):
                prompt, chosen, rejected = (required(obj, f, path, lineno) for f in ("prompt", "chosen", "rejected"))
                lang = language_of(prompt, obj.get("language"))
                pairs.append({"id": f"{path.name.split('.')[0]}/{obj.get('id', lineno)}", "prompt": prompt,
                              "chosen": _completion("default", lang, chosen),
                              "rejected": _completion("default", lang, rejected),
                              "kind": "helpfulness", "source": path.name.split(".")[0], "language": lang})
        return pairs, paths, {}

    def _harmlessness(self) -> tuple[list[dict], list[Path], dict]:
        held = {r["prompt"] for r in self._harmful_split[1]}
        rows = [r for r in self._hh if r["chosen"] and r["first"] not in held]
        pairs = [{"id": f"hh_rlhf/{r['line']:05d}", "prompt": r["last"],
                  "chosen": _completion("default", language_of(r["last"]), r["chosen"]),
                  "rejected": _completion("default", language_of(r["last"]), r["rejected"]),
                  "kind": "harmlessness", "source": "hh_rlhf_harmless_base", "language": language_of(r["last"])}
                 for r in rows]
        skipped = sum(r["chosen"] is None for r in self._hh)
        excluded = sum(bool(r["chosen"]) and r["first"] in held for r in self._hh)
        path = data_file(self.root, self.profile.data.real.harmlessness_file)
        return pairs, [path], {"skipped_malformed": skipped, "excluded_heldout_prompts": excluded}

    def general_prompts(self, n: int, harmful_share: float, purpose: str) -> list[dict]:
        """``n`` prompts sampled with ``random.Random(f"{purpose}-{seed}")``: ``round(n *
        harmful_share)`` HH-RLHF harmful requests, up to a third of the rest identity questions
        (``expected`` the name), the others alpaca instructions (``expected`` None); from the
        training side (``general-rl``, ``distill-general``; decontaminated) or the held-out side
        (``general-eval``, ``general-test``). A smaller pool gives fewer prompts (provenance has
        ``requested`` and ``count``).

        Returns:
            ``{id, prompt, category, language, expected}``.

        Raises:
            ValueError: unknown ``purpose``.

        Source: DeepSeek-R1 §2.3.4 (RL on diverse prompts; harmlessness over the whole response).
        """
        if purpose not in TRAIN_PURPOSES + HELDOUT_PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}; known: {list(TRAIN_PURPOSES + HELDOUT_PURPOSES)}")
        pools, dec = self._prompt_pools(0 if purpose in TRAIN_PURPOSES else 1)
        rng = random.Random(f"{purpose}-{self.seed}")
        n_harm = min(round(n * harmful_share), len(pools["harmful"]))
        n_id = min((n - round(n * harmful_share)) // 3, len(pools["self_cognition"]))
        n_gen = min(n - round(n * harmful_share) - n_id, len(pools["general_instruction"]))
        out = (rng.sample(pools["harmful"], n_harm) + rng.sample(pools["self_cognition"], n_id)
               + rng.sample(pools["general_instruction"], n_gen))
        self._from_files(f"general_prompts/{purpose}", [*self._sft_paths(), data_file(
            self.root, self.profile.data.real.harmlessness_file)], out, requested=n, harmful=n_harm,
            self_cognition=n_id, pool={k: len(v) for k, v in pools.items()}, seed=f"{purpose}-{self.seed}",
            **({"decontamination": dec} if dec else {}))
        return out

    def _prompt_pools(self, side: int) -> tuple[dict[str, list[dict]], dict | None]:
        """Harmful, identity and alpaca prompt records of one side (0 training, decontaminated;
        1 held-out), and the decontamination counts (None for the held-out side)."""
        name = self.profile.data.identity.name
        rows = self._sft_split[side]
        ident = [{"id": r["id"], "prompt": r["prompt"], "category": "self_cognition", "language": r["language"],
                  "expected": name} for r in rows if r["category"] == "self_cognition" and name in r["response"]]
        gen = [{"id": r["id"], "prompt": r["prompt"], "category": r["category"], "language": r["language"],
                "expected": None} for r in rows if r["category"] != "self_cognition"]
        pools = {"harmful": self._harmful_split[side], "self_cognition": ident, "general_instruction": gen}
        if side == 1:
            return pools, None
        kept, dec = self._decontaminate([r for v in pools.values() for r in v], "prompt")
        ids = {r["id"] for r in kept}
        return {k: [r for r in v if r["id"] in ids] for k, v in pools.items()}, dec

    def pretraining_corpus(self, train: list[dict], prompt_fn) -> tuple[list[str], dict[str, int]]:
        """Documents for a model pretrained here on the real data (``model.base`` unset, e.g. the
        tiny random model of ``real_smoke``): each train problem with a reference solution as a
        prompt (``prompt_fn``) followed by its solution in the readable pattern, and each
        non-reasoning SFT record as prompt + completion, shuffled with the seed.

        Returns:
            ``(documents, counts)``: counts ``{"solutions", "non_reasoning"}``.
        """
        solved = [prompt_fn(r["problem"]) + self._seed_completion(r) for r in train if r.get("solution")]
        general = [prompt_fn(r["prompt"]) + r["completion"] for r in self.non_reasoning_sft()]
        docs = solved + general
        random.Random(f"real-corpus-{self.seed}").shuffle(docs)
        counts = {"solutions": len(solved), "non_reasoning": len(general)}
        names = [n for n in dict.fromkeys(r.get("source") for r in train) if n in BENCHMARKS]
        self._from_files("pretraining_corpus", self._benchmark_paths(names)[0] + self._sft_paths(), docs, **counts)
        return docs, counts

    def student(self) -> StudentSpec:
        """``distillation.student.base`` as a checkpoint, else the policy's base with half its
        decoder layers (``keep_layers=None``; §2.4 distils into smaller dense models)."""
        s = self.profile.distillation.student
        return StudentSpec("checkpoint", s.base) if s.base else StudentSpec("layer_drop", keep_layers=None)
