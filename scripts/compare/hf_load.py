#!/usr/bin/env python3
"""Check that a trained run's folder is a Hugging Face checkpoint that computes what our engine
computed, with transformers itself (no model written here). The math of one forward and backward
is checked tensor by tensor against transformers by test/gpu/fixtures.gpu.ts; this script checks
what those fixtures cannot: real files written by `npm run train`, loaded by `from_pretrained`.

  hf_load.py gpt DIR [--prompt P] [--tokens 200] [--no-generate]
      DIR from `npm run train -- gpt`. GPT2LMHeadModel.from_pretrained(DIR): no missing,
      unexpected or mismatched keys, every tensor of model.safetensors used, float32. Then greedy
      decoding of --tokens from --prompt with that model (the context cropped to the last
      n_positions tokens, as our generate does) must give the text of
      `npm run generate -- DIR --prompt P --temperature 0 --tokens N` (run here, in Chromium).
      Char-tokenizer folders only: the prompt's ids are its characters' places in tokenizer.json's
      "chars" list (BPE folders are loaded and checked, not decoded).

  hf_load.py bert RUN_DIR [--mask-text S …] [--top 5] [--no-engine]
      RUN_DIR from `npm run train -- bert`. (1) BertForSequenceClassification and BertTokenizer
      .from_pretrained(classifier/) (strict) score the held-out texts of heldout.tsv (padded batch,
      truncated to the block): P(positive) within 1e-4 of what our engine wrote there, no decision
      flipped. (2) BertForPreTraining.from_pretrained(pretrained/): only the tied
      cls.predictions.decoder.{weight,bias} may be missing, and transformers must tie them to the
      word embeddings and cls.predictions.bias. (3) fill-mask: transformers' fill-mask pipeline on
      BertForMaskedLM.from_pretrained(pretrained/) (unexpected: the pooler and NSP head only) and
      `npm run bert -- fill-mask RUN_DIR --json` (our engine, WebGPU; --no-engine skips it) give
      the same top-k tokens at every [MASK], probabilities within 1e-4.

Needs transformers (see common.import_transformers for a virtualenv built from this machine's
wheel files, no network). Exits non-zero on any mismatch. CPU.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import fail, from_pretrained_strict, import_transformers, run_npm  # noqa: E402

TOL = 1e-4  # max |probability difference| allowed, float32
TIED = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}
POOLER_NSP = {"bert.pooler.dense.weight", "bert.pooler.dense.bias", "cls.seq_relationship.weight", "cls.seq_relationship.bias"}
MASK_TEXTS = ["the [MASK] of the river was covered in grass.", "the [MASK] of the dog woke anna up."]


def cmd_gpt(a):
    import torch  # noqa: PLC0415
    from transformers import GPT2LMHeadModel  # noqa: PLC0415
    model, _ = from_pretrained_strict(GPT2LMHeadModel, a.dir)
    T = model.config.n_positions
    print(f"  {sum(p.numel() for p in model.parameters())} parameters, context {T}")
    if a.no_generate:
        return
    with open(os.path.join(a.dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    if tok.get("kind") != "char":
        print(f"  tokenizer.json is {tok.get('kind')!r}, not char: greedy text not compared")
        return
    chars = tok["chars"]
    ids = {c: i for i, c in enumerate(chars)}
    seq = [ids[c] for c in a.prompt]
    with torch.no_grad():
        for _ in range(a.tokens):
            seq.append(int(model(torch.tensor([seq[-T:]])).logits[0, -1].argmax()))
    mine = "".join(chars[i] for i in seq)
    theirs = run_npm("generate", "--", a.dir, "--prompt", a.prompt, "--temperature", "0", "--tokens", str(a.tokens))
    theirs = theirs[:-1] if theirs.endswith("\n") else theirs
    first = next((i for i, (p, q) in enumerate(zip(mine, theirs)) if p != q), min(len(mine), len(theirs)))
    print(f"greedy {a.tokens} tokens from {a.prompt!r}: "
          f"{'identical' if mine == theirs else f'differ from character {first}'} (GPT2LMHeadModel vs `npm run generate`)\n"
          f"--- transformers ---\n{mine}\n--- ours ---\n{theirs}\n---")
    if mine != theirs:
        fail("greedy generation differs")


def block_of(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "tokenizer_config.json")) as f:
        tcfg = json.load(f)
    return min(cfg.get("shadergrad", {}).get("options", {}).get("block", cfg["max_position_embeddings"]),
               tcfg.get("model_max_length", 1 << 30), cfg["max_position_embeddings"])


def read_heldout(path):
    """(labels, our P(positive), texts) from heldout.tsv: label<TAB>p_positive<TAB>text, header first."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[0].split("\t") != ["label", "p_positive", "text"]:
        fail(f"{path}: header {lines[0]!r}, expected label<TAB>p_positive<TAB>text")
    rows = [ln.split("\t", 2) for ln in lines[1:] if ln]
    return np.array([int(r[0]) for r in rows]), np.array([float(r[1]) for r in rows]), [r[2] for r in rows]


def check_classifier(run_dir, report):
    import torch  # noqa: PLC0415
    from transformers import BertForSequenceClassification, BertTokenizer  # noqa: PLC0415
    cdir = os.path.join(run_dir, "classifier")
    model, _ = from_pretrained_strict(BertForSequenceClassification, cdir)
    tok = BertTokenizer.from_pretrained(cdir)
    labels, ours, texts = read_heldout(os.path.join(run_dir, "heldout.tsv"))
    T = block_of(cdir)
    enc = tok(texts, padding=True, truncation=True, max_length=T, return_tensors="pt")
    with torch.no_grad():
        p = torch.softmax(model(**enc).logits.double(), dim=-1)[:, 1].numpy()
    unk = int((enc["input_ids"] == tok.unk_token_id).any(dim=1).sum())
    d = np.abs(p - ours)
    flips = int(((p > 0.5) != (ours > 0.5)).sum())
    acc = float(((p > 0.5) == (labels == 1)).mean())
    print(f"classifier on {len(texts)} held-out texts (BertTokenizer, block {T}, {unk} with [UNK]): max |ΔP(positive)| "
          f"vs heldout.tsv {d.max():.2e} (mean {d.mean():.1e}); decisions that flip: {flips}; accuracy {acc:.4f}")
    report.update(heldout=len(texts), max_abs_diff_p=float(d.max()), flips=flips, accuracy=acc, unk_texts=unk)
    if d.max() > TOL or flips:
        i = int(d.argmax())
        fail(f"P(positive) differs by {d.max():.2e} (> {TOL:g}) at {texts[i]!r}: transformers {p[i]:.6f}, ours {ours[i]:.6f}")
    return tok


def check_pretrained(run_dir, report):
    from transformers import BertForPreTraining  # noqa: PLC0415
    model, _ = from_pretrained_strict(BertForPreTraining, os.path.join(run_dir, "pretrained"), allowed_missing=TIED)
    dec, emb = model.cls.predictions.decoder, model.bert.embeddings.word_embeddings
    tied_w = dec.weight.data_ptr() == emb.weight.data_ptr()
    tied_b = dec.bias is None or dec.bias.data_ptr() == model.cls.predictions.bias.data_ptr()
    print(f"  decoder.weight is word_embeddings.weight (same storage): {tied_w}; decoder.bias is cls.predictions.bias: {tied_b}")
    report.update(decoder_tied=bool(tied_w), decoder_bias_tied=bool(tied_b))
    if not (tied_w and tied_b):
        fail("the MLM decoder is not tied to the word embeddings")


def check_fill_mask(a, tok, report):
    from transformers import BertForMaskedLM, pipeline  # noqa: PLC0415
    mlm, _ = from_pretrained_strict(BertForMaskedLM, os.path.join(a.run_dir, "pretrained"), allowed_unexpected=POOLER_NSP)
    fm = pipeline("fill-mask", model=mlm, tokenizer=tok, device="cpu")
    hf = []
    for text in a.mask_text:
        got = fm(text, top_k=a.top)
        for m in (got if got and isinstance(got[0], list) else [got]):  # one list per [MASK]
            hf.append((text, [(g["token_str"].replace(" ", ""), g["score"]) for g in m]))
            print(f"  {text!r} → " + ", ".join(f"{t} {s:.3f}" for t, s in hf[-1][1]))
    report["fill_mask"] = hf
    if a.no_engine:
        return
    out = json.loads(run_npm("bert", "--", "fill-mask", os.path.abspath(a.run_dir), "--top-k", str(a.top), "--json", *a.mask_text))
    ours = [(t["text"], [(c["token_str"], c["score"]) for c in m["candidates"]]) for t in out for m in t["masks"]]
    if len(ours) != len(hf):
        fail(f"our engine found {len(ours)} masks, transformers {len(hf)}")
    worst = 0.0
    for (text, mine), (_, theirs) in zip(ours, hf):
        if [t for t, _ in mine] != [t for t, _ in theirs]:
            fail(f"fill-mask {text!r}: ours {[t for t, _ in mine]} != transformers {[t for t, _ in theirs]}")
        worst = max(worst, max(abs(s - q) for (_, s), (_, q) in zip(mine, theirs)))
    print(f"  our engine (`npm run bert -- fill-mask`, WebGPU): the same top-{a.top} tokens at all {len(hf)} masks, "
          f"max |probability difference| {worst:.1e}")
    report["engine_fill_mask_max_diff"] = worst
    if worst > TOL:
        fail("our engine's fill-mask probabilities differ")


def cmd_bert(a):
    report = {"run_dir": a.run_dir}
    tok = check_classifier(a.run_dir, report)
    check_pretrained(a.run_dir, report)
    print(f"fill-mask, pretrained/ (top {a.top}):")
    check_fill_mask(a, tok, report)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gpt", help="a GPT run folder in GPT2LMHeadModel; greedy text = npm run generate")
    g.add_argument("dir")
    g.add_argument("--prompt", default="ROMEO:\n")
    g.add_argument("--tokens", type=int, default=200)
    g.add_argument("--no-generate", action="store_true", help="skip the greedy comparison (it starts Chromium)")
    b = sub.add_parser("bert", help="a BERT run folder in transformers: classifier, pretrained model, fill-mask")
    b.add_argument("run_dir")
    b.add_argument("--mask-text", nargs="+", default=MASK_TEXTS, help="sentences with [MASK] for the fill-mask check")
    b.add_argument("--top", type=int, default=5)
    b.add_argument("--no-engine", action="store_true", help="skip running our engine's fill-mask (npm run bert)")
    b.add_argument("--json", help="write the results here")
    a = p.parse_args()
    transformers = import_transformers()
    import torch  # noqa: PLC0415
    print(f"transformers {transformers.__version__}, torch {torch.__version__}:")
    cmd_gpt(a) if a.cmd == "gpt" else cmd_bert(a)
    print("OK")


if __name__ == "__main__":
    main()
