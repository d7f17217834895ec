"""The library API: ingest → segment → embed → align → compare, returning a plain ``Report``.

    from checker.pipeline import check, CheckConfig
    report = check(["stories/one-story"], CheckConfig())
    from checker.report import discrepancies_frame
    discrepancies_frame(report)            # pandas DataFrame, one row per discrepancy
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .align import AlignConfig, align_documents, align_documents_cached, group_claims
from .anchor import off_event_documents
from .cache import ResultCache, default_cache_dir
from .compare import CompareConfig, SlotsPerClaim, compare_claims, nli_threshold, slot_conflicts
from .embed import Encoder, embed_texts, load_encoder
from .ingest import MAX_BYTES_DEFAULT, VERIFIED_LANGUAGES, Skipped, read_documents
from .nli import CachedNLI, NLIScorer, load_nli
from .segment import segment_document_cached
from .seqalign import OrderAlignConfig, align_in_order
from .types import MAX_CLAIMS_DEFAULT, AlignedPair, CheckError, Claim, Document, Dropped, ModelInfo, Report


@dataclass
class CheckConfig:
    encoder: str | None = None  # registry name, hub id or local path; None = registry default
    nli: str | None = None  # registry name, hub id, local path, or "none"
    align: AlignConfig = field(default_factory=AlignConfig)
    # documents that keep sentence order (a source and its translation): order-aware alignment instead
    # of margin scores (``checker.seqalign``)
    align_order: OrderAlignConfig | None = None
    compare: CompareConfig = field(default_factory=CompareConfig)
    cache_dir: Path | None = None  # None = default user cache; use_cache=False disables
    use_cache: bool = True
    max_bytes: int = MAX_BYTES_DEFAULT
    languages: tuple[str, ...] | None = None  # restrict to these languages
    progress: bool = True
    max_claims: int | None = MAX_CLAIMS_DEFAULT  # per document; None = no cap
    output_dir: Path | None = None  # where the report goes: its report files are never read as inputs
    on_warning: Callable[[str], None] | None = None  # told at once of warnings that change what is checked


@dataclass
class Models:
    encoder: Encoder
    nli: NLIScorer | None


def open_cache(config: CheckConfig) -> ResultCache | None:
    """The result cache a run reads and fills (embeddings, NLI probabilities), unless disabled."""
    return ResultCache(config.cache_dir or default_cache_dir()) if config.use_cache else None


def load_models(config: CheckConfig) -> Models:
    """The configured models. The default ones build their weights on first use, so a run whose
    results are all cached loads none."""
    cache = open_cache(config)
    encoder = load_encoder(config.encoder, cache=cache)
    models = Models(encoder=encoder, nli=load_nli(config.nli, encoder=encoder, cache=cache))
    if cache:
        cache.close()
    return models


def cached_nli(nli: NLIScorer | None, cache: ResultCache | None) -> NLIScorer | None:
    """``nli`` reading and filling the result cache (a head over sentence vectors is cheap: left as is)."""
    if nli is None or cache is None or isinstance(nli, CachedNLI) or hasattr(nli, "predict_vectors"):
        return nli
    return CachedNLI(nli, cache)


# A check of this many claims or more drops each model's built weights once its stage is done (peak memory);
# the next check builds them again, which costs little beside a check of that size
RELEASE_MIN_CLAIMS = 5000
BACKGROUND_SLOTS_MIN_CLAIMS = 500  # fewer claims' slots take well under a second: no thread


def release_weights(model: object) -> None:
    """Free a model's built weights where it can build them again (``release``), and give the memory back
    to the system; others keep theirs."""
    release = getattr(model, "release", None)
    if callable(release):
        release()
        from .e5model import return_freed_memory

        return_freed_memory()


def check(inputs: list[Path] | list[str], config: CheckConfig | None = None, models: Models | None = None,
          dateline: dt.date | None = None) -> Report:
    """Run the whole pipeline on the language versions of one story. ``dateline``: the story's date, for
    versions whose text carries none."""
    config = config or CheckConfig()
    started = time.perf_counter()
    cache = open_cache(config)  # one connection for the whole run: detected languages, embeddings, NLI
    try:
        documents, skipped = read_documents([Path(p) for p in inputs], max_bytes=config.max_bytes,
                                            languages=config.languages, output_dir=config.output_dir, cache=cache)
        return check_documents(documents, config, models, skipped=skipped, started=started, dateline=dateline,
                               cache=cache)
    finally:
        if cache:
            cache.close()


def check_documents(documents: list[Document], config: CheckConfig | None = None, models: Models | None = None,
                    *, skipped: list[Skipped] | None = None, started: float | None = None,
                    dateline: dt.date | None = None, cache: ResultCache | None = None) -> Report:
    """The pipeline from segmentation on, for documents already read (``ingest.read_document``).
    Documents without a dateline get the story's dateline (``dateline`` when given) assigned (pass
    copies to reuse one elsewhere). ``cache``: the result cache to use (default: the configured one);
    it is closed when the run ends."""
    config = config or CheckConfig()
    cache = cache or open_cache(config)
    skipped = skipped or []
    timings: dict[str, float] = {}
    started = time.perf_counter() if started is None else started
    timings["ingest"] = time.perf_counter() - started
    warnings: list[str] = []
    if len(documents) < 2:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in skipped)
        raise CheckError(f"need at least two readable language versions, found {len(documents)}"
                         + (f" (skipped {reasons})" if reasons else ""))
    story_dateline = assign_story_dateline(documents, given=dateline)
    if story_dateline:
        for doc in documents:
            if doc.assumed_dateline and dateline:
                warnings.append(f"{doc.id}: no dateline; relative dates resolved against the story's "
                                f"{dateline.isoformat()}")
            elif doc.assumed_dateline:
                warnings.append(f"{doc.id}: no dateline; relative dates resolved against {story_dateline.isoformat()} "
                                "from the other versions")
    languages = sorted({d.language for d in documents})
    if len(languages) == 1:
        warnings.append(f"all documents are in one language ({languages[0]}): checked as versions of one story")
    unverified = sorted({d.language for d in documents} - set(VERIFIED_LANGUAGES))
    if unverified:
        warnings.append(f"language(s) {', '.join(unverified)} are outside the verified set "
                        f"({', '.join(VERIFIED_LANGUAGES)}): results are best-effort")

    t0 = time.perf_counter()
    cache = open_cache(config)
    claims: list[Claim] = []
    dropped: list[Dropped] = []
    for doc in documents:
        doc_claims, doc_dropped = segment_document_cached(doc, cache)
        if not doc_claims:
            warnings.append(f"{doc.id}: no claims found after removing page furniture")
        if config.max_claims is not None and len(doc_claims) > config.max_claims:
            warnings.append(f"{doc.id}: {len(doc_claims)} claims, only the first {config.max_claims} are checked "
                            "(--max-claims)")
            if config.on_warning:  # before the long part of the run, not in the summary only
                config.on_warning(warnings[-1])
            doc_claims = doc_claims[:config.max_claims]
        claims.extend(doc_claims)
        dropped.extend(doc_dropped)
    timings["segment"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    models = models or load_models(config)
    timings["load_models"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # anchoring reads each version's dates against its own dateline only: a borrowed one may be the outlier's.
    # Those fact slots are extracted while the claims are embedded (the encoder leaves the interpreter free).
    own_dates_ready = SlotsPerClaim([replace(d, assumed_dateline=None) for d in documents], cache).start_prefetch(
        claims, background=len(claims) >= BACKGROUND_SLOTS_MIN_CLAIMS)
    # identical claim texts (repeated lines, boilerplate) are embedded once
    vectors = embed_texts(models.encoder, [c.normalized for c in claims], cache=cache, progress=config.progress,
                          desc="embedding claims")
    timings["embed"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    align = config.align
    floor = getattr(models.encoder, "align_min_cosine", None)
    if floor is not None and align.min_cosine == AlignConfig().min_cosine:
        align = replace(align, min_cosine=floor)  # the encoder's own score scale, unless set explicitly
    if config.align_order is None:
        pairs = align_all(documents, claims, vectors, align, cache=cache)
    else:
        order = config.align_order

        def embed(texts: list[str]) -> np.ndarray:
            out = embed_texts(models.encoder, texts, cache=cache)
            return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

        def in_order(claims_a: list[Claim], emb_a: np.ndarray, claims_b: list[Claim], emb_b: np.ndarray,
                     settings: AlignConfig) -> list[AlignedPair]:
            return align_in_order(claims_a, emb_a, claims_b, emb_b, embed, order, settings.min_cosine)

        pairs = align_all(documents, claims, vectors, align, in_order)
    groups = group_claims(pairs, claims)
    timings["align"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if len(claims) >= RELEASE_MIN_CLAIMS:  # the encoder's weights make room for the cross-encoder's
        release_weights(models.encoder)
    claim_vectors = {c.id: vectors[n] for n, c in enumerate(claims)}
    own_dates = own_dates_ready()
    set_aside = off_event_documents(documents, claims, pairs, own_dates.__getitem__, claim_vectors,
                                    lambda pairs: slot_conflicts(documents, pairs, own_dates, cache, places=False))
    if set_aside and any(d.assumed_dateline for d in documents):
        # a version without a dateline never borrows the dateline of a report about another event
        for doc in documents:
            doc.assumed_dateline = None
        assign_story_dateline([d for d in documents if d.id not in set_aside], given=dateline, fill=documents)
        warnings = [w for w in warnings if "no dateline; relative dates resolved against" not in w]
        warnings[:0] = [f"{d.id}: no dateline; relative dates resolved against {d.assumed_dateline.isoformat()} "
                        "from the other versions" for d in documents if d.assumed_dateline]
    stats: dict[str, int] = {}
    # without a borrowed dateline the slots read for anchoring are the ones to compare: extracted once
    same_dates = not any(d.assumed_dateline for d in documents)
    slots = own_dates if same_dates else SlotsPerClaim(documents, cache).prefetch(
        [c for c in claims if c.doc_id not in set_aside])
    discrepancies, off_topic = compare_claims(documents, claims, pairs, cached_nli(models.nli, cache), config.compare,
                                              vectors=claim_vectors, encoder_name=models.encoder.info.name,
                                              set_aside=set_aside, min_cosine=align.min_cosine, stats=stats,
                                              slots=slots, cache=cache)
    timings["compare"] = time.perf_counter() - t0
    if len(claims) >= RELEASE_MIN_CLAIMS:  # and the report is written without either
        release_weights(models.nli)
    if cache:
        cache.close()
    if stats.get("nli_pairs", 0) < stats.get("nli_pairs_planned", 0):
        warnings.append(f"NLI ran on {stats['nli_pairs']} of {stats['nli_pairs_planned']} candidate pairs "
                        "(--max-nli-pairs)")
    for doc_id, info in set_aside.items():
        reasons = "; ".join(str(r) for r in info["reasons"])  # type: ignore[attr-defined]
        warnings.append(f"{doc_id}: set aside as likely another story or an older event ({reasons}); its claims "
                        "are not compared and its omissions are not reported")

    model_infos: list[ModelInfo] = [models.encoder.info]
    if models.nli is not None:
        model_infos.append(models.nli.info)
    timings["total"] = time.perf_counter() - started
    settings: dict[str, object] = {
        "align": asdict(align),
        # the contradiction threshold in force: the configured one, else the NLI model's calibrated one
        "compare": asdict(config.compare) | {"nli_threshold": nli_threshold(config.compare, models.nli)},
        "nli_pair_evaluations": stats.get("nli_evaluations", 0),
        "candidate_pairs": stats.get("candidate_pairs", 0),
        "warnings": warnings,
        "off_topic": off_topic,
        "set_aside": {doc_id: list(info["reasons"]) for doc_id, info in set_aside.items()},  # type: ignore[call-overload]
    }
    return Report(documents=documents, claims=claims, dropped=dropped, groups=groups, pairs=pairs,
                  discrepancies=discrepancies, models=model_infos,
                  skipped=[{"path": s.path, "reason": s.reason} for s in skipped],
                  settings=settings, timings=timings)


def assign_story_dateline(documents: list[Document], given: dt.date | None = None,
                          fill: list[Document] | None = None) -> dt.date | None:
    """Versions of one story appear within days of each other: a document without a dateline borrows the
    story's ``given`` dateline, else the most common dateline of ``documents`` (the latest on a tie),
    marked as assumed; ``fill`` names the documents that borrow it when they are not the same ones."""
    counts = Counter(d.dateline for d in documents if d.dateline)
    if not counts and given is None:
        return None
    story = given or max(counts, key=lambda day: (counts[day], day))
    for doc in fill if fill is not None else documents:
        if doc.dateline is None:
            doc.assumed_dateline = story
    return story


def align_all(documents: list[Document], claims: list[Claim], vectors: np.ndarray, config: AlignConfig,
              aligner: Callable[..., list[AlignedPair]] = align_documents,
              cache: ResultCache | None = None) -> list[AlignedPair]:
    """Align every pair of documents (in input order) with ``aligner`` (``align_documents``' signature);
    the default aligner's alignments are kept in ``cache``."""
    rows: dict[str, list[int]] = {}
    for n, claim in enumerate(claims):
        rows.setdefault(claim.doc_id, []).append(n)
    pairs: list[AlignedPair] = []
    for doc_a, doc_b in itertools.combinations(documents, 2):
        ia, ib = rows.get(doc_a.id, []), rows.get(doc_b.id, [])
        args = ([claims[i] for i in ia], vectors[ia], [claims[i] for i in ib], vectors[ib], config)
        pairs.extend(align_documents_cached(*args, cache) if cache is not None and aligner is align_documents
                     else aligner(*args))
    return pairs
