"""Documents that quote a passage in another script: each such sentence is read in its own language."""

import datetime as dt
import json

from checker.compare import CompareConfig, compare_claims
from checker.ingest import dominant_script, passage_language
from checker.report import report_to_dict
from checker.segment import segment_document
from checker.types import AlignedPair, Claim, Document, Report

# A Malay report that quotes a statement in Arabic, and the English version of the same story.
MALAY = (
    "2025-03-04\n"
    "Menteri Agama berkata kerajaan akan membina 40 buah masjid baharu di Sabah dan Sarawak tahun ini.\n"
    "Dalam ucapannya, menteri turut memetik kenyataan Sheikh Al-Azhar yang disampaikan dalam bahasa Arab:\n"
    "قال شيخ الأزهر إن التعليم هو الطريق الوحيد لبناء مجتمع قوي ومتماسك في كل مكان وفي كل زمان، "
    "وإن المساجد يجب أن تكون مراكز للعلم والمعرفة، مضيفا أن الأزهر سيرسل ثلاثين معلما إلى ماليزيا "
    "في شهر رمضان المقبل.\n"
    "Menteri berkata peruntukan sebanyak RM120 juta telah diluluskan untuk projek itu.\n"
)
ENGLISH = (
    "2025-03-04\n"
    "The religious affairs minister said the government will build 40 new mosques in Sabah and Sarawak this year.\n"
    "In his speech, the minister also quoted a statement by the Sheikh of Al-Azhar delivered in Arabic:\n"
    "The Sheikh of Al-Azhar said that education is the only path to a strong society everywhere.\n"
    "He added that Al-Azhar will send forty teachers to Malaysia in the coming month of Ramadan.\n"
    "The minister said an allocation of RM120 million had been approved for the project.\n"
)
# A Persian report quoting a spokesman in English.
PERSIAN = (
    "2025-02-10\n"
    "شورای شهر بندرعباس روز دوشنبه اعلام کرد که خط جدید کشتی میان بندرعباس و جزیره قشم راه‌اندازی می‌شود.\n"
    "سخنگوی شرکت کشتیرانی به زبان انگلیسی گفت: "
    "\"We expect about 3,000 passengers a day in the first year, and the boats will sail from 20 April.\"\n"
    "قیمت بلیت فعلی ۲۰۰ هزار تومان است.\n"
)


def _doc(doc_id: str, raw: str, language: str) -> Document:
    return Document(id=doc_id, path=f"{doc_id}.txt", raw=raw, language=language, dateline=dt.date(2025, 3, 4),
                    body_start=raw.index("\n") + 1)


def test_script_of_a_passage():
    assert dominant_script("Menteri berkata 40 masjid") == "LATIN"
    assert dominant_script("قال شيخ الأزهر 30") == "ARABIC"
    assert dominant_script("2025 — 40 %") is None


def test_a_passage_in_the_documents_script_keeps_the_documents_language():
    # detection is not run on every sentence: a Malay sentence of a Malay page stays Malay even when short
    assert passage_language("Ok, terima kasih semua.", "ms", "LATIN") == "ms"
    assert passage_language("وأضاف أن الأزهر سيرسل ثلاثين معلما إلى ماليزيا.", "ms", "LATIN") == "ar"
    assert passage_language("12 / 40", "fa", "ARABIC") == "fa"


def test_quoted_sentences_get_their_own_language_rules_and_normalisation():
    claims, _ = segment_document(_doc("ms", MALAY, "ms"))
    arabic = [c for c in claims if dominant_script(c.text) == "ARABIC"]
    assert arabic and all(c.language == "ar" for c in arabic)
    assert all(c.language == "" for c in claims if c not in arabic)
    # the Arabic sentence is split at its own connector ("، مضيفا"), as in an Arabic document
    assert len(arabic) == 2 and arabic[1].text.startswith("مضيفا")
    claims, _ = segment_document(_doc("fa", PERSIAN, "fa"))
    english = [c for c in claims if c.language == "en"]
    assert len(english) == 1 and "3,000 passengers" in english[0].text
    # Persian letter rules are not applied to the English quotation; ZWNJ of the Persian lines is kept
    assert "\u200c" in claims[0].normalized


def test_a_value_in_a_quoted_passage_is_compared_in_its_own_language():
    docs = [_doc("ms", MALAY, "ms"), _doc("en", ENGLISH, "en")]
    ms_claims, _ = segment_document(docs[0])
    en_claims, _ = segment_document(docs[1])
    quoted = next(c for c in ms_claims if c.text.startswith("مضيفا"))
    counterpart = next(c for c in en_claims if "forty teachers" in c.text)
    pairs = [AlignedPair(quoted.id, counterpart.id, 0.95, 1.1, True)]
    found, _ = compare_claims(docs, ms_claims + en_claims, pairs, None, CompareConfig(unmatched=False))
    numbers = [d for d in found if d.kind == "number"]
    # "ثلاثين" (30) against "forty" (40): missed when the Arabic passage was read with Malay number words
    assert [(d.values_a, d.values_b) for d in numbers] == [(["30"], ["40"])]


def _report(docs: list[Document], claims: list[Claim]) -> dict:
    return report_to_dict(Report(documents=docs, claims=claims, dropped=[], groups=[], pairs=[], discrepancies=[],
                                 models=[]), generated_at="2025-01-01T00:00:00+00:00")


def test_report_names_a_claims_language_only_where_it_differs():
    mixed = _doc("ms", MALAY, "ms")
    claims, _ = segment_document(mixed)
    data = _report([mixed], claims)
    languages = [c.get("language") for c in data["documents"][0]["claims"]]
    assert languages.count("ar") == 2 and languages.count(None) == len(languages) - 2
    single = _doc("en", ENGLISH, "en")
    claims, _ = segment_document(single)
    assert '"language": "en"' not in json.dumps(_report([single], claims)["documents"][0]["claims"])
