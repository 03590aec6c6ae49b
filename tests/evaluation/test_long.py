"""Speech of several sentences: long utterances built from one speaker's test recordings, scored beside the same
recordings one by one."""

import json

import numpy as np

from audiopalm.audio.io import SAMPLE_RATE
from audiopalm.evaluation.long import joined, long_utterances


def test_long_utterances_are_consecutive_sentences_of_one_speaker():
    rows = [{"id": f"{s}{i}", "lang": lang, "speaker": s}
            for i in range(7) for s in ("a", "b") for lang in ("fr", "en")]
    groups = long_utterances(rows, "fr", 4)
    assert [len(g) for g in groups] == [2, 3, 2, 3], "2 and 3 sentences in turn"
    assert all(len({r["speaker"] for r in g}) == 1 and {r["lang"] for r in g} == {"fr"} for g in groups)
    assert [r["id"] for r in groups[0] + groups[2]] == ["a0", "a1", "a2", "a3"], "in manifest order, none used twice"
    assert [r["id"] for r in groups[1]] == ["b0", "b1", "b2"]
    assert [len(g) for g in long_utterances(rows, "fr", 100)] == [2, 3, 2, 3, 2]  # a: 2 + 2 + 2, b: 3 + 3; 1 left each


def test_joined_puts_the_pause_between_sentences_only():
    a, b = np.ones(100, np.float32), 2 * np.ones(50, np.float32)
    wav = joined([a, b], pause=0.01)
    gap = round(0.01 * SAMPLE_RATE)
    assert len(wav) == 150 + gap and wav[:100].min() == 1 and not wav[100: 100 + gap].any() and wav[-50:].min() == 2


class HearsLengths:
    """A stand-in model that hears each stretch of sound by its length: a table of lengths -> text per language."""

    def __init__(self, said: dict[int, dict[str, str]]):
        self.said = said
        self.decoding: set[tuple] = set()  # the (beams, ctc_weight) each call was asked to decode with
        self.languages = type("Languages", (), {"codes": ["en", "fr"]})()

    def listen_batch(self, wavs):
        return wavs

    def _words(self, wav, lang):
        edges = np.flatnonzero(np.diff(np.r_[0, (wav != 0).astype(int), 0]))
        return " ".join(self.said[int(b - a)][lang] for a, b in zip(edges[::2], edges[1::2]))

    def transcribe(self, heard, lang, beams, ctc_weight):
        self.decoding.add((beams, ctc_weight))
        return [self._words(w, lang) for w in heard]

    def translate(self, heard, to, lang, beams, ctc_weight):
        self.decoding.add((beams, ctc_weight))
        return self._words(heard, to)

    def identify_language(self, heard):
        return "fr"


def test_evaluate_long_reads_the_joined_sentences_against_their_joined_references(tmp_path):
    import soundfile as sf

    from audiopalm.evaluation.long import evaluate_long

    texts = {"s0": ("Le chat dort.", "The cat sleeps."), "s1": ("Il pleut.", "It rains."),
             "s2": ("Nous mangeons du pain.", "We eat bread."), "s3": ("Bonjour.", "Hello.")}
    rows, said = [], {}
    for i, (sid, (fr, en)) in enumerate(texts.items()):
        length = 800 + 160 * i  # each sentence a stretch of sound of its own length
        said[length] = {"fr": fr, "en": en}
        wav = np.r_[np.zeros(80), np.tile([0.1, -0.1], length // 2), np.zeros(80)].astype(np.float32)  # no DC
        sf.write(tmp_path / f"{sid}.wav", wav, SAMPLE_RATE)
        rows += [{"id": f"{sid}-fr", "lang": "fr", "speaker": "a", "text": fr, "audio": f"{sid}.wav",
                  "sentence_id": sid},
                 {"id": f"{sid}-en", "lang": "en", "speaker": "b", "text": en, "sentence_id": sid}]
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "s3.wav").write_bytes(b"not a wav")  # the second long utterance loses its last recording
    model = HearsLengths(said)
    report = evaluate_long(model, tmp_path, per_language=5, beams=2, ctc_weight=0.4)
    assert model.decoding == {(2, 0.4)}, "every decode as asked"
    fr = report["languages"]["fr"]
    assert fr["n"] == 1 and len(report["skipped"]) == 1 and "s3.wav" in report["skipped"][0]
    for way in ("joined", "one by one"):
        assert fr[way]["wer"] == 0 and fr[way]["lid"] == 1 and round(fr[way]["bleu"]["en"], 6) == 100
    assert fr["joined"]["examples"][0] == {"ref": "Le chat dort. Il pleut.", "hyp": "Le chat dort. Il pleut."}
    assert "en" not in report["languages"], "English has no recordings here"


def test_eval_long_writes_its_section(speaking_model, tmp_path, monkeypatch):
    import audiopalm.evaluation.long as long
    from audiopalm.cli import main

    data, model = speaking_model
    scores = {"wer": 0.25, "cer": 0.1, "lid": 1.0, "bleu": {"en": 40.0}, "examples": []}
    asked = {}

    def evaluate_long(*args, **kwargs):
        asked.update(kwargs)
        return {"pause": 0.3, "skipped": [], "languages": {"fr": {"n": 2, "seconds": 5.5, "joined": scores,
                                                                  "one by one": {**scores, "wer": 0.1}}}}

    monkeypatch.setattr(long, "evaluate_long", evaluate_long)
    out = tmp_path / "report"
    assert main(["eval", "--model", str(model), "--data", str(data), "--tasks", "long", "--per-language", "1",
                 "--conditions", "test", "--beams", "1", "--out", str(out)]) == 0
    assert asked == {"beams": 1, "ctc_weight": None}, "the decoding asked for reaches the long utterances"
    assert json.loads((out / "results.json").read_text())["long"]["languages"]["fr"]["n"] == 2
    md = (out / "results.md").read_text()
    assert "## Speech of several sentences" in md and "| fr | 5.5 | 25.0 | 10.0 | 40.0 | 40.0 | 100 | 100 | 2 |" in md
