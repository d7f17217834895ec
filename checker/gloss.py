"""Machine-translation gloss of claims, for an editor who does not read a version's language.

Any transformers sequence-to-sequence translation model loads here by hub id or local path (opus-mt,
NLLB, M2M100, ...). No translation weights ship in any package, so glossing is off unless a model is
named. Glosses are cached on disk by model + language pair + text hash; a gloss is always shown as
machine translation, never in place of the original."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cache import default_cache_dir
from .fileio import write_atomic
from .registry import is_test_model
from .types import CheckError, ModelInfo

# ISO 639-1 -> the FLORES-200 codes NLLB tokenizers use; other families use plain or __xx__ codes.
NLLB_CODES = {"en": "eng_Latn", "ar": "arb_Arab", "fa": "pes_Arab", "ms": "zsm_Latn", "id": "ind_Latn",
              "fr": "fra_Latn", "de": "deu_Latn", "es": "spa_Latn", "tr": "tur_Latn", "ur": "urd_Arab",
              "he": "heb_Hebr", "ru": "rus_Cyrl", "zh": "zho_Hans"}


def default_gloss_cache() -> Path:
    return default_cache_dir().parent / "gloss"


class Glosser:
    """Translates (text, language) pairs into ``target``; texts already in ``target`` are not glossed."""

    def __init__(self, model: str, target: str = "en", *, cache_dir: Path | None = None,
                 batch_size: int = 8, max_new_tokens: int = 200) -> None:
        try:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(model)
            self.model = AutoModelForSeq2SeqLM.from_pretrained(model)
        except ImportError as exc:
            raise CheckError(f"translation model {model!r} needs a package that is not installed: {exc}") from exc
        except (OSError, ValueError, KeyError) as exc:
            raise CheckError(f"cannot load translation model {model!r}: {str(exc).splitlines()[0]}") from exc
        self.model.eval()
        self.target = target.strip().lower()
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        self.cache_dir = cache_dir if cache_dir is not None else default_gloss_cache()
        version = str(getattr(self.model.config, "_name_or_path", "") or model)
        self.info = ModelInfo("gloss", model, version, not is_test_model(model))
        self.calls = 0  # model batches run, for tests of the cache
        self._memory: dict[str, str] = {}

    def _lang_code(self, language: str) -> str | None:
        """The tokenizer's own token for a language, where the model is many-to-many."""
        vocab = self.tokenizer.get_vocab()
        for code in (NLLB_CODES.get(language), f"__{language}__", language):
            if code and code in vocab and code != self.tokenizer.unk_token:
                return code
        return None

    def _key(self, text: str, language: str) -> str:
        payload = "\x1f".join([self.info.name, self.info.version, language, self.target, text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _cache_path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.txt"

    def _cached(self, key: str) -> str | None:
        if key in self._memory:
            return self._memory[key]
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = self._cache_path(key).read_text(encoding="utf-8")
            self._memory[key] = text
            return text
        return None

    def _store(self, key: str, text: str) -> None:
        self._memory[key] = text
        with contextlib.suppress(OSError):  # best-effort, like the embedding cache
            write_atomic(self._cache_path(key), text)

    def _translate(self, texts: list[str], language: str) -> list[str]:
        import torch

        kwargs: dict[str, Any] = {}
        source, target = self._lang_code(language), self._lang_code(self.target)
        if source and hasattr(self.tokenizer, "src_lang"):
            self.tokenizer.src_lang = source
        if target and (source or hasattr(self.tokenizer, "src_lang")):
            kwargs["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(target)
        out: list[str] = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(texts[start:start + self.batch_size], return_tensors="pt", padding=True,
                                   truncation=True, max_length=512, return_token_type_ids=False)
            # a translation is rarely more than twice as many tokens as its source
            limit = min(self.max_new_tokens, 2 * int(batch["input_ids"].shape[1]) + 10)
            with torch.inference_mode():
                generated = self.model.generate(**batch, **kwargs, max_new_tokens=limit)
            self.calls += 1
            out.extend(" ".join(t.split()) for t in self.tokenizer.batch_decode(generated, skip_special_tokens=True))
        return out

    def gloss(self, items: Sequence[tuple[str, str]]) -> list[str | None]:
        """One gloss per (text, language); None where the text is already in the target language."""
        results: list[str | None] = [None] * len(items)
        todo: dict[str, dict[str, list[int]]] = {}  # language -> text -> positions
        for i, (text, language) in enumerate(items):
            language = language.split("-")[0].lower()
            if language == self.target or not text.strip():
                continue
            cached = self._cached(self._key(text, language))
            if cached is not None:
                results[i] = cached
            else:
                todo.setdefault(language, {}).setdefault(text, []).append(i)
        for language, texts in sorted(todo.items()):
            unique = list(texts)
            for text, translated in zip(unique, self._translate(unique, language), strict=True):
                self._store(self._key(text, language), translated)
                for i in texts[text]:
                    results[i] = translated
        return results
