"""Questions that only intonation marks: does the model hear them?

In Spanish, Italian and Portuguese a Babel yes/no question has the word order of a statement ("¿Un vecino
bebió en el mercado?"); only the rising pitch tells them apart, and the English translation differs ("Did a
neighbour drink at the market?"). For the first N utterances of each language: for how many questions the
transcript shows a question (and for how many statements it wrongly does), and AST BLEU into English for
questions and for statements, through `transcribe_and_translate` (as `translate` decodes); with a question
head (`audiopalm train-question-head`), at each `--mood-weights` (0: without it; choose on dev).

    python scripts/question_intonation.py --model models/babel-small --data data/babel-small --langs es it pt
    python scripts/question_intonation.py --model models/babel-small --data data/babel-small --split dev \
        --n 60 --mood-weights 0 0.5 1 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import sacrebleu

from audiopalm.data.manifest import read_jsonl
from audiopalm.generation.decode import MOOD_WEIGHT
from audiopalm.generation.mood import mood_of
from audiopalm.models.audiopalm import AudioPaLM


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="AudioPaLM folder")
    ap.add_argument("--data", required=True, help="Babel world folder")
    ap.add_argument("--langs", nargs="+", default=["es", "it", "pt"])
    ap.add_argument("--n", type=int, default=100, help="utterances per language")
    ap.add_argument("--split", default="test", help="test, or dev to choose the mood weight on")
    ap.add_argument("--mood-weights", type=float, nargs="+", default=[MOOD_WEIGHT],
                    help="the question head's weights to decode at")
    args = ap.parse_args()
    model = AudioPaLM.from_pretrained(Path(args.model))
    data = Path(args.data)
    rows = read_jsonl(data / f"{args.split}.jsonl")
    english = {r["sentence_id"]: r["text"] for r in rows if r["lang"] == "en"}
    for weight in args.mood_weights:
        for lang in args.langs:
            utts = [r for r in rows if r["lang"] == lang and r.get("audio")][: args.n]
            for question in (True, False):
                group = [r for r in utts if bool(mood_of(r["text"])) == question]
                if not group:
                    continue
                outputs = [model.transcribe_and_translate(data / r["audio"], to="en", lang=lang, mood_weight=weight)
                           for r in group]
                marked = sum(bool(mood_of(t)) for t, _ in outputs)
                bleu = sacrebleu.corpus_bleu([a for _, a in outputs],
                                             [[english[r["sentence_id"]] for r in group]]).score
                print(f"mood weight {weight:g} {lang} {'questions ' if question else 'statements'} n={len(group):3d}"
                      f"  transcript a question: {marked:3d}  AST BLEU into English {bleu:.1f}", flush=True)


if __name__ == "__main__":
    main()
