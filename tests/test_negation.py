"""Negation cues (``checker.negation``): clause negation in each language, idioms that carry no polarity,
repeated answers, and the softer negative words that may stand for a cue in a translation."""

from __future__ import annotations

import pytest

from checker.negation import negations, polarity, without_negation


@pytest.mark.parametrize(("lang", "text", "count"), [
    ("en", "The ministry will not publish the figures, and it didn't say why.", 2),
    ("en", "Nobody was hurt.", 1),
    ("ar", "ولن يتم افتتاح الجسر غدا.", 1),
    ("ar", "فلا مزيد من البحث.", 1),  # a cue with a leading conjunction ف
    ("ar", "لم تكن هناك أي شكاوى من السكان.", 1),
    ("fa", "این پل فردا افتتاح نمی\u200cشود.", 1),
    ("fa", "دانشجویان کتاب‌های خود را پس ندادند.", 1),  # a negated verb other than نمی‌
    ("ms", "Kerajaan tidak akan membina jambatan itu.", 1),
    ("id", "Rumah itu bukanlah tempat yang aman.", 1),
    ("id", "Petani itu tidak tidak mampu membayar sewa.", 2),  # a double negation counts twice
])
def test_negation_cues_in_each_language(lang: str, text: str, count: int) -> None:
    assert negations(text, lang) == count


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Not only the ministry but also the army agreed."),
    ("en", "No fewer than 20 people came, whether or not they were invited."),
    ("en", "We couldn't help but laugh at the joke."),
    ("ar", "ولا يزال معدل الاهتمام عاليا."),  # "still"
    ("ar", "ولا سيما في المدن الكبرى."),  # "especially"
    ("fa", "نه تنها دولت بلکه ارتش موافقت کرد."),
    ("fa", "از او پرسیدند که آیا می‌آید یا نه."),  # "or not"
    ("ms", "Bukan sahaja kerajaan, malah tentera bersetuju."),
    ("id", "Tidak lama kemudian, mereka tiba."),  # "soon"
    ("en", "The report is due no later than next spring."),
    ("ar", "لم يعرف سوى القليل عن الأسباب."),  # negation and exception: "only little was known"
    ("ar", "يجب تقديم الطلبات في موعد لا يتجاوز نهاية الشهر."),  # "no later than"
    ("ms", "Tiada siapa yang tahu kecuali dia."),  # "only he knows"
    ("id", "Tidak banyak yang diketahui."),  # "little"
    ("fa", "تا زمانی که توافقی برقرار نشود، کمکی داده می‌شود."),  # expletive negation of "until"
    ("fa", "افزایش قیمت نان از ۵ درصد فراتر نرفت."),  # "at most"
])
def test_idioms_carry_no_polarity(lang: str, text: str) -> None:
    assert negations(text, lang) == 0


def test_a_repeated_answer_counts_once() -> None:
    assert negations("No, no, no, no , no.", "en") == 1
    assert negations("لا، لا، لا، لا، لا.", "ar") == 1
    assert negations("Tidak, tidak, tidak, tidak.", "id") == 1


def test_neither_nor_is_one_negation() -> None:
    assert negations("Neither the ministry nor the army agreed.", "en") == 1
    assert negations("این خانه نه برای کودکان مناسب است و نه برای سالمندان.", "fa") == 1
    assert negations("لا هذا ولا ذاك.", "ar") == 1


def test_softer_negative_words_are_counted_apart() -> None:
    unfit = polarity("She is unfit to drive, without question.", "en")
    assert unfit.negations == 0 and {"unfit", "without"} <= set(unfit.soft)
    assert polarity("وغير لائق للعمل بعدم حدوث ذلك", "ar").soft  # غير, عدم
    assert not polarity("The United Nations discussed the university's report.", "en").soft
    assert negations("Anything", "xx") == 0 and polarity("Anything", "xx").soft == ()  # a language without cues


def test_clause_negation_is_told_from_negation_that_also_makes_words_negative() -> None:
    # English and Arabic cues, and Persian نمی‌ / نخواه-, only negate a clause; Malay tidak also makes adjectives
    # negative ("tidak sah", invalid) and a Persian negative verb may have a meaning of its own (ندارد, lacks)
    assert polarity("They will not come and won't call.", "en").clausal == 2
    assert polarity("لم يقل ذلك.", "ar").clausal == 1
    assert polarity("او نمی\u200cآید و پول ندارد.", "fa").clausal == 1
    assert polarity("Keputusan itu tidak sah.", "ms").clausal == 0


def test_words_of_difficulty_and_delay_may_render_a_negation() -> None:
    assert {"trouble", "postponed"} <= set(polarity("They had trouble and postponed it.", "en").soft)
    assert polarity("Pembaca sukar berhubung.", "ms").soft == ("sukar",)



def test_a_cue_that_agrees_with_a_later_cue_of_its_clause_counts_once() -> None:
    # Persian negative concord: هرگز ("never") with the negated verb of its clause is one negation
    assert negations("او هرگز به آن شهر سفر نمی\u200cکند.", "fa") == 1
    assert negations("او هرگز نیامد، و ما نمی\u200cدانیم چرا.", "fa") == 2  # a second clause keeps its own


@pytest.mark.parametrize(("lang", "text"), [
    ("ms", "Mereka datang bukan sekadar untuk makan."),  # "not merely"
    ("id", "Perubahan itu tidak dapat dihindari."),  # "inevitable"
    ("fa", "نمی\u200cتوان نقش او را انکار کرد."),  # "undeniable"
    ("ar", "لا يمكن الإنكار أن الطريق طويل."),
    ("fa", "فرقی نمی\u200cکند کدام روز بیایید."),  # "no matter"
    ("en", "There was nothing much on the menu."),  # "little"
    ("ar", "لا يوجد الكثير في المخزن."),
    ("en", "Why not ask the mayor?"),  # a suggestion
    ("id", "Mengapa tidak bertanya kepada wali kota?"),
    ("en", "The bridge will not open unless the inspection passes."),  # "only if"
    ("fa", "پل باز نمی\u200cشود، مگر اینکه بازرسی تمام شود."),
    ("ar", "لا يمكن فتح المتحف، والحديقة، والمكتبة، والمسرح للزوار إلا إذا انتهت الأعمال."),  # a list between
])
def test_more_idioms_carry_no_polarity(lang: str, text: str) -> None:
    assert negations(text, lang) == 0


def test_a_cue_in_quotation_marks_is_found() -> None:
    assert negations("Ibu bilang, 'jangan pulang malam.'", "id") == 1
    assert without_negation("Ibu bilang, 'jangan pulang malam.'", "id") == "Ibu bilang, ' pulang malam.'"
    assert without_negation("She wrote 'don't wait'.", "en") == "She wrote 'do wait'."


def test_a_compound_with_a_negative_first_part_is_a_softer_negative_word() -> None:
    assert polarity("نیروهای غیر-نظامی منطقه", "fa").soft
    assert polarity("دادگاه او را بیگناه دانست", "fa").soft  # "innocent", not a name beginning بیگ
    assert not polarity("a well-known figure", "en").soft
