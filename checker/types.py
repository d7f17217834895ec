"""Plain data passed between pipeline stages and returned by the library API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DISCREPANCY_KINDS: tuple[str, ...] = ("nli", "date", "number", "place", "status", "unmatched")
NLI_LABELS: tuple[str, str, str] = ("entailment", "neutral", "contradiction")
# The files `check` writes into its output folder, by format (never read back as inputs).
REPORT_FILES: dict[str, str] = {"json": "report.json", "csv": "discrepancies.csv", "md": "report.md",
                                "html": "report.html", "groups": "groups.csv"}

# Library defaults, here so that the command line shows them without loading the pipeline.
MAX_BYTES_DEFAULT = 50 * 1024 * 1024  # largest input file read
# Claims checked per document; a news story has a few hundred at most. Beyond this the rest of the
# document is not checked (with a warning) so that huge inputs finish in bounded time and memory.
MAX_CLAIMS_DEFAULT = 2000
DEFAULT_NLI_THRESHOLD = 0.65  # for NLI models that carry no calibrated threshold of their own
# NLI pairs per check at most: the per-claim budget of 1,500 claims (five versions of 300), so stories are
# never capped; 25,000 claims would otherwise take ~100,000 evaluations, hours on a few CPU cores
MAX_NLI_PAIRS_DEFAULT = 3000
# `ci` findings: the discrepancy kinds and the guard's own negation-cue check
GUARD_KINDS: tuple[str, ...] = ("nli", "negation", "date", "number", "place", "status", "unmatched")
# `ci`: omissions/additions ("unmatched") included; an event's status (planned / begun / completed) is read
# from tense and aspect cues, weaker evidence than a value: reported, failing a build only when asked for
DEFAULT_FAIL_ON: tuple[str, ...] = tuple(k for k in GUARD_KINDS if k != "status")


class CheckError(Exception):
    """A user-facing problem with the input or the configuration (one clear line, no traceback)."""


@dataclass
class Document:
    id: str
    path: str
    raw: str  # text as decoded from the file (HTML already reduced to text)
    language: str  # ISO 639-1 code
    language_confidence: float = 1.0
    dateline: dt.date | None = None
    encoding: str = "utf-8"
    body_start: int = 0  # offset in `raw` where the story starts (after a dateline header)
    assumed_dateline: dt.date | None = None  # the story's dateline, used when the document has none
    markup: str | None = None  # the file's text before HTML was reduced to `raw` (None for plain text)

    @property
    def reference_date(self) -> dt.date | None:
        """The date relative expressions ("last Sunday", "end of the current year") resolve against."""
        return self.dateline or self.assumed_dateline


@dataclass
class Claim:
    id: str  # "<doc id>#<n>", n counting from 1 in reading order
    doc_id: str
    text: str  # original text span
    start: int  # offsets into Document.raw
    end: int
    sentence: str = ""  # the full sentence the claim came from (context)
    normalized: str = ""  # text fed to models
    language: str = ""  # the claim's own language where it differs from its document's (a quotation)


@dataclass
class Dropped:
    doc_id: str
    text: str
    reason: str
    start: int = -1
    end: int = -1


@dataclass
class Group:
    id: str
    claims: list[str]  # claim ids, one per document at most


@dataclass
class AlignedPair:
    claim_a: str
    claim_b: str
    similarity: float  # cosine
    margin: float  # ratio-margin score (bitext mining)
    mutual: bool  # mutual nearest neighbours
    nli: dict[str, float] | None = None  # NLI probabilities of the more contradicting direction


@dataclass
class Discrepancy:
    id: str
    kind: str
    doc_a: str
    doc_b: str | None
    claim_a: str
    claim_b: str | None
    text_a: str
    text_b: str | None
    values_a: list[str] = field(default_factory=list)
    values_b: list[str] = field(default_factory=list)
    spans_a: list[list[int]] = field(default_factory=list)  # [start, end] within text_a
    spans_b: list[list[int]] = field(default_factory=list)
    nli: dict[str, float] | None = None
    score: float = 0.0
    note: str = ""

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Discrepancy:
        """A discrepancy from its report.json form (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in item.items() if k in names})


@dataclass
class ModelInfo:
    role: str  # "encoder" | "nli"
    name: str
    version: str
    real: bool  # False for tiny randomly initialised test models
    note: str = ""


@dataclass
class Report:
    documents: list[Document]
    claims: list[Claim]
    dropped: list[Dropped]
    groups: list[Group]
    pairs: list[AlignedPair]
    discrepancies: list[Discrepancy]
    models: list[ModelInfo]
    skipped: list[dict[str, str]] = field(default_factory=list)  # inputs not checked, with reason
    settings: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
