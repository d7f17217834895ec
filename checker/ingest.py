"""Stage 1: read language versions of a story: decode, strip HTML, find the dateline, detect the
language, and normalise text for the models while claims keep offsets into the original text."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from .textnorm import to_ascii_digits
from .types import MAX_BYTES_DEFAULT, REPORT_FILES, CheckError, Document

if TYPE_CHECKING:  # the cache module loads numpy
    from .cache import ResultCache

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES

# Languages the detector chooses among; the first five are the ones the shipped models were verified on.
VERIFIED_LANGUAGES = ("ar", "fa", "ms", "id", "en")
DETECTABLE_LANGUAGES = VERIFIED_LANGUAGES + (
    "ur", "tr", "fr", "de", "es", "it", "pt", "nl", "ru", "zh", "hi", "sw", "tl", "so", "he",
)
MIN_LANGUAGE_CONFIDENCE = 0.5


@dataclass
class Skipped:
    path: str
    reason: str


def input_path_error(path: Path) -> str | None:
    """Why a named input cannot be used (missing, a symlink loop, unreadable), or None."""
    try:
        path.stat()
    except FileNotFoundError:
        return f"input not found: {path}" + (" (broken symbolic link)" if path.is_symlink() else "")
    except OSError as exc:
        return f"{path}: cannot read ({exc.strerror or exc})"
    return None


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def is_own_report(path: Path, output_dir: Path | None = None) -> bool:
    """A report file written by claimcheck: a report file name in the output folder, or a page or
    Markdown report carrying claimcheck's own header. Folder inputs never read these back."""
    if path.name not in REPORT_FILES.values():
        return False
    if output_dir is not None and _same_folder(path.parent, output_dir):
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return head.startswith(b"# claimcheck report") or b'<meta name="generator" content="claimcheck' in head


def folder_files(folder: Path, output_dir: Path | None = None) -> tuple[list[Path], list[Skipped]]:
    """The supported files of a folder (non-recursive, sorted); others are skipped with a reason."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    try:
        children = sorted(folder.iterdir())
    except OSError as exc:
        raise CheckError(f"{folder}: cannot read folder ({exc.strerror or exc})") from exc
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_file() and is_own_report(child, output_dir):
            skipped.append(Skipped(str(child), "a claimcheck report (output), not an input"))
        elif child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
            files.append(child)
        elif child.is_file():
            skipped.append(Skipped(str(child), f"unsupported file type {child.suffix or '(none)'}"))
    return files, skipped


def collect_paths(inputs: Iterable[Path], output_dir: Path | None = None) -> tuple[list[Path], list[Skipped]]:
    """Expand folders (non-recursive, sorted) into files; unknown suffixes and claimcheck's own report
    files in folders are skipped with a reason."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for item in inputs:
        path = Path(item)
        error = input_path_error(path)
        if error:
            raise CheckError(error)
        if path.is_dir():
            found, not_used = folder_files(path, output_dir)
            files.extend(found)
            skipped.extend(not_used)
        elif path.is_file():
            files.append(path)
        else:
            raise CheckError(f"not a regular file or folder: {path}")
    return files, skipped


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a byte order mark (zero bytes in every other position for Latin
    text), decoded; None when the bytes do not read as such text."""
    sample = data[:8192]
    if b"\x00" not in sample or len(data) % 2:
        return None
    # the zero bytes are the high bytes of ASCII characters: odd positions in little-endian text
    little = sample[1::2].count(0) >= sample[0::2].count(0)
    for enc in (("utf-16-le",) if little else ("utf-16-be",)):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        head = text[:4096]
        control = sum(1 for ch in head if ord(ch) < 9 or 13 < ord(ch) < 32)
        readable = sum(1 for ch in head if ch.isalpha() or ch.isspace() or ch in ".,:;!?'\"()-؟،")
        if head and control == 0 and readable / len(head) > 0.9:
            return text
    return None


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if _utf16_without_bom(data) is not None:
        return False
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM: judge the decoded characters
        text = sample[: len(sample) // 2 * 2].decode("utf-16", errors="replace")
        control = sum(1 for ch in text if ord(ch) < 9 or 13 < ord(ch) < 32)
        return bool(text) and control / len(text) > 0.05
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and control / len(sample) > 0.05


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode with UTF-8 first (BOM-aware), else the best guess of charset-normalizer."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc), enc
    text = _utf16_without_bom(data)
    if text is not None:
        return text, "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("unknown text encoding")
    return str(best), best.encoding


class _HTMLText(HTMLParser):
    """Visible text of an HTML page: scripts, styles and other non-content elements are dropped."""

    SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "nav", "footer", "form", "button"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
             "blockquote", "header", "title", "dd", "dt", "figcaption", "time"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip_depth += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_DATELINE = re.compile(
    r"^\s*(?:(?:date|dated|dateline|published|tarikh|tanggal|تاريخ|التاريخ|تاریخ)\s*[:：]?\s*)?"
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\s*[•·|\-–—:]?\s*",
    re.IGNORECASE,
)


def find_dateline(text: str) -> tuple[dt.date | None, int]:
    """A leading ISO-style date (optionally labelled, e.g. 'date 2024-03-12') and where the story starts."""
    match = _DATELINE.match(to_ascii_digits(text[:200]))
    if not match:
        return None, 0
    try:
        day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None, 0
    return day, match.end()


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in DETECTABLE_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _lingua_version() -> str:
    """lingua's installed version, read from the name of its metadata folder beside the package
    (importing importlib.metadata takes longer than a cached run's whole language lookup)."""
    spec = importlib.util.find_spec("lingua")
    if spec is not None and spec.origin:
        found = list(Path(spec.origin).parent.parent.glob("lingua_language_detector-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("lingua_language_detector-").removesuffix(".dist-info")
    from importlib.metadata import version

    return version("lingua-language-detector")


@lru_cache(maxsize=1)
def _detector_stamp() -> str:
    """What the detector's answers depend on: lingua's version and the languages it chooses among."""
    return f"lingua {_lingua_version()}: {','.join(DETECTABLE_LANGUAGES)}"


def _detected(sample: str, cache: ResultCache | None) -> tuple[str | None, float]:
    """The detector's first choice for a sample (None when no language scores) and its confidence.
    Answers are kept in the result cache when one is given: the detector loads its models for every
    language of the sample's script on first use, a tenth of a second or more."""
    if cache is not None:
        stored = cache.get_languages(_detector_stamp(), [sample]).get(sample)
        if stored is not None:
            return stored
    values = _detector().compute_language_confidence_values(sample)
    found = (values[0].language.iso_code_639_1.name.lower(), float(values[0].value)) if values else (None, 0.0)
    if cache is not None:
        cache.put_languages(_detector_stamp(), [(sample, found)])
    return found


def detect_language(text: str, cache: ResultCache | None = None) -> tuple[str | None, float]:
    """ISO 639-1 code and confidence, or (None, confidence) when no language is clear enough;
    ``cache`` remembers answers between runs."""
    sample = text[:4000]
    if not re.search(r"\w{2,}", sample):
        return None, 0.0
    code, confidence = _detected(sample, cache)
    if code is None or confidence < MIN_LANGUAGE_CONFIDENCE:
        return None, confidence
    return code, confidence


def dominant_script(text: str) -> str | None:
    """The writing system most letters of ``text`` are in (the first word of their Unicode names:
    LATIN, ARABIC, CYRILLIC, ...), or None for text without letters."""
    counts: dict[str, int] = {}
    for ch, n in Counter(text).items():
        script = _script_of(ch)
        if script is not None:
            counts[script] = counts.get(script, 0) + n
    return max(sorted(counts), key=counts.__getitem__) if counts else None


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> str | None:
    """The writing system of a letter (first word of its Unicode name), None for a character that is none."""
    return unicodedata.name(ch, "?").split(" ")[0] if ch.isalpha() else None


def passage_language(text: str, document_language: str, document_script: str | None,
                     context: str = "", cache: ResultCache | None = None) -> str:
    """The language of a passage of a document: the document's, unless the passage is written in
    another script (a quotation, a paragraph in another language); then the language detected on the
    passage, else on its ``context`` (its line), else the document's (``cache``: as ``detect_language``)."""
    script = dominant_script(text)
    if script is None or script == document_script:
        return document_language
    for sample in (text, context):
        if sample and dominant_script(sample) == script:
            language, _ = detect_language(sample, cache)
            if language is not None:
                return language
    return document_language


def unify_lines(text: str) -> str:
    """One newline convention and NFC, as every reader of a file sees it."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def read_document(path: Path, *, max_bytes: int = MAX_BYTES_DEFAULT, cache: ResultCache | None = None) -> Document:
    """Read one language version (``cache`` remembers detected languages). Raises CheckError with a
    one-line reason when it cannot be used."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CheckError(f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (--max-mb)")
        data = path.read_bytes()
    except OSError as exc:
        raise CheckError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise CheckError(f"{path}: empty file")
    if looks_binary(data):
        raise CheckError(f"{path}: binary file, not text")
    try:
        text, encoding = decode_bytes(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckError(f"{path}: cannot decode text ({exc})") from exc
    markup = None
    if path.suffix.lower() in HTML_SUFFIXES or re.match(r"\s*(<!doctype html|<html)", text[:200], re.I):
        markup = unify_lines(text)
        text = html_to_text(text)
    text = unify_lines(text)
    if not text.strip():
        raise CheckError(f"{path}: no text content")
    dateline, body_start = find_dateline(text)
    language, confidence = detect_language(text[body_start:], cache)
    if language is None:
        raise CheckError(f"{path}: language not recognised (best guess confidence {confidence:.2f})")
    return Document(id=path.stem, path=str(path), raw=text, language=language, language_confidence=confidence,
                    dateline=dateline, encoding=encoding, body_start=body_start, markup=markup)


def read_documents(paths: list[Path], *, max_bytes: int = MAX_BYTES_DEFAULT,
                   languages: Iterable[str] | None = None,
                   output_dir: Path | None = None,
                   cache: ResultCache | None = None) -> tuple[list[Document], list[Skipped]]:
    """Read all inputs; documents that cannot be used are skipped with a reason (never silently).
    ``cache`` remembers detected languages."""
    files, skipped = collect_paths(paths, output_dir)
    allowed = set(languages) if languages else None
    documents: list[Document] = []
    for file in files:
        try:
            doc = read_document(file, max_bytes=max_bytes, cache=cache)
        except CheckError as exc:
            skipped.append(Skipped(str(file), str(exc).split(": ", 1)[-1]))
            continue
        if allowed is not None and doc.language not in allowed:
            skipped.append(Skipped(str(file), f"language {doc.language} not in --languages"))
            continue
        documents.append(doc)
    return unique_ids(documents), skipped


def unique_ids(documents: list[Document]) -> list[Document]:
    """Give documents with the same file name in two folders distinct ids: a, a-2, a-3, ... (in place)."""
    used_ids: set[str] = set()
    for doc in documents:
        base, n = doc.id, 1
        while doc.id in used_ids:
            n += 1
            doc.id = f"{base}-{n}"
        used_ids.add(doc.id)
    return documents
