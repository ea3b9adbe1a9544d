#!/usr/bin/env python3
"""Check our BERT against Hugging Face transformers: a run's folder loads with `from_pretrained`
and computes what our engine computed.

  python scripts/compare/bert_hf.py RUN_DIR [--mask-text S …] [--json FILE]

RUN_DIR is the --out folder of `npm run train -- bert`: classifier/ and pretrained/ (each
model.safetensors, config.json, vocab.txt, tokenizer_config.json) and heldout.tsv
(`label<TAB>p_positive<TAB>text` lines, header first: our classifier's P(positive) on the
held-out sentences, as our engine computed it in Chromium).

  1. Tokenizer. Every held-out text is split by a mirror of src/text/wordpiece.ts below (clean,
     lowercase, strip accents, split on whitespace then on punctuation/symbols, greedy longest-
     match WordPiece) and, with transformers, by BertTokenizer.from_pretrained(classifier/): the
     pieces must be the same, none [UNK], and decoding must give the text back (up to spaces).
  2. Classifier. BertForSequenceClassification.from_pretrained(classifier/) (no missing,
     unexpected or misshapen tensors allowed) runs every held-out text as our predict() does
     ([CLS] pieces [SEP], truncated to the block, segment 0, padding masked); P(positive) must
     match heldout.tsv within 1e-4 (float32; float64 shown too), and the accuracy is shown
     beside ours (heldout.tsv, metrics.json finetune_accuracy).
  3. Pretrained model. BertForPreTraining.from_pretrained(pretrained/): the only keys allowed
     missing are cls.predictions.decoder.{weight,bias}, which we do not write because they are
     tied (decoder.weight must then be word_embeddings.weight, the same storage, and
     decoder.bias cls.predictions.bias); every tensor of the file must be used. Then fill-mask:
     the top-5 tokens for each --mask-text, then the same from BertForMaskedLM.from_pretrained(
     pretrained/) (unexpected: the pooler and NSP head only) in transformers' fill-mask pipeline.
  4. Our engine's fill-mask. `npm run bert -- fill-mask RUN_DIR --json` (run here, in Chromium on
     WebGPU) on the same texts must give the same top-k tokens at every [MASK], with probabilities
     within 1e-4 of the model above (float32). --no-engine skips this (no Chromium at hand).

Tokenizers: the mirror follows ours, which makes every \p{P} and \p{S} character a word;
BertTokenizer splits off \p{P} and ASCII symbols only, so a text with a non-ASCII symbol (€, ©)
can split differently (`€3` is one word there, two here). The check reports any such text.

Also, always: the same files are loaded strictly (every tensor used, none missing, every shape
right) into a small post-LN BERT written below with transformers' parameter names and layouts
(nn.Linear (out, in) weights, gelu_new, LayerNorm eps from config.json, no dropout). With
transformers installed its logits are compared with transformers' (a check of this module);
without transformers (e.g. Debian's python3 with only torch and numpy) the checks above run on
this module and the output says so.

Exits non-zero on any mismatch. Needs torch and numpy only (a tiny safetensors reader is below);
transformers is optional. CPU.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import unicodedata

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_np import read_safetensors  # noqa: E402
import torch
import torch.nn as nn
import torch.nn.functional as F

TOL = 1e-4  # max |P(positive) difference| allowed, float32
TIED = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"}
POOLER_NSP = {"bert.pooler.dense.weight", "bert.pooler.dense.bias", "cls.seq_relationship.weight", "cls.seq_relationship.bias"}
FILES = ("model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json")
MASK_TEXTS = ["the [MASK] of the river was covered in grass.", "the [MASK] of the dog woke anna up."]


def fail(msg):
    sys.exit(f"FAIL: {msg}")


# ---- safetensors and our files ---------------------------------------------------------------

def read_dir(d):
    for f in FILES:
        if not os.path.exists(os.path.join(d, f)):
            fail(f"{d} has no {f}")
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "tokenizer_config.json")) as f:
        tcfg = json.load(f)
    with open(os.path.join(d, "vocab.txt"), encoding="utf-8") as f:
        vocab = f.read().split("\n")
    if vocab and vocab[-1] == "":
        vocab.pop()
    if len(vocab) != cfg["vocab_size"]:
        fail(f"{d}: vocab.txt has {len(vocab)} tokens, config.json vocab_size {cfg['vocab_size']}")
    return cfg, tcfg, vocab


def read_heldout(path):
    """(labels, our P(positive), texts) from heldout.tsv; the text is everything after the second tab."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[0].split("\t") != ["label", "p_positive", "text"]:
        fail(f"{path}: header {lines[0]!r}, expected label<TAB>p_positive<TAB>text")
    rows = [ln.split("\t", 2) for ln in lines[1:] if ln]
    return np.array([int(r[0]) for r in rows]), np.array([float(r[1]) for r in rows]), [r[2] for r in rows]


# ---- src/text/wordpiece.ts, mirrored ---------------------------------------------------------

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
SPECIAL_RE = re.compile(r"(\[PAD\]|\[UNK\]|\[CLS\]|\[SEP\]|\[MASK\])")


def is_han(ch):
    """Han ideographs (ours tests \\p{Script=Han}; these are BERT's CJK blocks, the same for our texts)."""
    cp = ord(ch)
    return any(a <= cp <= b for a, b in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                         (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


class WordPiece:
    """Our WordPieceTokenizer (encode path): vocab.txt line = id, specials found by name."""

    def __init__(self, vocab, lowercase=True, strip_accents=None, max_chars=100):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.special_ids = {self.ids[s] for s in SPECIALS}
        self.unk, self.cls, self.sep, self.pad, self.mask = (self.ids[s] for s in ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"))
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.max_chars = max_chars

    def normalize(self, s):
        s = "".join(" " if c.isspace() else c for c in s)
        s = "".join(c for c in s if unicodedata.category(c) not in ("Cc", "Cf") and c != "\ufffd")
        if self.lowercase:
            s = s.lower()
        if self.strip_accents:
            s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
        return s

    def words(self, text):
        out = []
        for i, part in enumerate(SPECIAL_RE.split(text)):
            if i % 2 == 1:
                out.append(part)
                continue
            for chunk in self.normalize(part).split(" "):
                cur = ""
                for ch in chunk:
                    if unicodedata.category(ch)[0] in "PS" or is_han(ch):
                        if cur:
                            out.append(cur)
                        out.append(ch)
                        cur = ""
                    else:
                        cur += ch
                if cur:
                    out.append(cur)
        return out

    def encode_word(self, w):
        if w in SPECIALS:
            return [self.ids[w]]
        if len(w) > self.max_chars:
            return [self.unk]
        out, start = [], 0
        while start < len(w):
            found, end = -1, len(w)
            while end > start:
                i = self.ids.get(("##" if start > 0 else "") + w[start:end])
                if i is not None and i not in self.special_ids:
                    found = i
                    break
                end -= 1
            if found < 0:
                return [self.unk]
            out.append(found)
            start = end
        return out

    def encode(self, text):
        return [i for w in self.words(text) for i in self.encode_word(w)]

    def pieces(self, text):
        return [self.vocab[i] for i in self.encode(text)]


def glue(pieces):
    """Pieces → text without spaces (## glued), to compare with the text without spaces."""
    return "".join(p[2:] if p.startswith("##") else p for p in pieces)


# ---- BERT with transformers' names and layouts ------------------------------------------------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Dense(nn.Module):
    """A holder with a `dense` Linear and, for the output sublayers, a LayerNorm: transformers' nesting."""

    def __init__(self, i, o, eps=None):
        super().__init__()
        self.dense = nn.Linear(i, o)
        if eps is not None:
            self.LayerNorm = nn.LayerNorm(o, eps=eps)


class SelfAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)


class Attention(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        setattr(self, "self", SelfAttention(d))  # transformers calls it attention.self
        self.output = Dense(d, d, eps)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, eps = c["hidden_size"], c["layer_norm_eps"]
        self.heads = c["num_attention_heads"]
        self.attention = Attention(d, eps)
        self.intermediate = Dense(d, c["intermediate_size"])
        self.output = Dense(c["intermediate_size"], d, eps)

    def forward(self, x, key_mask):  # x (B, T, D), key_mask (B, T) bool: True on real tokens
        B, T, D = x.shape
        H = self.heads
        sa = getattr(self.attention, "self")
        q, k, v = (m(x).view(B, T, H, D // H).transpose(1, 2) for m in (sa.query, sa.key, sa.value))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D // H)
        s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        a = (F.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, D)
        ao = self.attention.output
        x = ao.LayerNorm(x + ao.dense(a))  # post-LN
        f = self.output.dense(gelu_new(self.intermediate.dense(x)))
        return self.output.LayerNorm(x + f)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], d)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], d)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], d)
        self.LayerNorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1])[None, :]
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(types))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Dense(c["hidden_size"], c["hidden_size"])

    def forward(self, ids, types, mask):
        x = self.embeddings(ids, types)
        for layer in self.encoder.layer:
            x = layer(x, mask.bool())
        return x, torch.tanh(self.pooler.dense(x[:, 0]))


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class PreTrainingHeads(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)
        self.seq_relationship = nn.Linear(c["hidden_size"], 2)


def check_config(c):
    want = {"hidden_act": "gelu_new", "position_embedding_type": "absolute", "attention_probs_dropout_prob": 0}
    for k, v in want.items():
        if c.get(k, v) != v:
            fail(f"config.json {k} = {c[k]!r}; our engine (and this check) compute {v!r}")


class BertForPreTraining(nn.Module):
    """transformers' BertForPreTraining parameter tree; the decoder is word_embeddings (tied) + cls.predictions.bias."""

    def __init__(self, c):
        super().__init__()
        check_config(c)
        self.bert = BertModel(c)
        self.cls = PreTrainingHeads(c)

    def forward(self, ids, types, mask):  # → MLM logits (B, T, V), NSP logits (B, 2)
        h, pooled = self.bert(ids, types, mask)
        t = self.cls.predictions.transform
        t = t.LayerNorm(gelu_new(t.dense(h)))
        return t @ self.bert.embeddings.word_embeddings.weight.T + self.cls.predictions.bias, self.cls.seq_relationship(pooled)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        check_config(c)
        self.bert = BertModel(c)
        self.classifier = nn.Linear(c["hidden_size"], c.get("num_labels", len(c.get("id2label", {})) or 2))

    def forward(self, ids, types, mask):  # → logits (B, labels)
        return self.classifier(self.bert(ids, types, mask)[1])


def load_strict(model, tensors, skip=()):
    """Copy every tensor into the model; error on any missing, unexpected or misshapen one."""
    want = {n: tuple(p.shape) for n, p in model.state_dict().items()}
    missing = sorted(set(want) - set(tensors))
    extra = sorted(set(tensors) - set(want) - set(skip))
    bad = [f"{n} {tuple(tensors[n].shape)} != {want[n]}" for n in want if n in tensors and tuple(tensors[n].shape) != want[n]]
    if missing or extra or bad:
        fail(f"model.safetensors does not fit: missing {missing}, unexpected {extra}, shapes {bad}")
    with torch.no_grad():
        for n in want:
            model.get_parameter(n).copy_(torch.from_numpy(np.array(tensors[n])))
    return len(want)


# ---- running both ----------------------------------------------------------------------------

def encode_batch(wp, texts, T):
    """As our predict(): [CLS] pieces [SEP] per text, pieces cut to T − 2 (packPair), padded on the
    right with [PAD] to the longest, segment 0, attention mask 1 on real tokens."""
    seqs = [[wp.cls] + wp.encode(t)[:T - 2] + [wp.sep] for t in texts]
    L = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), L), wp.pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, torch.zeros_like(ids), mask


class Hf:
    """transformers' models called like ours: (ids, types, mask) → logits."""

    def __init__(self, model, kind):
        self.model, self.kind = model, kind

    def __call__(self, ids, types, mask):
        out = self.model(input_ids=ids, token_type_ids=types, attention_mask=mask)
        return (out.prediction_logits, out.seq_relationship_logits) if self.kind == "pretrain" else out.logits

    def to(self, dtype):
        self.model.to(dtype)
        return self


def hf_load(cls, d, allowed_missing=(), allowed_unexpected=()):
    """from_pretrained with the loading info; report it and fail on anything not allowed."""
    model, info = cls.from_pretrained(d, output_loading_info=True, attn_implementation="eager")
    info = {k: sorted(v) if isinstance(v, (set, list, tuple)) else v for k, v in info.items()}
    print(f"  {cls.__name__}.from_pretrained({d}): " + ", ".join(f"{k} {v}" for k, v in info.items()))
    missing, unexpected = set(info.get("missing_keys", [])), set(info.get("unexpected_keys", []))
    bad = {k: v for k, v in info.items() if v and k not in ("missing_keys", "unexpected_keys")}
    if missing - set(allowed_missing) or unexpected - set(allowed_unexpected) or bad:
        fail(f"{cls.__name__}.from_pretrained({d}) reported {info}")
    # every tensor of the file must have a home (from_pretrained would list it as unexpected; check anyway)
    names = set(read_safetensors(os.path.join(d, "model.safetensors")))
    unused = names - set(model.state_dict()) - set(allowed_unexpected)
    if unused:
        fail(f"{d}/model.safetensors tensors not in {cls.__name__}: {sorted(unused)}")
    p = next(model.parameters())
    if p.dtype != torch.float32:
        fail(f"{cls.__name__} loaded as {p.dtype}, expected float32")
    return model.eval(), info


def max_diff(a, b):
    if isinstance(a, tuple):
        return max(max_diff(x, y) for x, y in zip(a, b))
    return (a - b).abs().max().item()


@torch.no_grad()
def p_positive(model, ids, types, mask, dtype):
    m = model.to(dtype)
    p = F.softmax(m(ids, types, mask).double(), dim=-1)[:, 1].numpy()
    model.to(torch.float32)
    return p


def check_tokenizer(wp, hf_tok, texts, report):
    """Mirror of ours vs BertTokenizer: same pieces, no [UNK], round trip up to spaces."""
    unk = [t for t in texts if wp.unk in wp.encode(t)]
    no_rt = [t for t in texts if glue(wp.pieces(t)) != "".join(wp.normalize(t).split())]
    diff, hf_unk, hf_rt = [], [], []
    if hf_tok is not None:
        for t in texts:
            mine, theirs = wp.pieces(t), hf_tok.tokenize(t)
            if mine != theirs:
                diff.append((t, mine, theirs))
            ids = hf_tok(t)["input_ids"]
            if hf_tok.unk_token_id in ids:
                hf_unk.append(t)
            if "".join(hf_tok.decode(ids, skip_special_tokens=True).split()) != "".join(wp.normalize(t).split()):
                hf_rt.append(t)
    n_pieces = sum(len(wp.encode(t)) for t in texts)
    ex = texts[0]
    print(f"tokenizer: {len(texts)} held-out texts, {n_pieces} word pieces; [UNK] in {len(unk)}; "
          f"round trip fails for {len(no_rt)} (our WordPiece, mirrored)")
    if hf_tok is not None:
        print(f"  {type(hf_tok).__name__}.from_pretrained: pieces differ from ours on {len(diff)} texts; [UNK] in {len(hf_unk)}; "
              f"decode round trip fails for {len(hf_rt)}")
        print(f"  e.g. {ex!r} → {hf_tok.tokenize(ex)} → {hf_tok.decode(hf_tok(ex)['input_ids'], skip_special_tokens=True)!r}")
    else:
        print(f"  e.g. {ex!r} → {wp.pieces(ex)}")
    report.update(tokenizer_texts=len(texts), tokenizer_pieces=n_pieces, tokenizer_unk=len(unk) + len(hf_unk),
                  tokenizer_round_trip_failures=len(no_rt) + len(hf_rt), tokenizer_piece_mismatches=len(diff))
    for t, mine, theirs in diff[:3]:
        print(f"  differ: {t!r}\n    ours {mine}\n    HF   {theirs}")
    if unk or no_rt or diff or hf_unk or hf_rt:
        fail("the tokenizers disagree, or a held-out text has [UNK] or does not round-trip")


def check_classifier(d, model, wp, hf_tok, T, report):
    labels, ours, texts = read_heldout(os.path.join(d, "heldout.tsv"))
    ids, types, mask = encode_batch(wp, texts, T)
    if hf_tok is not None:  # transformers end to end: its tokenizer's batch must be ours
        enc = hf_tok(texts, padding=True, truncation=True, max_length=T, return_tensors="pt")
        if not (torch.equal(enc["input_ids"], ids) and torch.equal(enc["token_type_ids"], types) and torch.equal(enc["attention_mask"], mask)):
            fail("BertTokenizer's padded batch (input_ids, token_type_ids, attention_mask) differs from ours")
        ids, types, mask = enc["input_ids"], enc["token_type_ids"], enc["attention_mask"]
        print(f"classifier inputs: BertTokenizer(texts, padding=True, truncation=True, max_length={T}) = ours, token for token")
    p32 = p_positive(model, ids, types, mask, torch.float32)
    p64 = p_positive(model, ids, types, mask, torch.float64)
    d32, d64 = np.abs(p32 - ours), np.abs(p64 - ours)
    acc_ours = float(((ours > 0.5) == (labels == 1)).mean())
    acc_here = float(((p32 > 0.5) == (labels == 1)).mean())
    flips = int(((p32 > 0.5) != (ours > 0.5)).sum())
    metrics_path = os.path.join(d, "metrics.json")
    m_acc = json.load(open(metrics_path)).get("finetune_accuracy") if os.path.exists(metrics_path) else None
    truncated = int(sum(len(wp.encode(t)) > T - 2 for t in texts))
    print(f"classifier on {len(texts)} held-out texts ({truncated} cut to the block {T}): max |ΔP(positive)| vs heldout.tsv "
          f"{d32.max():.2e} in float32 (mean {d32.mean():.1e}), {d64.max():.2e} in float64; decisions that flip: {flips}")
    print(f"  accuracy here {acc_here:.4f}, ours (heldout.tsv) {acc_ours:.4f}, metrics.json finetune_accuracy {m_acc}")
    report.update(heldout=len(texts), max_abs_diff_p_float32=float(d32.max()), max_abs_diff_p_float64=float(d64.max()),
                  mean_abs_diff_p_float32=float(d32.mean()), accuracy=acc_here, accuracy_ours=acc_ours,
                  metrics_finetune_accuracy=m_acc, flips=flips, truncated=truncated)
    if not (d32.max() <= TOL and d64.max() <= TOL) or flips:
        i = int(d32.argmax())
        fail(f"P(positive) differs by {d32.max():.2e} (> {TOL:g}) at {texts[i]!r}: here {p32[i]:.6f}, ours {ours[i]:.6f}")
    if m_acc is not None and abs(m_acc - acc_ours) > 1e-9:
        fail(f"heldout.tsv accuracy {acc_ours} != metrics.json finetune_accuracy {m_acc}")


@torch.no_grad()
def fill_mask(model, wp, hf_tok, texts, T, k, report):
    """Top-k tokens at each [MASK] (softmax over the vocabulary, as transformers' fill-mask pipeline)."""
    out = []
    for text in texts:
        ids, types, mask = encode_batch(wp, [text], T)
        if hf_tok is not None:
            theirs = hf_tok(text, truncation=True, max_length=T)["input_ids"]
            if theirs != ids[0].tolist():
                fail(f"fill-mask input {text!r}: BertTokenizer {theirs} != ours {ids[0].tolist()}")
        if wp.unk in ids[0].tolist():
            print(f"  note: {text!r} has [UNK] pieces: {wp.pieces(text)}")
        logits, _ = model(ids, types, mask)
        pos = (ids[0] == wp.mask).nonzero().flatten().tolist()
        if not pos:
            fail(f"no [MASK] in {text!r}")
        for p in pos:
            probs = F.softmax(logits[0, p].double(), dim=-1)
            top = torch.topk(probs, k)
            cands = [(wp.vocab[i], float(s)) for s, i in zip(top.values.tolist(), top.indices.tolist())]
            print(f"  {text!r} → " + ", ".join(f"{t} {s:.3f}" for t, s in cands))
            out.append({"text": text, "position": p, "top": cands})
    report["fill_mask"] = out
    return out


def check_pipeline(pdir, hf_tok, texts, k, ours, report):
    """BertForMaskedLM.from_pretrained(pretrained/) in transformers' own fill-mask pipeline: same top-k."""
    from transformers import BertForMaskedLM, pipeline  # noqa: PLC0415
    mlm, info = hf_load(BertForMaskedLM, pdir, allowed_unexpected=POOLER_NSP)
    report["masked_lm_loading_info"] = info
    fm = pipeline("fill-mask", model=mlm, tokenizer=hf_tok, device="cpu")
    worst = 0.0
    for text, want in zip(texts, ours):  # one [MASK] per text
        got = fm(text, top_k=k)
        got = got[0] if got and isinstance(got[0], list) else got
        if [g["token_str"].replace(" ", "") for g in got] != [t for t, _ in want["top"]]:
            fail(f"fill-mask pipeline {text!r}: {[g['token_str'] for g in got]} != {[t for t, _ in want['top']]}")
        worst = max(worst, max(abs(g["score"] - s) for g, (_, s) in zip(got, want["top"])))
    print(f"  transformers' fill-mask pipeline on BertForMaskedLM: the same top-{k} tokens, max |score difference| {worst:.1e}")
    report["pipeline_max_score_diff"] = worst
    if worst > 1e-5:
        fail("fill-mask pipeline scores differ")


def check_engine_fill_mask(run_dir, texts, k, ours, report):
    """`npm run bert -- fill-mask` (our WebGPU engine) gives the top-k just computed here."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cmd = ["npm", "run", "--silent", "bert", "--", "fill-mask", os.path.abspath(run_dir), "--top-k", str(k), "--json", *texts]
    r = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"npm run bert -- fill-mask failed ({r.returncode}):\n{r.stderr}")
    engine = {(t["text"], m["position"]): m["candidates"] for t in json.loads(r.stdout) for m in t["masks"]}
    worst = 0.0
    for want in ours:
        got = engine.get((want["text"], want["position"]))
        if got is None:
            fail(f"our engine reports no [MASK] at position {want['position']} of {want['text']!r}")
        if [c["token_str"] for c in got] != [t for t, _ in want["top"]]:
            fail(f"fill-mask {want['text']!r} @{want['position']}: engine {[c['token_str'] for c in got]} != here {[t for t, _ in want['top']]}")
        worst = max(worst, max(abs(c["score"] - s) for c, (_, s) in zip(got, want["top"])))
    if len(engine) != len(ours):
        fail(f"our engine found {len(engine)} masks, here {len(ours)}")
    print(f"  our engine (`npm run bert -- fill-mask`, WebGPU): the same top-{k} tokens at all {len(ours)} masks, "
          f"max |probability difference| {worst:.1e}")
    report["engine_fill_mask_max_diff"] = worst
    if worst > TOL:
        fail("our engine's fill-mask probabilities differ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--mask-text", nargs="+", default=MASK_TEXTS, help="sentences with [MASK] for the fill-mask check")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--no-engine", action="store_true", help="skip running our engine's fill-mask (npm run bert)")
    a = ap.parse_args()
    torch.manual_seed(0)
    cdir, pdir = os.path.join(a.run_dir, "classifier"), os.path.join(a.run_dir, "pretrained")
    report = {"run_dir": a.run_dir, "torch": torch.__version__, "python": sys.executable}
    ccfg, ctok, vocab = read_dir(cdir)
    pcfg, _, pvocab = read_dir(pdir)
    if pvocab != vocab:
        fail("pretrained/vocab.txt and classifier/vocab.txt differ")
    T = min(ccfg.get("shadergrad", {}).get("options", {}).get("block", ccfg["max_position_embeddings"]), ctok.get("model_max_length", 1 << 30),
            ccfg["max_position_embeddings"])
    wp = WordPiece(vocab, lowercase=ctok.get("do_lower_case", True))

    # the module in this file, strictly
    mine_c = BertForSequenceClassification(ccfg).eval()
    n_c = load_strict(mine_c, read_safetensors(os.path.join(cdir, "model.safetensors")))
    mine_p = BertForPreTraining(pcfg).eval()
    n_p = load_strict(mine_p, read_safetensors(os.path.join(pdir, "model.safetensors")), skip=TIED)
    print(f"module in this file: classifier/ {n_c} tensors and pretrained/ {n_p} tensors, all used, none missing, shapes right "
          f"(decoder tied to word_embeddings); {sum(p.numel() for p in mine_p.parameters())} pretrained parameters; block {T}")

    try:
        import transformers  # noqa: PLC0415
        from transformers import BertForPreTraining as HfPre, BertForSequenceClassification as HfCls, BertTokenizer  # noqa: PLC0415
    except ImportError:
        transformers = None
    if transformers is None:
        print("transformers is NOT installed: the checks below use the transformers-compatible module in this file "
              "(same names, layouts and math) and the WordPiece mirror, not BertForSequenceClassification / "
              "BertForPreTraining / BertTokenizer themselves")
        report["model"] = "fallback module (transformers not installed)"
        cls_model, pre_model, hf_tok = mine_c, mine_p, None
    else:
        report["model"] = f"transformers {transformers.__version__}"
        transformers.logging.set_verbosity_error()  # we print the loading info ourselves
        transformers.logging.disable_progress_bar()
        print(f"transformers {transformers.__version__}, torch {torch.__version__}:")
        hc, ci = hf_load(HfCls, cdir)
        hp, pi = hf_load(HfPre, pdir, allowed_missing=TIED)
        report.update(classifier_loading_info=ci, pretrained_loading_info=pi)
        dec, emb = hp.cls.predictions.decoder, hp.bert.embeddings.word_embeddings
        tied_w = dec.weight is emb.weight or dec.weight.data_ptr() == emb.weight.data_ptr()
        tied_b = dec.bias is None or dec.bias.data_ptr() == hp.cls.predictions.bias.data_ptr() or torch.equal(dec.bias, hp.cls.predictions.bias)
        print(f"  cls.predictions.decoder.weight tied to bert.embeddings.word_embeddings.weight: {tied_w} (same storage); "
              f"decoder.bias = cls.predictions.bias: {tied_b}")
        report.update(decoder_tied=bool(tied_w), decoder_bias_tied=bool(tied_b))
        if not (tied_w and tied_b):
            fail("the MLM decoder is not tied to the word embeddings")
        hf_tok = BertTokenizer.from_pretrained(cdir)
        if getattr(hf_tok, "do_lower_case", True) is not True and ctok.get("do_lower_case", True):
            fail(f"BertTokenizer.from_pretrained({cdir}) does not lowercase")
        cls_model, pre_model = Hf(hc, "classify"), Hf(hp, "pretrain")
        # this file's module against transformers on random padded batches
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(5, ccfg["vocab_size"], (8, T), generator=g)
        types = (torch.arange(T)[None, :] >= torch.randint(2, T, (8, 1), generator=g)).long()
        lens = torch.randint(3, T + 1, (8,), generator=g)
        mask = (torch.arange(T)[None, :] < lens[:, None]).long()
        with torch.no_grad():
            dc = max_diff(cls_model(ids, types, mask), mine_c(ids, types, mask))
            mlm_h, nsp_h = pre_model(ids, types, mask)
            mlm_m, nsp_m = mine_p(ids, types, mask)
            real = mask.bool()
            dp = max((mlm_h - mlm_m)[real].abs().max().item(), (nsp_h - nsp_m).abs().max().item())
        print(f"  module in this file vs transformers on 8 random padded {T}-token batches: max |logit difference| "
              f"classifier {dc:.1e}, pretraining (MLM on real tokens, NSP) {dp:.1e}")
        report.update(module_vs_hf_classifier=dc, module_vs_hf_pretrain=dp)
        if dc > 1e-4 or dp > 1e-4:
            fail("the module in this file and transformers disagree")

    check_tokenizer(wp, hf_tok, read_heldout(os.path.join(a.run_dir, "heldout.tsv"))[2], report)
    check_classifier(a.run_dir, cls_model, wp, hf_tok, T, report)
    print(f"fill-mask, pretrained/ (top {a.top}):")
    top = fill_mask(pre_model, wp, hf_tok, a.mask_text, T, a.top, report)
    if not a.no_engine:
        check_engine_fill_mask(a.run_dir, a.mask_text, a.top, top, report)
    if hf_tok is not None:
        check_pipeline(pdir, hf_tok, [t for t in a.mask_text if t.count("[MASK]") == 1], a.top, [o for o in top if o["text"].count("[MASK]") == 1], report)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)
    print("OK")


if __name__ == "__main__":
    main()
