"""Text corpora for the NF-ISCSC semantic side: the Brown corpus and user corpora.

Each user's knowledge base (KB) is one corpus: by default one genre of the Brown corpus
(Francis and Kucera, 1964/1979; tagged "form C", 15 genres), shipped compactly in
``data/text/brown/<genre>.txt.gz``. The NF paper's precisions p_{g,k} (NF eq. (19)) are
user-specific, so every genre is a separate user.

Formats
-------
* Tagged Brown files (``ca01`` ...): one sentence per non-blank line, tokens ``word/tag``
  separated by spaces, the tag after the last ``/``. :func:`parse_tagged_brown` reads them
  like NLTK's ``brown.tagged_sents()`` does (tags upper-cased, ``(word, TAG)`` pairs).
* One-sentence-per-line files (``.txt`` or ``.txt.gz``): each line is a sentence, either
  tagged (every token ``word/tag``) or plain text. An optional ``<doc id><TAB>`` prefix names
  the document a sentence came from (the shipped Brown copy uses it to keep file ids so the
  train / held-out split can be by file). Plain lines are tagged from a Brown lexicon.

Tokens
------
BLEU is computed with sacrebleu's standard ``13a`` tokeniser. So that "the fraction of a
message's words that is sent" is exactly the length ratio the BLEU brevity penalty sees, a
sentence's units are its 13a tokens: every corpus word is split by 13a (``U.S.`` -> ``U . S .``,
two backquotes -> two tokens) and each piece keeps the word's tag. The 13a tokeniser is
idempotent on such text, so ``" ".join(tokens)`` re-tokenises to the same tokens.
"""

from __future__ import annotations

import gzip
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from ..shipped_data import shipped_path

# NLTK's category names for the Brown genres, keyed by the file-name letter.
BROWN_GENRES: dict[str, str] = {
    "a": "news",
    "b": "editorial",
    "c": "reviews",
    "d": "religion",
    "e": "hobbies",
    "f": "lore",
    "g": "belles_lettres",
    "h": "government",
    "j": "learned",
    "k": "fiction",
    "l": "mystery",
    "m": "science_fiction",
    "n": "adventure",
    "p": "romance",
    "r": "humor",
}
GENRE_NAMES: tuple[str, ...] = tuple(BROWN_GENRES.values())

# Held-out documents: every HELDOUT_EVERY-th document of a corpus (indices 4, 9, ...), so
# every genre (the smallest has 6 files) holds out at least one whole file.
HELDOUT_EVERY = 5

_TOKENIZER = Tokenizer13a()
_TAGGED_TOKEN = re.compile(r"^\S+/[^\s/]+$")


def default_data_dir() -> Path:
    """``text/`` of the shipped data (:mod:`semcodec.shipped_data`); the ``ISSC_TEXT_DATA``
    variable overrides it."""
    env = os.environ.get("ISSC_TEXT_DATA")
    if env:
        return Path(env)
    return shipped_path("text")


@dataclass(frozen=True)
class Sentence:
    """One sentence in BLEU units.

    tokens: the sentence's 13a tokens (str), in order; len n >= 1.
    tags:   one part-of-speech tag per token (Brown tag set, upper case).
    doc:    id of the document the sentence came from (for the split by file).
    """

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    doc: str

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class Corpus:
    """A user's knowledge base: its sentences split into train (the KB) and held-out."""

    name: str
    train: tuple[Sentence, ...]
    heldout: tuple[Sentence, ...]


def split_tagged_token(token: str) -> tuple[str, str]:
    """``"Atlanta's/np$"`` -> ``("Atlanta's", "NP$")``; the tag follows the last ``/``."""
    word, sep, tag = token.rpartition("/")
    if not sep or not word:
        raise ValueError(f"token={token!r} is invalid: must be word/tag")
    return word, tag.upper()


def parse_tagged_brown(path: str | os.PathLike) -> list[list[tuple[str, str]]]:
    """Read a tagged Brown file (form C) into sentences of ``(word, TAG)`` pairs.

    Returns a list of sentences, each a list of (word, tag) tuples exactly as in the file
    (words unchanged, tags upper-cased, as NLTK's ``brown.tagged_sents(fileid)``).
    """
    text = _read_text(path)
    return [[split_tagged_token(t) for t in line.split()] for line in text.splitlines()
            if line.strip()]


def bleu_tokens(words: list[str], tags: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split words into 13a tokens (BLEU units); each piece keeps its word's tag."""
    toks: list[str] = []
    out_tags: list[str] = []
    for w, t in zip(words, tags):
        pieces = _TOKENIZER(w).split()
        toks.extend(pieces)
        out_tags.extend([t] * len(pieces))
    return tuple(toks), tuple(out_tags)


def load_sentences(path: str | os.PathLike, doc: str | None = None) -> list[Sentence]:
    """Load a one-sentence-per-line file (``.txt`` or ``.txt.gz``), tagged or plain.

    A line may start with ``<doc id><TAB>``; otherwise sentences get ``doc`` (default: the
    file name). A line whose tokens are all ``word/tag`` is read as tagged; any other line
    is plain text, tokenised with 13a and tagged from the Brown lexicon. Blank lines are
    skipped. Raises ``FileNotFoundError`` for a missing file.
    """
    path = Path(path)
    default_doc = doc if doc is not None else path.name
    out: list[Sentence] = []
    for line in _read_text(path).splitlines():
        if "\t" in line:
            d, _, line = line.partition("\t")
        else:
            d = default_doc
        raw = line.split()
        if not raw:
            continue
        if all(_TAGGED_TOKEN.match(t) for t in raw):
            words, tags = zip(*(split_tagged_token(t) for t in raw))
            toks, tg = bleu_tokens(list(words), list(tags))
        else:
            toks = tuple(_TOKENIZER(line.strip()).split())
            tg = tuple(tag_plain_token(t) for t in toks)
        if toks:
            out.append(Sentence(toks, tg, d))
    return out


def split_by_doc(sentences: list[Sentence], name: str) -> Corpus:
    """Split by document: every ``HELDOUT_EVERY``-th document (in first-seen order) is held
    out. A corpus with a single document is split by sentence instead (every
    ``HELDOUT_EVERY``-th sentence held out). Raises ``ValueError`` for an empty corpus."""
    if not sentences:
        raise ValueError(f"corpus={name!r} is invalid: it holds no sentences")
    docs = list(dict.fromkeys(s.doc for s in sentences))
    if len(docs) >= 2:
        held = {d for i, d in enumerate(docs) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1}
        if not held:
            held = {docs[-1]}
        train = tuple(s for s in sentences if s.doc not in held)
        heldout = tuple(s for s in sentences if s.doc in held)
    else:
        keep = [i % HELDOUT_EVERY == HELDOUT_EVERY - 1 for i in range(len(sentences))]
        train = tuple(s for s, h in zip(sentences, keep) if not h)
        heldout = tuple(s for s, h in zip(sentences, keep) if h)
    if not train or not heldout:
        raise ValueError(f"corpus={name!r} is invalid: it has {len(sentences)} sentence(s); "
                         f"need at least 2 to split into train and held-out")
    return Corpus(name, train, heldout)


def genre_name(genre: str) -> str:
    """Normalise a genre given by NLTK name (``"news"``) or Brown letter (``"a"``)."""
    g = genre.strip().lower()
    if g in BROWN_GENRES:
        return BROWN_GENRES[g]
    if g in GENRE_NAMES:
        return g
    raise KeyError(f"genre={genre!r} is invalid: must be one of {', '.join(GENRE_NAMES)} "
                   f"(or a Brown letter a-r)")


def is_genre(name: str) -> bool:
    try:
        genre_name(name)
    except KeyError:
        return False
    return True


@lru_cache(maxsize=32)
def load_genre(genre: str, data_dir: str | None = None) -> Corpus:
    """Load one Brown genre (NLTK name or letter) from the compact copy, split by file."""
    name = genre_name(genre)
    base = Path(data_dir) if data_dir else default_data_dir()
    path = base / "brown" / f"{name}.txt.gz"
    if not path.exists():
        raise FileNotFoundError(f"compact Brown corpus file {path} not found; rebuild it with "
                                f"semcodec.text.corpus.build_compact_brown")
    return split_by_doc(load_sentences(path), name)


def load_corpus(genre_or_path: str | os.PathLike) -> Corpus:
    """A Brown genre by name/letter, or a user corpus: a one-sentence-per-line file or a
    folder of such files (``*.txt``, ``*.txt.gz``; one document per file)."""
    if isinstance(genre_or_path, str) and is_genre(genre_or_path) \
            and not Path(genre_or_path).exists():
        return load_genre(genre_or_path)
    path = Path(genre_or_path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.name.endswith(".txt") or p.name.endswith(".txt.gz"))
        sents = [s for f in files for s in load_sentences(f)]
        return split_by_doc(sents, str(path))
    if not path.exists():
        raise FileNotFoundError(
            f"corpus={str(genre_or_path)!r} is invalid: neither a Brown genre "
            f"({', '.join(GENRE_NAMES)}) nor an existing file or folder")
    return split_by_doc(load_sentences(path), str(path))


# --- lexicon for plain-text user corpora --------------------------------------------------

@lru_cache(maxsize=1)
def brown_lexicon() -> tuple[dict[str, str], dict[str, str]]:
    """Most frequent Brown tag of each 13a token over all 15 genres: (by exact token, by
    lower-cased token)."""
    exact: dict[str, Counter] = defaultdict(Counter)
    lower: dict[str, Counter] = defaultdict(Counter)
    for g in GENRE_NAMES:
        c = load_genre(g)
        for s in c.train + c.heldout:
            for t, tag in zip(s.tokens, s.tags):
                exact[t][tag] += 1
                lower[t.lower()][tag] += 1
    return ({w: c.most_common(1)[0][0] for w, c in exact.items()},
            {w: c.most_common(1)[0][0] for w, c in lower.items()})


def tag_plain_token(token: str) -> str:
    """Tag a plain token: the Brown lexicon's tag (exact spelling first, then lower case),
    else by shape (punctuation, number, capitalised name, noun)."""
    try:
        exact, lower = brown_lexicon()
    except FileNotFoundError:
        exact, lower = {}, {}
    tag = exact.get(token) or lower.get(token.lower())
    if tag is not None:
        return tag
    if not any(ch.isalnum() for ch in token):
        return "."
    if any(ch.isdigit() for ch in token):
        return "CD"
    return "NP" if token[:1].isupper() else "NN"


# --- building the compact copy ----------------------------------------------------------

_BROWN_FILE = re.compile(r"^c([a-r])(\d\d)$")


def build_compact_brown(src_dir: str | os.PathLike, out_dir: str | os.PathLike) -> dict:
    """Write ``<genre>.txt.gz`` (lines ``<file id><TAB><tagged sentence>``) per genre.

    The tagged tokens are kept byte-for-byte (only the leading tab and blank lines of the
    original go), so :func:`load_sentences` reads back exactly what
    :func:`parse_tagged_brown` reads from the original files. Returns sentences per genre.
    """
    src, out = Path(src_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    by_genre: dict[str, list[str]] = defaultdict(list)
    files = sorted(p for p in src.iterdir() if _BROWN_FILE.match(p.name))
    if not files:
        raise FileNotFoundError(f"src_dir={str(src)!r} is invalid: no Brown files c[a-r]NN")
    for p in files:
        letter = _BROWN_FILE.match(p.name).group(1)
        for line in _read_text(p).splitlines():
            if line.strip():
                by_genre[BROWN_GENRES[letter]].append(f"{p.name}\t{' '.join(line.split())}")
    for name, lines in by_genre.items():
        # mtime=0 keeps the gzip bytes reproducible.
        with open(out / f"{name}.txt.gz", "wb") as fh, \
                gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    return {k: len(v) for k, v in by_genre.items()}


def _read_text(path: str | os.PathLike) -> str:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path={str(path)!r} is invalid: file not found")
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        if b"\0" in fh.read(8192):  # text never holds NUL bytes; images and archives do
            raise ValueError(f"corpus file {path} is a binary file (NUL bytes), not text")
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8", errors="replace")
