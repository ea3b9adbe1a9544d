"""Writes test/fixtures/gpt2_tokenizer/: a tiny real GPT-2 tokenizer (vocab.json + merges.txt, a
byte-level BPE trained by Hugging Face `tokenizers` on a seeded generated text, with
<|endoftext|>) and cases.json, the ids transformers' GPT2Tokenizer gives for a battery of strings.
test/unit/gpt2_tokenizer.test.ts checks that src/text/gpt2_bpe.ts gives the same ids.

Run in a throwaway virtualenv with transformers and tokenizers installed:
    python scripts/compare/gpt2_tokenizer_fixture.py
"""
import json
import os
import random
import tempfile

from tokenizers import ByteLevelBPETokenizer
from transformers import GPT2Tokenizer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "test", "fixtures", "gpt2_tokenizer")

WORDS = ("the cat sat on mat and it is playing in garden they were we have I am you will he would "
         "don't can't it's they're we've I'm you'll he'd she's hello world token model train "
         "café naïve 日本語 中文 テキスト 😀 👍 1 2 3 42 100 3.14 2026 , . ! ? ; : - ( ) \" ' $ % & @ #").split()


def corpus(seed=1234, lines=4000):
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        n = rng.randint(3, 14)
        line = " ".join(rng.choice(WORDS) for _ in range(n))
        if rng.random() < 0.3:
            line = line.capitalize()
        out.append(line + rng.choice([".", "!", "?", "", "  ", "\t"]))
    return "\n".join(out)


CASES = [
    "", "a", "Hello world", "Hello world!", "  leading spaces", "trailing spaces   ",
    "multiple   spaces   between", "tabs\tand\nnewlines\n\n end", "\n", "   ",
    "it's they're we've I'm you'll he'd don't", "IT'S THEY'RE (upper-case contractions)",
    "punctuation!!! ... ??? ,,, ;;;", "digits 12345 3.14159 1,000,000 2026-12-02",
    "emoji 😀👍🏽 and 🇩🇪 flags", "CJK 日本語のテキスト 中文字符", "accents café naïve Ünïcödé",
    "<|endoftext|>", "one<|endoftext|>two <|endoftext|> three", "email@example.com https://x.y/z?q=1&r=2",
    "\u00a0non-breaking\u00a0space", "$100 & 50% off #tag @user", "CamelCase snake_case kebab-case",
    "The cat is playing in the garden", "The cat plays in the garden.", "zzzz qqqq xkcd unseen-words",
]


def main():
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator([corpus()], vocab_size=700, min_frequency=2, special_tokens=["<|endoftext|>"])
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        tok.save_model(d)
        vocab = json.load(open(os.path.join(d, "vocab.json"), encoding="utf-8"))
        merges = open(os.path.join(d, "merges.txt"), encoding="utf-8").read()
    with open(os.path.join(OUT, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(OUT, "merges.txt"), "w", encoding="utf-8") as f:
        f.write(merges)
    hf = GPT2Tokenizer(os.path.join(OUT, "vocab.json"), os.path.join(OUT, "merges.txt"))
    cases = []
    for s in CASES:
        ids = hf.encode(s)
        cases.append({"text": s, "ids": ids, "decoded": hf.decode(ids)})
    meta = {"tokenizer": type(hf).__name__, "vocab_size": len(hf), "eos_token_id": hf.eos_token_id,
            "made_by": "scripts/compare/gpt2_tokenizer_fixture.py"}
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "cases": cases}, f, ensure_ascii=False, indent=1)
    print(f"wrote {OUT}: vocab {len(vocab)}, {len(cases)} cases, {meta}")


if __name__ == "__main__":
    main()
