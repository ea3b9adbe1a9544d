#!/usr/bin/env python3
"""Write test/fixtures/hf_gpt2_f16/: a Hugging Face GPT-2 folder exactly as transformers'
save_pretrained lays it out, in half precision, with GPT-2's own tokenizer files (the tiny
vocabulary of test/fixtures/gpt2_tokenizer), plus expected.json: the ids GPT2Tokenizer gives a
prompt and the logits GPT2LMHeadModel computes from that folder (weights widened to float32).
test/gpu/hf_folder.gpu.ts opens the folder with our loader (src/models/gpt/folder.ts) and checks
our logits against these.

The model: GPT2Config(vocab 514, 32 positions, 2 layers, 2 heads, embd 16), torch.manual_seed(0)
init with initializer_range 0.1 plus N(0, 0.1^2) on every 1-D parameter (so biases and gains are
not trivially 0 / 1), stored as float16 (model.half().save_pretrained).

Run in a throwaway virtualenv with torch and transformers (see hf_fixtures.py):
    /tmp/hfenv/bin/python scripts/compare/hf_gpt2_folder_fixture.py
"""
import json
import os
import shutil

import torch
import transformers
from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "test", "fixtures", "hf_gpt2_f16")
TOK = os.path.join(REPO, "test", "fixtures", "gpt2_tokenizer")
PROMPT = "The cat is playing in the garden. It's 42!"


def main():
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    cfg = GPT2Config(vocab_size=514, n_positions=32, n_embd=16, n_layer=2, n_head=2, initializer_range=0.1,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(cfg)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    os.makedirs(OUT, exist_ok=True)
    model.half().save_pretrained(OUT, safe_serialization=True)
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(TOK, f), os.path.join(OUT, f))
    for extra in ("generation_config.json",):
        p = os.path.join(OUT, extra)
        if os.path.exists(p):
            os.remove(p)
    tok = GPT2Tokenizer(os.path.join(OUT, "vocab.json"), os.path.join(OUT, "merges.txt"))
    ids = tok.encode(PROMPT)
    back = GPT2LMHeadModel.from_pretrained(OUT, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        logits = back(torch.tensor([ids])).logits[0]
    expected = {"prompt": PROMPT, "ids": ids, "logits": [[float(x) for x in row] for row in logits],
                "made_by": "scripts/compare/hf_gpt2_folder_fixture.py",
                "versions": {"transformers": transformers.__version__, "torch": torch.__version__}}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f)
    print(f"wrote {OUT}: {sorted(os.listdir(OUT))}, {len(ids)} tokens")


if __name__ == "__main__":
    main()
