from checker.segment import segment_document, split_sentences
from checker.types import Document


def _doc(text: str, language: str = "en") -> Document:
    return Document(id="doc", path="doc.txt", raw=text, language=language)


def test_sentences_keep_offsets_into_the_original_text():
    text = "Dr. Smith arrived on Monday. He left at 3.5 p.m. on Tuesday! Was it late? Yes."
    spans = split_sentences(text, 0, len(text))
    pieces = [text[s:e] for s, e in spans]
    assert pieces == ["Dr. Smith arrived on Monday.", "He left at 3.5 p.m. on Tuesday!", "Was it late?", "Yes."]


def test_arabic_quotes_and_question_mark():
    text = 'قال الوزير: "وصلنا إلى اتفاق". وأضاف أن التنفيذ سيبدأ غدا؟ نعم.'
    pieces = [text[s:e] for s, e in split_sentences(text, 0, len(text))]
    assert pieces[0].endswith('اتفاق".')
    assert pieces[1].startswith("وأضاف")


def test_boilerplate_is_dropped_and_recorded():
    text = ("Talks end with a deal\nTalks end with a deal\n"
            "The two governments agreed on a new trade deal on Friday after long talks.\n"
            "Officials said the agreement will take effect next year.\n"
            "Share\nComments\nNo comments yet. Be the first to comment!\nGreat article\nLucky Draw Pools\n")
    claims, dropped = segment_document(_doc(text))
    assert [c.text for c in claims] == [
        "Talks end with a deal",
        "The two governments agreed on a new trade deal on Friday after long talks.",
        "Officials said the agreement will take effect next year.",
    ]
    reasons = {d.text: d.reason for d in dropped}
    assert reasons["Talks end with a deal"].startswith("repeated line")
    assert reasons["Share"].startswith("page furniture")
    assert reasons["Comments"].startswith("comment box")
    assert reasons["Lucky Draw Pools"].startswith("comment box")
    for claim in claims:
        assert text[claim.start:claim.end] == claim.text


def test_trailing_spam_line_is_dropped():
    text = ("The two governments agreed on a new trade deal on Friday after long talks.\n"
            "Officials said the agreement will take effect next year.\nMega Lucky Pools\n")
    claims, dropped = segment_document(_doc(text))
    assert len(claims) == 2
    assert dropped[-1].text == "Mega Lucky Pools"
    assert dropped[-1].reason.startswith("trailing fragment")


def test_semicolon_joined_statements_become_two_claims():
    text = ("The ministry said the airport will reopen on Monday after repairs; "
            "the union announced a strike for the same day over unpaid wages.")
    claims, _ = segment_document(_doc(text))
    assert len(claims) == 2
    assert claims[1].text.startswith("the union")
    assert claims[0].sentence == claims[1].sentence == text


def test_long_arabic_sentence_splits_at_reporting_connector():
    text = ("وقال المتحدث باسم الوزارة في تصريح للصحفيين إن المفاوضات بين الجانبين أسفرت عن اتفاق شامل "
            "حول كل الملفات العالقة منذ سنوات طويلة بين البلدين الجارين في المنطقة، مؤكداً أن التنفيذ سيبدأ "
            "في الشهر المقبل بإشراف لجنة مشتركة.")
    claims, _ = segment_document(_doc(text, "ar"))
    assert len(claims) == 2
    assert claims[1].text.startswith("مؤكداً")


def test_claim_ids_count_in_reading_order():
    text = "First claim is here today.\nSecond claim is here today.\nThird claim is here today."
    claims, _ = segment_document(_doc(text))
    assert [c.id for c in claims] == ["doc#1", "doc#2", "doc#3"]


def test_a_long_stretch_without_punctuation_is_cut_into_bounded_claims():
    text = " ".join(f"word{i}" for i in range(3000))
    claims, _ = segment_document(_doc(text))
    assert len(claims) > 1
    assert all(len(c.text) <= 1200 for c in claims)
    assert " ".join(c.text for c in claims) == text
    for claim in claims:
        assert text[claim.start:claim.end] == claim.text
