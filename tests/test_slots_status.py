"""Status of the event a claim reports (planned / begun / completed), per language, and when two claims'
statuses conflict. Sentences written for these tests."""

import datetime as dt

import numpy as np
import pytest

from checker.compare import CompareConfig, compare_claims
from checker.slots import extract_slots
from checker.slots.status import BEGUN, COMPLETED, PLANNED, claim_status, status_conflicts, status_events
from checker.types import AlignedPair, Claim, Discrepancy, Document

DAY = dt.date(2024, 5, 15)


@pytest.mark.parametrize("lang, text, value, cue", [
    ("en", "Government troops will take over the airport in the coming days.", PLANNED, "will take"),
    ("en", "The ministry plans to reopen the bridge next month.", PLANNED, "plans to reopen"),
    ("en", "The second stage will be completed by June.", PLANNED, "will be completed"),
    ("en", "Repairs to the dam began in March.", BEGUN, "began"),
    ("en", "The evacuation of the camp is under way.", BEGUN, "is under way"),
    ("en", "The evacuation of the camp has been completed, officials said.", COMPLETED, "has been completed"),
    ("en", "The last convoy has been evacuated from the port.", COMPLETED, "has been evacuated"),
    ("ms", "Tentera akan mengambil alih lapangan terbang itu minggu depan.", PLANNED, "akan mengambil"),
    ("ms", "Kerja-kerja membaiki empangan bermula pada bulan Mac.", BEGUN, "bermula"),
    ("ms", "Pemindahan penduduk kampung telah selesai pada hari Ahad.", COMPLETED, "telah selesai"),
    ("id", "Proyek jalan tol itu dijadwalkan rampung pada Juni.", PLANNED, "dijadwalkan rampung"),
    ("id", "Tim penyelamat sedang mengevakuasi warga dari desa itu.", BEGUN, "sedang mengevakuasi"),
    ("id", "Evakuasi warga dari pelabuhan sudah dilakukan sejak pagi.", COMPLETED, "sudah dilakukan"),
    ("ar", "ستتسلم القوات المطار خلال الأيام المقبلة.", PLANNED, "ستتسلم"),
    ("ar", "من المقرر أن يفتتح الجسر الشهر المقبل.", PLANNED, "من المقرر"),
    ("ar", "بدأ تنفيذ المشروع في آذار الماضي.", BEGUN, "بدأ"),
    ("ar", "أعلنت الوزارة إكمال عملية إخلاء المخيم.", COMPLETED, "إكمال"),
    ("ar", "تم إخلاء المخيم بالكامل يوم الأحد.", COMPLETED, "تم إخلاء"),
    ("fa", "نیروها طی روزهای آینده فرودگاه را تحویل خواهند گرفت.", PLANNED, "خواهند گرفت"),
    ("fa", "مرحله اول تا ژوئن تکمیل خواهد شد.", PLANNED, "تکمیل خواهد شد"),
    ("fa", "ساخت پل در ماه مارس آغاز شد.", BEGUN, "آغاز شد"),
    ("fa", "تخلیه اردوگاه روز یکشنبه به پایان رسید.", COMPLETED, "به پایان رسید"),
])
def test_the_status_of_the_main_event_is_read_with_the_cue_that_says_it(lang, text, value, cue):
    status = claim_status(text, lang)
    assert status is not None and status.value == value
    assert status.cues[0] == cue
    start, end = status.spans[0]
    assert text[start:end] == cue


@pytest.mark.parametrize("lang, text", [
    ("en", "The political will of the people was clear."),  # "will" governs no event
    ("en", "Troops will not leave the city."),  # negated
    ("en", "The pier should have been repaired years ago."),  # counterfactual
    ("en", "The new wing should have been finished by May."),  # counterfactual, with a completion verb
    ("en", "The bypass would have been completed by now."),
    ("ms", "Kerja-kerja itu sepatutnya selesai tahun lalu."),  # "ought to have been finished"
    ("id", "Pembangunan gedung itu seharusnya selesai pada bulan Juni."),
    ("ar", "كان من المفترض أن يكتمل بناء المستشفى العام الماضي."),  # "was supposed to be completed"
    ("en", "The rescue is almost completed."),  # not yet completed
    ("en", "Troops will hand over the camp after the evacuation has been completed."),  # no: see below
    ("ms", "Hujan lebat dijangka dalam beberapa minggu akan datang."),  # "akan datang": the coming days
    ("id", "Pembangunan jembatan itu belum selesai."),  # negated
    ("id", "Gempa itu telah menewaskan tiga orang."),  # a perfect needs a passive or a completion
    ("ar", "زار الوزير سيارة الإسعاف وتحدث عن السياسة."),  # nouns that begin like a future verb
    ("ar", "لن تتسلم القوات المطار."),  # negated
    ("ar", "بدا أن الوضع هادئ في المدينة."),  # "seemed", written like "began" without hamza
    ("fa", "نیروها فرودگاه را تحویل نخواهند گرفت."),  # negated
    ("fa", "او درباره کتاب جدیدش صحبت کرد."),  # no cue
])
def test_no_status_without_a_cue_of_the_claims_own_event(lang, text):
    status = claim_status(text, lang)
    if "after the evacuation" in text:  # the completion is in a subordinate clause: the claim is planned
        assert status is not None and status.value == PLANNED and status.cues == ("will hand",)
    else:
        assert status is None


def test_a_claim_whose_cues_disagree_has_no_status():
    assert claim_status("The first bridge was completed in May and the second will open in June.", "en") is None
    assert claim_status("The first bridge was completed in May.", "en") is not None


def test_an_unmarked_non_past_completion_is_not_definite():
    status = claim_status("تكتمل صيانة الطريق الساحلي بحلول آب 2025.", "ar")
    assert status is not None and status.value == COMPLETED and status.phase == "end" and not status.definite


def _conflicts(text_a: str, lang_a: str, text_b: str, lang_b: str, translation: bool = True) -> list:
    return status_conflicts(claim_status(text_a, lang_a), claim_status(text_b, lang_b),
                            extract_slots(text_a, lang_a, DAY), extract_slots(text_b, lang_b, DAY),
                            text_a, text_b, translation)


def test_planned_against_completed_about_one_place_conflicts():
    found = _conflicts("Government troops will take over Kandahar airport in the coming days.", "en",
                       "تم إخلاء مطار قندهار بالكامل.", "ar")
    assert [(c.kind, c.values_a, c.values_b) for c in found] == [("status", [PLANNED], [COMPLETED])]
    assert "will take" in found[0].note and "تم إخلاء" in found[0].note
    assert found[0].score < 0.3  # ranked below any date or number conflict


def test_begun_against_completed_of_one_date_conflicts_and_of_another_does_not():
    begun = "Repairs to the Mosul dam began in March 2024."
    assert [c.values_b for c in _conflicts(begun, "en", "تكتمل المرحلة الأولى من إصلاح سد الموصل في آذار 2024.", "ar")] \
        == [[COMPLETED]]
    # completion two months after the start: two stages of one job, no conflict
    assert _conflicts(begun, "en", "تكتمل المرحلة الأولى من إصلاح سد الموصل في أيار 2024.", "ar") == []
    # begun against completed without a date on both sides says nothing of one stage
    assert _conflicts("Repairs to the Mosul dam began.", "en", "Repairs to the Mosul dam were completed.", "en") == []


def test_different_sub_events_do_not_conflict():
    # different places
    assert _conflicts("Troops will take over Kandahar airport.", "en", "The evacuation of Herat airport has been completed.",
                      "en") == []
    # different dates
    assert _conflicts("Troops will take over Kandahar airport on 20 May 2024.", "en",
                      "The evacuation of Kandahar airport was completed on 2 March 2024.", "en") == []
    # neither a shared place nor a date: nothing says it is one event
    assert _conflicts("Troops will take over the airport.", "en", "The evacuation has been completed.", "en") == []


def test_a_completion_without_marked_time_does_not_contradict_a_plan():
    assert _conflicts("Troops will take over Kandahar airport.", "en", "يكتمل إخلاء مطار قندهار خلال أيام.", "ar") == []


def test_between_claims_that_are_no_translations_a_perfect_alone_is_too_weak():
    plan, done = "Troops will take over Kandahar airport.", "Kandahar airport has been evacuated."
    assert _conflicts(plan, "en", done, "en", translation=True)
    assert _conflicts(plan, "en", done, "en", translation=False) == []
    assert _conflicts(plan, "en", "The evacuation of Kandahar airport was completed.", "en", translation=False)


def _finding(a: str, b: str) -> Discrepancy:
    return Discrepancy(id="", kind="status", doc_a=a.split("#")[0], doc_b=b.split("#")[0], claim_a=a, claim_b=b,
                       text_a="", text_b="")


def test_status_conflicts_sharing_a_claim_are_one_event():
    events = status_events([_finding("a#1", "b#1"), _finding("c#1", "b#1"), _finding("a#5", "c#7")])
    assert sorted(sorted(f.claim_a for f in e) for e in events) == [["a#1", "c#1"], ["a#5"]]


def _claim(cid: str, text: str) -> Claim:
    return Claim(id=cid, doc_id=cid.split("#")[0], text=text, start=0, end=len(text), normalized=text)


def test_status_findings_are_reported_once_per_dissenting_version_and_can_be_turned_off():
    docs = [Document(id=d, path=d, raw="", language=lang, dateline=DAY) for d, lang in (("a", "en"), ("b", "ms"), ("c", "ar"))]
    claims = [_claim("a#1", "Government troops will take over Kandahar airport in the coming days."),
              _claim("b#1", "Tentera kerajaan akan mengambil alih lapangan terbang Kandahar dalam beberapa hari."),
              _claim("c#1", "أعلنت الوزارة إكمال عملية إخلاء مطار قندهار.")]
    pairs = [AlignedPair("a#1", "b#1", 0.95, 1.1, True), AlignedPair("a#1", "c#1", 0.9, 1.1, True),
             AlignedPair("b#1", "c#1", 0.9, 1.1, True)]
    vectors = {c.id: np.array([1.0, 0.0]) for c in claims}
    found, _ = compare_claims(docs, claims, pairs, None, CompareConfig(unmatched=False), vectors=vectors)
    status = [d for d in found if d.kind == "status"]
    assert len(status) == 1  # two pairs disagree with the Arabic version: one finding
    assert "c" in (status[0].doc_a, status[0].doc_b)
    assert "2 versions (a, b): planned; 1 version (c): completed" in status[0].note
    found, _ = compare_claims(docs, claims, pairs, None, CompareConfig(unmatched=False, status=False), vectors=vectors)
    assert not [d for d in found if d.kind == "status"]
