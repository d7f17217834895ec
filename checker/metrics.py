"""Evaluation metrics, shared by ``claimcheck eval`` and the NLI head trainer: precision/recall/F1,
classification reports (from label strings or from label-index arrays), majority baselines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from .types import NLI_LABELS

CONTRADICTION = NLI_LABELS.index("contradiction")


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 (0 where undefined), with the counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def classification_metrics(gold: Sequence[str], pred: Sequence[str],
                           labels: Sequence[str] = NLI_LABELS) -> dict[str, object]:
    """Accuracy, per-label P/R/F1, macro F1, confusion (gold -> pred -> count)."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    per_label = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        per_label[label] = prf(tp, fp, fn)
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    confusion = {g: {p: sum(1 for a, b in zip(gold, pred, strict=True) if a == g and b == p) for p in labels}
                 for g in labels}
    return {"n": len(gold), "accuracy": round(correct / len(gold), 4) if gold else 0.0,
            "macro_f1": round(float(np.mean([m["f1"] for m in per_label.values()])), 4),
            "per_label": per_label, "confusion": confusion}


def binary_metrics(gold: Iterable[bool], pred: Iterable[bool]) -> dict[str, float]:
    pairs = list(zip(gold, pred, strict=True))
    return prf(sum(g and p for g, p in pairs), sum(p and not g for g, p in pairs),
               sum(g and not p for g, p in pairs))


def majority_baseline(gold: Sequence[str]) -> dict[str, object]:
    """Always predict the most frequent gold label of the evaluated set."""
    label, count = Counter(gold).most_common(1)[0]
    return {"label": label, "accuracy": round(count / len(gold), 4),
            "contradiction": binary_metrics((g == "contradiction" for g in gold),
                                             (label == "contradiction" for _ in gold))}


def link_metrics(pred: set, gold: set) -> dict[str, float]:
    return prf(len(pred & gold), len(pred - gold), len(gold - pred))


def metrics(y: np.ndarray, pred: np.ndarray, langs: Sequence[str] | None = None) -> dict:
    """NLI classification report from label-index arrays, with per-language accuracy when ``langs`` is given."""
    n = len(y)
    cm = np.zeros((3, 3), dtype=int)
    for t, p in zip(y, pred, strict=True):
        cm[t, p] += 1
    per_label = {}
    f1s = []
    for k, name in enumerate(NLI_LABELS):
        tp = cm[k, k]
        prec = tp / cm[:, k].sum() if cm[:, k].sum() else 0.0
        rec = tp / cm[k, :].sum() if cm[k, :].sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        f1s.append(f1)
        per_label[name] = {"precision": round(float(prec), 4), "recall": round(float(rec), 4),
                           "f1": round(float(f1), 4), "support": int(cm[k, :].sum())}
    majority = Counter(y.tolist()).most_common(1)[0]
    out = {"n": n, "accuracy": round(float((y == pred).mean()), 4) if n else 0.0,
           "macro_f1": round(float(np.mean(f1s)), 4), "per_label": per_label,
           "confusion": cm.tolist(),
           "majority_baseline": {"label": NLI_LABELS[majority[0]], "accuracy": round(majority[1] / n, 4)}}
    if langs is not None:
        by_lang: dict[str, dict] = {}
        for lang in sorted(set(langs)):
            mask = np.array([x == lang for x in langs])
            yl, pl = y[mask], pred[mask]
            c = yl == CONTRADICTION
            by_lang[lang] = {"n": int(mask.sum()), "accuracy": round(float((yl == pl).mean()), 4),
                             "contradiction_recall": round(float((pl[c] == CONTRADICTION).mean()), 4)
                             if c.any() else None,
                             "majority_baseline": round(Counter(yl.tolist()).most_common(1)[0][1] / len(yl), 4)}
        out["per_language"] = by_lang
    return out
