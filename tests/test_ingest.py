import datetime as dt
import sqlite3
import struct

import pytest

from checker.cache import CACHE_FILE, ResultCache
from checker.ingest import (
    decode_bytes,
    detect_language,
    find_dateline,
    html_to_text,
    read_document,
    read_documents,
)
from checker.textnorm import normalize_for_model, to_ascii_digits
from checker.types import CheckError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pemerintah Malaysia mengumumkan bahawa kerajaan akan menaikkan gaji penjawat awam tahun hadapan.", "ms"),
        ("Pemerintah Indonesia mengatakan bahwa pihaknya tidak akan menaikkan harga bahan bakar minyak.", "id"),
        ("قالت الحكومة إن الجيش سيتسلم المطار خلال الأيام المقبلة بعد انسحاب القوات.", "ar"),
        ("دولت اعلام کرد که ارتش طی روزهای آینده فرودگاه را تحویل خواهد گرفت.", "fa"),
        ("The government said the army will take over the airport in the coming days.", "en"),
    ],
)
def test_detects_the_five_verified_languages(text, expected):
    code, confidence = detect_language(text)
    assert code == expected
    assert confidence > 0.5


def test_unknown_text_has_no_language():
    assert detect_language("1234 5678 !!! ---")[0] is None


def test_detected_languages_are_cached_and_a_damaged_entry_is_detected_again(tmp_path, monkeypatch):
    from checker import ingest

    text = "Pemerintah Malaysia mengumumkan bahawa kerajaan akan menaikkan gaji penjawat awam tahun hadapan."
    first = detect_language(text, ResultCache(tmp_path))

    class Unused:
        def compute_language_confidence_values(self, sample):
            raise AssertionError("the cached answer was not used")

    monkeypatch.setattr(ingest, "_detector", Unused)
    assert detect_language(text, ResultCache(tmp_path)) == first
    monkeypatch.undo()
    confidence = struct.pack("<d", first[1])
    damaged = [b"", confidence[:7], struct.pack("<d", float("nan")) + b"ms", confidence + "ms\u0131".encode()]
    for damage in damaged:
        with sqlite3.connect(tmp_path / CACHE_FILE) as db:
            assert db.execute("UPDATE languages SET value = ?", (damage,)).rowcount == 1
        code, confidence_again = detect_language(text, ResultCache(tmp_path))  # detected again
        assert code == first[0] and confidence_again == pytest.approx(first[1], abs=1e-9)  # lingua's last digit
        stored = ResultCache(tmp_path).get_languages(ingest._detector_stamp(), [text])
        assert stored == {text: (code, confidence_again)}  # and written back


def test_a_sample_without_a_language_is_cached_as_such(tmp_path):
    cache = ResultCache(tmp_path)
    cache.put_languages("detector", [("sample", (None, 0.25)), ("other", ("fa", 0.75))])
    assert ResultCache(tmp_path).get_languages("detector", ["sample", "other", "new"]) == {
        "sample": (None, 0.25), "other": ("fa", 0.75)}
    assert ResultCache(tmp_path).get_languages("another detector", ["sample"]) == {}


def test_dateline_is_found_and_body_starts_after_it():
    text = " date 2025-03-09 • The council met today."
    day, start = find_dateline(text)
    assert day == dt.date(2025, 3, 9)
    assert text[start:].startswith("The council")


def test_dateline_with_persian_digits():
    day, _ = find_dateline("تاریخ ۱۴۰۳-۰۱-۰۱ نه")
    assert day is None or day.year == 1403  # not a Gregorian date: kept only if it parses as one
    day, start = find_dateline("۲۰۲۴-۰۵-۰۶ خبر")
    assert day == dt.date(2024, 5, 6)


def test_no_dateline_in_plain_text():
    assert find_dateline("The council met on 2025-03-09.") == (None, 0)


def test_digits_are_mapped_without_changing_length():
    src = "سال ۲۰۲۶ و ٢٠٢٥"
    out = to_ascii_digits(src)
    assert out == "سال 2026 و 2025"
    assert len(out) == len(src)


def test_model_normalisation_unifies_persian_letters_and_removes_tatweel():
    assert normalize_for_model("علي كتب ـــ", "fa") == "علی کتب"
    assert normalize_for_model("مُحَمَّد", "ar") == "محمد"


def test_html_scripts_and_styles_are_not_text():
    text = html_to_text("<html><head><style>p{}</style></head><body><p>First para.</p>"
                        "<script>alert('x')</script><p>Second &amp; last.</p></body></html>")
    assert "alert" not in text and "p{}" not in text
    assert text.splitlines() == ["First para.", "", "Second & last."]


def test_cp1256_arabic_is_decoded():
    raw = "قالت الحكومة إن الجيش سيتسلم المطار".encode("cp1256")
    text, encoding = decode_bytes(raw)
    assert "الحكومة" in text
    assert encoding.lower().replace("-", "").replace("_", "") in {"cp1256", "windows1256"}


def test_utf16_with_bom_is_decoded():
    text, _ = decode_bytes("Hello world".encode("utf-16"))
    assert text == "Hello world"


def test_bad_files_give_one_line_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(CheckError, match="empty file"):
        read_document(empty)
    with pytest.raises(CheckError, match="binary"):
        read_document(binary)


def test_read_documents_skips_with_reasons_and_keeps_order(story_dir):
    (story_dir / "notes.pdf").write_bytes(b"%PDF-1.4")
    (story_dir / "zz-empty.txt").write_text("   ")
    docs, skipped = read_documents([story_dir])
    assert [d.id for d in docs] == ["ar", "en", "ms"]
    assert [d.language for d in docs] == ["ar", "en", "ms"]
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons["notes.pdf"].startswith("unsupported file type")
    assert reasons["zz-empty.txt"] == "empty file"
    assert docs[1].dateline == dt.date(2024, 3, 4)


def test_missing_input_is_an_error(tmp_path):
    with pytest.raises(CheckError, match="not found"):
        read_documents([tmp_path / "nope"])


def test_same_file_name_in_two_folders_gets_unique_ids(tmp_path):
    text = "The government said the army will take over the airport in the coming days."
    for rel in ("d1/a-2.txt", "d1/a.txt", "d2/a.txt"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    docs, _ = read_documents([tmp_path / "d1", tmp_path / "d2"])
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids)) == 3
    assert ids == ["a-2", "a", "a-3"]
