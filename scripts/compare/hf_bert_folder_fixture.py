#!/usr/bin/env python3
"""Write test/fixtures/hf_bert_mlm/ and test/fixtures/hf_bert_mlm_bf16/: Hugging Face BERT folders
exactly as transformers' save_pretrained lays them out (a BertForMaskedLM: no pooler, no NSP head,
the decoder tied to the word embeddings), with BertTokenizer's own files (vocab.txt,
tokenizer_config.json, tokenizer.json; the bf16 folder has no vocab.txt, as transformers 5's
save_pretrained writes it) for a tiny real uncased WordPiece vocabulary written here,
plus expected.json in each: the ids BertTokenizer gives a fill-mask prompt and a battery of
strings, and the MLM logits BertForMaskedLM computes from that folder (weights widened to float32)
at every position. test/gpu/hf_bert_folder.gpu.ts opens the folders with our loader
(src/models/bert/folder.ts) and checks our ids and logits against these; test/cli_bert_hf.test.ts
runs `npm run bert -- fill-mask` on them.

The model: BertConfig(vocab = the vocab.txt below, hidden 16, 2 layers, 2 heads, intermediate 64,
32 positions, hidden_act "gelu" = the exact erf GELU), torch.manual_seed(0) init with
initializer_range 0.1 plus N(0, 0.1^2) on every 1-D parameter (so biases and gains are not
trivially 0 / 1). hf_bert_mlm is stored in float32, hf_bert_mlm_bf16 in bfloat16
(model.to(torch.bfloat16).save_pretrained); each expected.json holds the logits of its own weights.

Run in a throwaway virtualenv with torch and transformers (see hf_fixtures.py):
    /tmp/hfenv/bin/python scripts/compare/hf_bert_folder_fixture.py
"""
import json
import os

import torch
import transformers
from transformers import BertConfig, BertForMaskedLM, BertTokenizer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "test", "fixtures", "hf_bert_mlm")
OUT_BF16 = os.path.join(REPO, "test", "fixtures", "hf_bert_mlm_bf16")
PROMPT = "The cat sat in the [MASK], and the dog played with a ball!"

# A real uncased vocabulary in miniature: specials ([UNK] not at 1, as in bert-base-uncased where
# it is 100), punctuation, digits, letters, whole words, ## continuations.
SPECIALS = ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = """the an and of to in on is was it he she they we you that this with for as at by from
cat dog bird fish sat ran jump play walk talk garden house tree ball park river city man woman
child good bad big small red blue green happy sad day night morning music book read write love
like see look went came has have had not all one two three what who where when there here un
cafe""".split()
CONT = ["##ed", "##ing", "##er", "##ly", "##est", "##able", "##ful"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOCAB = (SPECIALS + list(".,!?'-;:()\"$") + list("0123456789") + list(LETTERS) + WORDS + CONT
         + ["##" + c for c in LETTERS] + ["##" + c for c in "0123456789"])

# Strings whose BertTokenizer ids our WordPiece tokenizer must reproduce (test/unit/bert_hf_folder.test.ts).
TOKENIZER_CASES = [
    PROMPT,
    "Hello, World!! It's 42 o'clock.",
    "The dogs walked happily (slowly) to the park; then: home.",
    "Café au lait, naïve résumé",
    "unplayable    jumping\ttrees\nrivers",
    "3.14 and 1,000 $5",
    "the [MASK] sat [SEP] on the [MASK] mat",
    "HOUSE house HoUsE",
    "supercalifragilistic",
    "",
    "A B C [UNK] [PAD]",
    "5€ a©b cat^dog |x| ~ok `q` <tag>",  # symbols BERT keeps inside a word (€ ©) vs ASCII ones it splits
]


def tiny_model(vocab_size):
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=32, hidden_act="gelu",
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.1,
                     pad_token_id=0)
    model = BertForMaskedLM(cfg)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


def save_folder(model, tok, out, dtype, ids, cases):
    os.makedirs(out, exist_ok=True)
    model.to(dtype).save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    for extra in ("generation_config.json",):
        p = os.path.join(out, extra)
        if os.path.exists(p):
            os.remove(p)
    back = BertForMaskedLM.from_pretrained(out, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        logits = back(torch.tensor([ids])).logits[0]
    # 8 significant digits: far below the 1e-4 the tests allow, and half the bytes of repr(float)
    expected = {"prompt": PROMPT, "ids": ids, "logits": [[float(f"{x:.8g}") for x in row] for row in logits],
                "dtype": str(dtype).replace("torch.", ""),
                "made_by": "scripts/compare/hf_bert_folder_fixture.py",
                "versions": {"transformers": transformers.__version__, "torch": torch.__version__}}
    if cases:
        expected["tokenizer_cases"] = cases
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f)
    for name in os.listdir(out):  # save_pretrained writes model.safetensors 0600
        os.chmod(os.path.join(out, name), 0o644)
    print(f"wrote {out}: {sorted(os.listdir(out))}, {len(ids)} tokens")


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    assert len(VOCAB) == len(set(VOCAB)), "repeated vocabulary entries"
    os.makedirs(OUT, exist_ok=True)
    vocab_path = os.path.join(OUT, "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB) + "\n")
    tok = BertTokenizer(vocab_path, do_lower_case=True, model_max_length=32)
    ids = tok(PROMPT)["input_ids"]
    assert tok.mask_token_id in ids and tok.unk_token_id not in ids, tok.convert_ids_to_tokens(ids)
    cases = [{"text": t, "ids": tok(t)["input_ids"], "tokens": tok.convert_ids_to_tokens(tok(t)["input_ids"])}
             for t in TOKENIZER_CASES]
    model = tiny_model(len(VOCAB))
    save_folder(model, tok, OUT, torch.float32, ids, cases)
    # transformers 5 writes tokenizer.json (not vocab.txt): this folder is what its save_pretrained gives
    save_folder(model, tok, OUT_BF16, torch.bfloat16, ids, None)


if __name__ == "__main__":
    main()
