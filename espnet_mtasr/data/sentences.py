"""Synthetic English sentences for the mini corpus: a small vocabulary and simple grammar.

The vocabulary (400 common words that espeak-ng pronounces well, homophones left out)
lives in ``espnet_mtasr/data/resources/synth_vocabulary.txt``; the grammar is a list of
slot templates such as ``det adj? noun verb_t.past det adj? noun`` ("the red dog saw a
small bird"). Optional slots (``?``) are filled or dropped to reach a sampled length.

:func:`make_sentence_splits` draws disjoint sentence sets for the train and held-out
splits: training sentences cycle through every word of each slot category (so a few
hundred sentences use the whole vocabulary), held-out sentences use only words seen in
training and never repeat a training sentence.

    >>> splits = make_sentence_splits({"train": 50, "dev": 5}, seed=1)
    >>> len(splits["train"]), len(splits["dev"])
    (50, 5)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from importlib import resources
from typing import Callable, Dict, List, Mapping, Sequence, Set, Tuple

__all__ = [
    "TEMPLATES",
    "Vocabulary",
    "generate_sentence",
    "load_vocabulary",
    "make_sentence_splits",
    "sentence_words",
]

VOCABULARY_RESOURCE = "resources/synth_vocabulary.txt"
"""Path of the word lists, relative to the ``espnet_mtasr.data`` package."""

# A slot is "<category>[.<form>][?]": ``noun_pl.pl`` is the plural of an animal/person
# noun, ``verb_t.past`` / ``verb_t.base`` a transitive verb form, a trailing ``?`` makes
# the slot optional, and a quoted literal ("'was'") is a fixed word.
TEMPLATES: Tuple[Tuple[str, ...], ...] = (
    ("det", "adj?", "noun_any", "verb_t.past", "det", "adj?", "noun_any"),
    ("poss", "noun_pl.sg", "modal", "verb_t.base", "det", "adj?", "noun_any"),
    ("pron", "verb_t.past", "det", "adj?", "noun_any"),
    ("name", "verb_t.past", "poss", "adj?", "noun_any"),
    ("det", "adj?", "noun_pl.sg", "verb_i.past", "adv?"),
    ("name", "verb_i.past", "prep", "det", "adj?", "noun"),
    ("pron", "modal", "verb_i.base", "adv?"),
    ("num", "adj?", "noun_pl.pl", "verb_i.past", "adv?"),
    ("det", "noun_any", "'was'", "very?", "adj"),
    ("name", "'and'", "name", "verb_i.past", "adv?"),
    ("pron", "verb_t.past", "num", "adj?", "noun_pl.pl"),
    ("'the'", "noun_pl.pl", "'were'", "very?", "adj"),
    ("pron", "verb_i.past", "prep", "det", "noun", "adv?"),
    ("det", "adj?", "noun_pl.sg", "verb_i.past", "prep", "det", "adj?", "noun"),
    ("name", "modal", "verb_t.base", "poss", "adj?", "noun_any", "adv?"),
)


@dataclass(frozen=True)
class Vocabulary:
    """Word lists by slot category.

    Attributes:
        words: ``category -> words``; ``noun_pl.sg``/``noun_pl.pl``, ``verb_t.past``/
            ``verb_t.base``, ``verb_i.past``/``verb_i.base`` are split into their forms,
            and ``noun_any`` is every singular noun.
    """

    words: Mapping[str, Tuple[str, ...]]

    def all_words(self) -> Set[str]:
        """Every word a sentence can contain (including the template literals and "an")."""
        out = {w for ws in self.words.values() for w in ws}
        out.update(_literal(s) for t in TEMPLATES for s in t if _literal(s))
        out.add("an")
        return out

    def restricted(self, allowed: Set[str]) -> Vocabulary:
        """The same categories keeping only ``allowed`` words (empty categories kept)."""
        return Vocabulary({c: tuple(w for w in ws if w in allowed) for c, ws in self.words.items()})

    def truncated(self, per_category: int) -> Vocabulary:
        """Keep the first ``per_category`` entries of each word list (a smaller, easier
        vocabulary; singular/plural and past/base pairs stay paired)."""
        words = {c: ws[:per_category] for c, ws in self.words.items() if c != "noun_any"}
        words["noun_any"] = words["noun_pl.sg"] + words["noun"]
        return Vocabulary(words)


def _literal(slot: str) -> str | None:
    """``"'was'"`` -> ``"was"``; ``None`` for a category slot."""
    s = slot.rstrip("?")
    return s[1:-1] if s.startswith("'") else None


def _parse_vocabulary(text: str, source: str) -> Vocabulary:
    """Parse the ``[category]`` word-list format (see the resource file's header)."""
    raw: Dict[str, List[str]] = {}
    category = None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1]
            raw.setdefault(category, [])
        elif category is None:
            raise ValueError(f"{source}:{lineno}: words before the first [category] header")
        else:
            raw[category].extend(line.split())
    words: Dict[str, Tuple[str, ...]] = {}
    for category, items in raw.items():
        if category in ("noun_pl", "verb_t", "verb_i"):
            pairs = [item.split(":") for item in items]
            bad = [item for item, p in zip(items, pairs) if len(p) != 2]
            if bad:
                raise ValueError(f"{source}: [{category}] needs a:b pairs, got {bad}")
            first, second = ("sg", "pl") if category == "noun_pl" else ("past", "base")
            words[f"{category}.{first}"] = tuple(p[0] for p in pairs)
            words[f"{category}.{second}"] = tuple(p[1] for p in pairs)
        else:
            words[category] = tuple(items)
    words["noun_any"] = words["noun_pl.sg"] + words["noun"]
    return Vocabulary(words)


def load_vocabulary() -> Vocabulary:
    """Read the packaged word lists (``espnet_mtasr/data/resources/synth_vocabulary.txt``)."""
    res = resources.files("espnet_mtasr.data").joinpath(VOCABULARY_RESOURCE)
    return _parse_vocabulary(res.read_text(encoding="utf-8"), str(res))


def sentence_words(sentences: Sequence[str]) -> Set[str]:
    """The set of words used in ``sentences``."""
    return {w for s in sentences for w in s.split()}


class _CyclingPicker:
    """Draw words of each category in shuffled cycles (every word once per cycle)."""

    def __init__(self, vocab: Vocabulary, rng: random.Random):
        self._vocab = vocab
        self._rng = rng
        self._bags: Dict[str, List[str]] = {}

    def __call__(self, category: str) -> str:
        bag = self._bags.get(category)
        if not bag:
            bag = list(self._vocab.words[category])
            self._rng.shuffle(bag)
            self._bags[category] = bag
        return bag.pop()


def _fix_articles(words: List[str]) -> List[str]:
    """``a`` -> ``an`` before a word starting with a vowel letter."""
    return [
        "an" if w == "a" and i + 1 < len(words) and words[i + 1][0] in "aeiou" else w
        for i, w in enumerate(words)
    ]


def _feasible(template: Sequence[str], vocab: Vocabulary) -> Tuple[int, int]:
    """(min, max) length of ``template`` given the non-empty categories of ``vocab``.

    Returns ``(0, -1)`` when a required slot has no word.
    """
    required = optional = 0
    for slot in template:
        usable = _literal(slot) is not None or bool(vocab.words.get(slot.rstrip("?")))
        if slot.endswith("?"):
            optional += usable
        elif usable:
            required += 1
        else:
            return 0, -1
    return required, required + optional


def generate_sentence(
    rng: random.Random,
    vocab: Vocabulary,
    min_words: int = 3,
    max_words: int = 7,
    pick: Callable[[str], str] | None = None,
) -> str:
    """Draw one lowercase sentence of ``min_words..max_words`` words.

    Args:
        rng: the random source (its state advances).
        vocab: the words to use (possibly :meth:`Vocabulary.restricted`).
        min_words: shortest sentence (>= 3, the shortest template).
        max_words: longest sentence (<= 8, the longest template).
        pick: ``category -> word``; default uniform ``rng.choice`` over the category.

    Raises:
        ValueError: no template can give a length in the range with these words.
    """
    pick = pick or (lambda c: rng.choice(vocab.words[c]))
    by_length: Dict[int, List[Tuple[str, ...]]] = {}
    for template in TEMPLATES:
        lo, hi = _feasible(template, vocab)
        for n in range(max(lo, min_words), min(hi, max_words) + 1):
            by_length.setdefault(n, []).append(template)
    if not by_length:
        raise ValueError(
            f"no sentence template gives {min_words}..{max_words} words (templates give 3..8 words)"
        )
    length = rng.choice(sorted(by_length))  # uniform over the feasible lengths
    template = rng.choice(by_length[length])
    optional = [
        i
        for i, s in enumerate(template)
        if s.endswith("?") and (_literal(s) or vocab.words.get(s.rstrip("?")))
    ]
    n_required = sum(1 for s in template if not s.endswith("?"))
    keep = set(rng.sample(optional, length - n_required))
    words = []
    for i, slot in enumerate(template):
        if slot.endswith("?") and i not in keep:
            continue
        literal = _literal(slot)
        words.append(literal if literal else pick(slot.rstrip("?")))
    return " ".join(_fix_articles(words))


def _draw_unique(
    n: int,
    draw: Callable[[], str],
    taken: Set[str],
    allowed_words: Set[str] | None,
    split: str,
    max_tries_per_sentence: int = 200,
) -> List[str]:
    """Draw ``n`` sentences not in ``taken`` (added to it), all words in ``allowed_words``."""
    out: List[str] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > max_tries_per_sentence * max(n, 1):
            raise ValueError(
                f"could only draw {len(out)} of {n} distinct sentences for split {split!r}; "
                f"ask for fewer sentences or allow longer ones (max_words)"
            )
        sentence = draw()
        if sentence in taken:
            continue
        if allowed_words is not None and not set(sentence.split()) <= allowed_words:
            continue
        taken.add(sentence)
        out.append(sentence)
    return out


def make_sentence_splits(
    sizes: Mapping[str, int],
    seed: int = 0,
    min_words: int = 3,
    max_words: int = 7,
    max_per_category: int | None = None,
) -> Dict[str, List[str]]:
    """Draw disjoint sets of distinct lowercase sentences, one per split.

    Splits whose name contains ``"train"`` are training splits: their sentences cycle
    through every word of each category (balanced word counts, full coverage after a few
    hundred sentences). The other (held-out) splits use only words that occur in the
    training splits, and no sentence occurs in two splits.

    Args:
        sizes: ``split name -> number of sentences``, e.g.
            ``{"train-clean-100": 1500, "dev-clean": 200, "test-clean": 200}``.
        seed: random seed; the result depends only on the arguments.
        min_words: shortest sentence in words (>= 3).
        max_words: longest sentence in words (<= 8).
        max_per_category: use only the first N words of each word list (``None``: all,
            400 words; 10 gives 150 words, 20 gives 250) for an easier task.

    Returns:
        ``split name -> sentences`` (same keys and order as ``sizes``).

    Raises:
        ValueError: bad lengths, or not enough distinct sentences can be drawn.
    """
    if not 3 <= min_words <= max_words <= 8:
        raise ValueError(
            f"need 3 <= min_words <= max_words <= 8, got min_words={min_words}, "
            f"max_words={max_words}"
        )
    vocab = load_vocabulary()
    if max_per_category is not None:
        if max_per_category < 1:
            raise ValueError(f"max_per_category must be >= 1, got {max_per_category}")
        vocab = vocab.truncated(max_per_category)
    rng = random.Random(seed)
    taken: Set[str] = set()
    out: Dict[str, List[str]] = {}
    train = [s for s in sizes if "train" in s]
    picker = _CyclingPicker(vocab, rng)
    for split in train:
        out[split] = _draw_unique(
            sizes[split],
            lambda: generate_sentence(rng, vocab, min_words, max_words, pick=picker),
            taken,
            None,
            split,
        )
    seen = sentence_words([s for split in train for s in out[split]]) if train else None
    held_vocab = vocab.restricted(seen) if seen is not None else vocab
    for split in sizes:
        if split in out:
            continue
        out[split] = _draw_unique(
            sizes[split],
            lambda: generate_sentence(rng, held_vocab, min_words, max_words),
            taken,
            seen,
            split,
        )
    return {split: out[split] for split in sizes}
