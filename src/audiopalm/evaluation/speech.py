"""Speech-output evaluation: S2ST waveforms judged for voice, quality and intelligibility.

For each pair SRC-TGT, on the first N test utterances in SRC (held-out speakers and sentences):
    output     AudioPaLM S2ST -> target semantic tokens -> acoustic model in the source voice (the
               first 3 s of the source utterance as prompt) -> codec -> 16 kHz waveform; the semantic
               tokens come from where the model's spoken output comes from (`speech_from`): the text-to-unit
               model speaking its translation ("text"), or its own S2ST task ("lm")
    lm         with "text": the language model's own speech tokens beside it, rendered the same way
    oracle     the same speech-output stage on the *ground-truth* semantic tokens of the translation:
               the stage's own quality, without the language model's errors
    reference  the source speaker's ground-truth rendering of the translation (every Babel test
               speaker says each of their sentences in every language)
Voice similarity is the Resemblyzer cosine to the reference, between two anchors:
    ceiling    the source utterance itself: the same speaker, other words in another language
    floor      another speaker's ground truth of the same translation: the same words, another voice
Quality is DNSMOS (speechmos) of output, oracle and reference. Intelligibility is ASR-BLEU against
the target text: English through Whisper tiny.en, every language through the model's own ASR task;
beside it the model's AST BLEU on the same utterances and the ASR-BLEU of the reference itself.
Each system's semantic tokens are also read back by the model's own ASR task before any rendering
(`token_bleu`): high there and low after rendering, the speech stage loses the words; low there, the
language model wrote the wrong speech.
The codec's resynthesis WER on the references, and real-time factors per stage, complete the report.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from audiopalm.audio.io import SAMPLE_RATE, AudioError, load_audio, write_wav
from audiopalm.data.manifest import read_jsonl
from audiopalm.errors import AudiopalmError
from audiopalm.evaluation.text import bleu, error_rates
from audiopalm.evaluation.unified import _parse_pairs, decode_task, decode_text_task, heard_rows, split_tokens
from audiopalm.generation.decode import SPEECH_SAMPLING, Sampling
from audiopalm.models.audiopalm import (SPEECH_SEGMENT, TRANSLATION_SEGMENT, AudioPaLM, Heard, speech_task,
                                       speech_token_limit)

WHISPER = "whisper-tiny.en"
OWN = "own"  # the evaluated model's ASR task


class Judges:
    """The pretrained models that judge speech: Resemblyzer, DNSMOS and Whisper tiny.en (all bundled
    with their pip packages, so they load offline)."""

    def __init__(self, whisper: bool = True):
        try:
            with warnings.catch_warnings():  # resemblyzer imports pkg_resources, deprecated by setuptools
                warnings.simplefilter("ignore")
                from resemblyzer import VoiceEncoder, preprocess_wav
            from speechmos import dnsmos
        except ImportError as e:
            raise AudiopalmError(f"speech evaluation needs the eval extra: pip install 'audiopalm[eval]' ({e})") from None
        self._encoder, self._preprocess = VoiceEncoder("cpu", verbose=False), preprocess_wav
        self._dnsmos = dnsmos
        self._whisper = None
        if whisper:
            from audiopalm.evaluation.whisper import load_whisper_tiny_en

            self._whisper = load_whisper_tiny_en()

    def voice(self, wav: np.ndarray) -> np.ndarray:
        """wav [N] at 16 kHz -> unit-norm speaker embedding [256]."""
        return self._encoder.embed_utterance(self._preprocess(wav, SAMPLE_RATE))

    def mos(self, wav: np.ndarray) -> dict[str, float]:
        """DNSMOS P.835 (signal, background, overall) and P.808 scores, each 1-5."""
        scores = self._dnsmos.run(np.clip(wav, -1, 1).astype(np.float32), SAMPLE_RATE)
        return {k.removesuffix("_mos"): float(v) for k, v in scores.items()}

    def whisper(self, wav: np.ndarray) -> str:
        if self._whisper is None:
            raise AudiopalmError("Whisper was not loaded")
        from audiopalm.evaluation.whisper import transcribe_wav

        return transcribe_wav(self._whisper, wav)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def own_asr(model: AudioPaLM, wavs: list[np.ndarray], lang: str) -> list[str]:
    """The model's ASR task on waveforms (tokenised by its own audio tokenizer); empty audio -> ""."""
    keep = [i for i, w in enumerate(wavs) if len(w) >= SAMPLE_RATE // 10]
    tokens = dict(zip(keep, model.audio_tokenizer.encode_batch([wavs[i] for i in keep]))) if keep else {}
    return read_back(model, [tokens.get(i, torch.zeros(0, dtype=torch.long)) for i in range(len(wavs))], lang)


def read_back(model: AudioPaLM, tokens: list[torch.Tensor], lang: str) -> list[str]:
    """The model's ASR task on semantic tokens [T] themselves (no speech stage); no tokens -> ""."""
    keep = [i for i, t in enumerate(tokens) if len(t)]
    hyps = decode_task(model, "ASR", [(lang, None, tokens[i]) for i in keep]) if keep else []
    out = [""] * len(tokens)
    for i, h in zip(keep, hyps):
        out[i] = h
    return out


def recognise(model: AudioPaLM, judges: Judges, wavs: list[np.ndarray], lang: str) -> dict[str, list[str]]:
    """Transcripts of `wavs` in `lang` by each recogniser that applies: {"own": [...], "whisper-tiny.en": [...]}."""
    out = {OWN: own_asr(model, wavs, lang)}
    if lang == "en" and judges._whisper is not None:
        out[WHISPER] = [judges.whisper(w) if len(w) >= SAMPLE_RATE // 10 else "" for w in wavs]
    return out


def s2st_semantic(model: AudioPaLM, tokens: list[torch.Tensor], src: str, tgt: str, sampling: Sampling | None,
                  batch: int = 16, task: str | None = None) -> list[torch.Tensor]:
    """Source audio tokens -> the model's target semantic tokens, batched S2ST decoding (speech drawn with
    `sampling`) by `task`: "S2ST" or "ASR AST S2ST" (None: the model's `s2st_task`)."""
    task = speech_task(task or model.s2st_task)
    out = []
    for i in range(0, len(tokens), batch):
        chunk = tokens[i: i + batch]
        prompts = [model.prompt(task, src, tgt, model.vocab.audio_ids(t)) for t in chunk]
        limit = speech_token_limit(max(len(t) for t in chunk), task)
        for segments in model.run(task, prompts, max_new_tokens=limit, sampling=sampling):
            out.append(model.vocab.audio_tokens(torch.tensor(segments[SPEECH_SEGMENT[task]], dtype=torch.long)))
    return out


def ast_translations(model: AudioPaLM, tokens: list[torch.Tensor], src: str, tgt: str,
                     heard: list[Heard | None] | None = None, ctc_weight: float | None = None) -> list[str]:
    """Speech tokens [T] in `src` -> the model's translations into `tgt`, decoded as `translate` does (its AST task;
    with the recordings `heard` the tokens came from, its transcript read with the CTC head too)."""
    return decode_task(model, model.ast_task, [(src, tgt, t) for t in tokens],
                       segment=TRANSLATION_SEGMENT[model.ast_task], heard=heard, ctc_weight=ctc_weight)


def units_semantic(model: AudioPaLM, texts: list[str], lang: str, voices: list[torch.Tensor]) -> list[torch.Tensor]:
    """Texts -> semantic tokens by the speech stage's text-to-unit model, each in the voice of the first
    seconds of the matching tokens in `voices` (as `AudioPaLM.speak` does with a voice prompt)."""
    stage = model.speech_out
    return [stage.text_tokens(t, lang, stage.prompt_tokens(v)) if t.strip() else torch.zeros(0, dtype=torch.long)
            for t, v in zip(texts, voices)]


def stage_times(model: AudioPaLM, wav: np.ndarray, src: str, tgt: str,
                sampling: Sampling | None = SPEECH_SAMPLING, task: str | None = None,
                speech_from: str = "lm") -> dict[str, float]:
    """Seconds spent by each S2ST stage on one utterance, one at a time (batch 1). With `speech_from` "text"
    the language model's time is its translation's and the text-to-unit model's counts as acoustic."""
    stage = model.speech_out
    t0 = time.perf_counter()
    semantic = model.audio_tokenizer.encode(wav)
    t1 = time.perf_counter()
    if speech_from == "text":  # the text-to-unit model's time falls after t2: it counts as acoustic
        text = ast_translations(model, [semantic], src, tgt, [Heard(wav, semantic)])[0]
        t2 = time.perf_counter()
        out = units_semantic(model, [text], tgt, [semantic])[0]
    else:
        out = s2st_semantic(model, [semantic], src, tgt, sampling, task=task)[0]
        t2 = time.perf_counter()
    speech = np.zeros(0, dtype=np.float32)
    t3 = t4 = t2
    if len(out):  # nothing to render when the model wrote no speech
        frames = stage.acoustic_frames(out, stage.prompt(wav, semantic))
        t3 = time.perf_counter()
        speech = stage.waveform(frames)
        t4 = time.perf_counter()
    return {"tokenizer": t1 - t0, "language_model": t2 - t1, "acoustic": t3 - t2, "codec": t4 - t3,
            "output_seconds": len(speech) / SAMPLE_RATE}


def _mean(xs) -> float:
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return float(np.mean(xs)) if xs else float("nan")


def _utterances(data: Path, tokens: dict[str, torch.Tensor], src: str, tgt: str, n: int) -> list[dict]:
    """The first n source utterances in `src` with their same-speaker and other-speaker references in `tgt`."""
    rows = read_jsonl(data / "test.jsonl")
    by_key = {(r["sentence_id"], r["lang"], r["speaker"]): r for r in rows}
    by_sentence = defaultdict(list)
    for r in rows:
        by_sentence[(r["sentence_id"], r["lang"])].append(r)
    out = []
    for r in rows:
        if r["lang"] != src or r["id"] not in tokens:
            continue
        same = by_key.get((r["sentence_id"], tgt, r["speaker"]))
        others = [o for o in by_sentence[(r["sentence_id"], tgt)] if o["speaker"] != r["speaker"]]
        if same is None or not others or same["id"] not in tokens:
            continue
        out.append({"source": r, "reference": same, "other": others[0]})
        if len(out) == n:
            break
    return out


def _tts_utterances(data: Path, tokens: dict[str, torch.Tensor], lang: str, n: int) -> list[dict]:
    """The first n test utterances in `lang` as references, each with a voice prompt (another sentence by
    the same speaker, in the same language) and another speaker's rendering of the same sentence."""
    rows = [r for r in read_jsonl(data / "test.jsonl") if r["lang"] == lang and r["id"] in tokens]
    by_speaker, by_sentence = defaultdict(list), defaultdict(list)
    for r in rows:
        by_speaker[r["speaker"]].append(r)
        by_sentence[r["sentence_id"]].append(r)
    out = []
    for r in rows:
        prompts = [o for o in by_speaker[r["speaker"]] if o["sentence_id"] != r["sentence_id"]]
        others = [o for o in by_sentence[r["sentence_id"]] if o["speaker"] != r["speaker"]]
        if prompts and others:
            out.append({"source": prompts[0], "reference": r, "other": others[0]})
        if len(out) == n:
            break
    return out


def judge(model: AudioPaLM, judges: Judges, data: Path, tokens: dict[str, torch.Tensor], utts: list[dict],
          semantic: dict[str, list[torch.Tensor]], lang: str, wav_dir: Path | None, desc: str, seed: int = 0,
          source_tokens: dict[str, torch.Tensor] | None = None) -> dict:
    """Render each system's semantic tokens (and, as the oracle, the reference's) in the voice of each
    utterance's source, then score every system and the reference itself against the reference.

    utts: {"source", "reference", "other"} rows (_utterances, _tts_utterances); semantic: {system name:
    one [T] per utterance}, such as {"output": ..., "cascade": ...}; wavs of the first system are written.
    `source_tokens` holds the sources' tokens when they come from another condition than `tokens` (test-noisy)."""
    source_tokens = tokens if source_tokens is None else source_tokens
    stage = model.speech_out
    names = [*semantic, "oracle"]
    systems: dict[str, list[np.ndarray]] = {name: [] for name in [*names, "reference"]}
    sims: dict[str, list[float | None]] = {name: [] for name in [*names, "ceiling", "floor"]}
    failures = []
    for i, u in enumerate(tqdm(utts, desc=desc, dynamic_ncols=True, mininterval=5)):
        try:
            source = load_audio(data / u["source"]["audio"])
            reference = load_audio(data / u["reference"]["audio"])
            other = load_audio(data / u["other"]["audio"])
            prompt = stage.prompt(source, source_tokens[u["source"]["id"]])
            wavs = {name: stage.synthesize(sem[i], prompt, seed=seed) for name, sem in semantic.items()}
            wavs["oracle"] = stage.synthesize(tokens[u["reference"]["id"]], prompt, seed=seed)
        except (AudioError, AudiopalmError) as e:  # one bad utterance is recorded, the run goes on
            failures.append({"id": u["reference"]["id"], "error": str(e)})
            continue
        first = wavs[names[0]]
        if wav_dir is not None and len(first):
            write_wav(wav_dir / f"{u['reference']['id']}.wav", first)
        ref_voice = judges.voice(reference)
        sims["ceiling"].append(cosine(judges.voice(source), ref_voice))
        sims["floor"].append(cosine(judges.voice(other), ref_voice))
        for name, wav in wavs.items():
            sims[name].append(cosine(judges.voice(wav), ref_voice) if len(wav) >= SAMPLE_RATE // 4 else None)
            systems[name].append(wav)
        systems["reference"].append(reference)
        u["ok"] = True
    refs = [u["reference"]["text"] for u in utts if u.get("ok")]
    asr_bleu, asr_wer, asr_cer = {}, {}, {}
    for name, wavs in systems.items():
        for asr, hyps in recognise(model, judges, wavs, lang).items():
            asr_bleu.setdefault(name, {})[asr] = bleu(refs, hyps)[0]
            errors = error_rates(refs, hyps, lang)
            asr_wer.setdefault(name, {})[asr] = errors["wer"]
            asr_cer.setdefault(name, {})[asr] = errors["cer"]
    ok = [i for i, u in enumerate(utts) if u.get("ok")]
    written = {**semantic, "oracle": [tokens[u["reference"]["id"]] for u in utts]}
    token_bleu = {name: bleu(refs, read_back(model, [written[name][i] for i in ok], lang))[0] for name in names}
    similarity = {k: _mean(v) for k, v in sims.items()}
    span = similarity["ceiling"] - similarity["floor"]
    return {
        "n": len(refs),
        "failures": failures,
        "similarity": similarity,
        # where each system sits between the floor (0) and the ceiling (1)
        "similarity_position": {name: (similarity[name] - similarity["floor"]) / span if span else float("nan")
                                for name in names},
        "dnsmos": {name: _mean_mos(judges, wavs) for name, wavs in systems.items()},
        "asr_bleu": asr_bleu,
        "asr_wer": asr_wer,
        "asr_cer": asr_cer,
        "token_bleu": token_bleu,  # each system's semantic tokens read back by the model's ASR, before rendering
        "seconds": {name: _mean([len(w) / SAMPLE_RATE for w in wavs]) for name, wavs in systems.items()},
    }


def cascade_semantic(model: AudioPaLM, tokens: list[torch.Tensor], src: str, tgt: str,
                     sampling: Sampling | None, speech_from: str = "lm") -> list[torch.Tensor]:
    """The cascade S2ST replaces, from the model's own tasks: ASR, then MT of the transcript, then TTS (by the
    text-to-unit model in the source voice with `speech_from` "text")."""
    transcripts = decode_task(model, "ASR", [(src, None, t) for t in tokens])
    translations = decode_text_task(model, "MT", [(src, tgt, t) for t in transcripts])
    if speech_from == "text":
        return units_semantic(model, translations, tgt, tokens)
    return tts_semantic(model, translations, tgt, sampling)


def evaluate_pair(model: AudioPaLM, judges: Judges, data: Path, tokens: dict[str, torch.Tensor], src: str, tgt: str,
                  n: int, wav_dir: Path | None, seed: int = 0, cascade: bool = False,
                  condition: tuple[dict[str, dict], dict[str, torch.Tensor]] | None = None,
                  sampling: Sampling | None = SPEECH_SAMPLING, task: str | None = None, speech_from: str = "lm",
                  ctc_weight: float | None = None) -> dict:
    """S2ST from `src` into `tgt` on the first n test utterances, beside the model's AST on the same ones
    (and with `cascade`, beside ASR -> MT -> TTS by the same model). With `condition` (rows by id and
    tokens of a condition whose utterances share the test ids, such as test-noisy), the sources are
    that condition's recordings; references stay the clean same-speaker ones."""
    utts = _utterances(data, tokens, src, tgt, n)
    source_tokens = tokens
    if condition is not None:
        rows, source_tokens = condition
        utts = [{**u, "source": rows[u["source"]["id"]]} for u in utts
                if u["source"]["id"] in rows and u["source"]["id"] in source_tokens]
    if not utts:
        raise AudiopalmError(f"no test utterances in {src} with {tgt} references in {data}")
    src_tokens = [source_tokens[u["source"]["id"]] for u in utts]
    reads = model.char_codec is not None and ctc_weight != 0  # the recordings, for the CTC head's reading
    heard = heard_rows(data, [u["source"] for u in utts], source_tokens) if reads else []
    ast = ast_translations(model, src_tokens, src, tgt, heard if heard and all(heard) else None, ctc_weight)
    lm = s2st_semantic(model, src_tokens, src, tgt, sampling, task=task)
    semantic = ({"output": lm} if speech_from == "lm"
                else {"output": units_semantic(model, ast, tgt, src_tokens), "lm": lm})
    if cascade:
        semantic["cascade"] = cascade_semantic(model, src_tokens, src, tgt, sampling, speech_from)
    report = judge(model, judges, data, tokens, utts, semantic, tgt, wav_dir, f"S2ST {src}-{tgt}", seed, source_tokens)
    ok = [u.get("ok", False) for u in utts]
    report["ast_bleu"] = bleu([u["reference"]["text"] for u, k in zip(utts, ok) if k], [h for h, k in zip(ast, ok) if k])[0]
    report["examples"] = [{"id": u["source"]["id"], "ref": u["reference"]["text"], "ast": h}
                          for u, h in list(zip(utts, ast))[:3]]
    return report


def tts_semantic(model: AudioPaLM, texts: list[str], lang: str, sampling: Sampling | None,
                 batch: int = 16) -> list[torch.Tensor]:
    """Texts -> the model's semantic tokens, batched TTS decoding (speech drawn with `sampling`)."""
    out = []
    for i in range(0, len(texts), batch):
        prompts = [model.prompt("TTS", lang, None, torch.tensor(model.text_tokenizer.encode(t)))
                   for t in texts[i: i + batch]]
        for segments in model.run("TTS", prompts, max_new_tokens=600, sampling=sampling):
            out.append(model.vocab.audio_tokens(torch.tensor(segments[0], dtype=torch.long)))
    return out


def evaluate_tts(model: AudioPaLM, judges: Judges, data: Path, tokens: dict[str, torch.Tensor], lang: str, n: int,
                 wav_dir: Path | None, seed: int = 0, sampling: Sampling | None = SPEECH_SAMPLING,
                 speech_from: str = "lm") -> dict:
    """TTS in `lang` on the first n test sentences, in the voice of another recording of each speaker (with
    `speech_from` "text", by the text-to-unit model, the language model's TTS task beside it as "lm")."""
    utts = _tts_utterances(data, tokens, lang, n)
    if not utts:
        raise AudiopalmError(f"no test utterances in {lang} with a second recording of their speaker in {data}")
    texts = [u["reference"]["text"] for u in utts]
    lm = tts_semantic(model, texts, lang, sampling)
    voices = [tokens[u["source"]["id"]] for u in utts]
    semantic = ({"output": lm} if speech_from == "lm"
                else {"output": units_semantic(model, texts, lang, voices), "lm": lm})
    return judge(model, judges, data, tokens, utts, semantic, lang, wav_dir, f"TTS {lang}", seed)


def _mean_mos(judges: Judges, wavs: list[np.ndarray]) -> dict[str, float]:
    scores = [judges.mos(w) for w in wavs if len(w) >= SAMPLE_RATE // 2]
    return {k: _mean([s[k] for s in scores]) for k in (scores[0] if scores else {})}


def codec_resynthesis(model: AudioPaLM, judges: Judges, data: Path, langs: list[str], n: int) -> dict:
    """WER of ground-truth test audio and of its codec round trip (encode, decode), per language."""
    codec = model.speech_out.codec
    rows = read_jsonl(data / "test.jsonl")
    out = {}
    for lang in langs:
        chosen = [r for r in rows if r["lang"] == lang][:n]
        originals = [load_audio(data / r["audio"]) for r in chosen]
        resynth = [codec.decode(codec.encode(w)) for w in originals]
        refs = [r["text"] for r in chosen]
        out[lang] = {"n": len(chosen)}
        for name, wavs in (("original", originals), ("resynthesised", resynth)):
            for asr, hyps in recognise(model, judges, wavs, lang).items():
                out[lang].setdefault(asr, {})[name] = error_rates(refs, hyps, lang)["wer"]
        out[lang]["dnsmos"] = {"original": _mean_mos(judges, originals)["ovrl"],
                               "resynthesised": _mean_mos(judges, resynth)["ovrl"]}
        out[lang]["similarity"] = _mean([cosine(judges.voice(a), judges.voice(b)) for a, b in zip(originals, resynth)])
    return out


def real_time_factors(model: AudioPaLM, data: Path, tokens: dict[str, torch.Tensor], src: str, tgt: str,
                      n: int, sampling: Sampling | None = SPEECH_SAMPLING, task: str | None = None,
                      speech_from: str = "lm") -> dict:
    """Processing seconds per second of source speech, per S2ST stage, at batch 1 (after a warm-up). Time it before
    Whisper runs in the process: a faster-whisper model that has transcribed (CTranslate2, with its own OpenMP
    runtime) slows torch's threads about 1.7x for as long as it lives (measured on 2 cores, docs/speech.md)."""
    utts = _utterances(data, tokens, src, tgt, n + 1)
    wavs = [load_audio(data / u["source"]["audio"]) for u in utts]
    stage_times(model, wavs[0], src, tgt, sampling, task, speech_from)  # warm-up: first calls build caches and kernels
    times = [stage_times(model, w, src, tgt, sampling, task, speech_from) for w in wavs[1:]]
    seconds = sum(len(w) for w in wavs[1:]) / SAMPLE_RATE
    stages = ("tokenizer", "language_model", "acoustic", "codec")
    rtf = {k: sum(t[k] for t in times) / seconds for k in stages}
    return {**rtf, "total": sum(rtf.values()), "utterances": len(times), "source_seconds": seconds,
            "threads": torch.get_num_threads()}


def evaluate_speech(model_dir: Path, data: Path, pairs: tuple[str, ...], per_pair: int = 30, out: Path | None = None,
                    rtf_utterances: int = 10, whisper: bool = True, jobs: int = 2, tts: tuple[str, ...] = (),
                    cascade: bool = False, sampling: Sampling | None = SPEECH_SAMPLING, condition: str = "test",
                    task: str | None = None, speech_from: str | None = None,
                    voice_strength: float | None = None, ctc_weight: float | None = None) -> dict:
    """The S2ST report of an AudioPaLM model with a speech-output stage (and TTS in the languages of
    `tts`); waveforms under OUT/s2st/SRC-TGT/ and OUT/tts/LANG/. Speech tokens are decoded with
    `sampling` (None: greedy) by `task` ("S2ST" or "ASR AST S2ST"; None: the model's `s2st_task`).
    `condition` test-noisy takes the sources from that condition (S2ST only: no TTS, codec or timing);
    conditions without a same-voice reference in the target language (test-unseen-synth: Pico has one voice
    per language) are refused. `speech_from` "text" or "lm" (None: the model's default, `AudioPaLM.speech_from`);
    `voice_strength` replaces the speech stage's (`SpeechOutput.voice_strength`) where given; `ctc_weight` is the
    CTC head's share in the transcript the translation is written after (`AudioPaLM.ctc_guide`; None: the
    model's)."""
    model = AudioPaLM.from_pretrained(model_dir)
    if model.speech_out is None:
        raise AudiopalmError(f"{model_dir} has no speech output stage: attach one with `audiopalm attach-speech`")
    if voice_strength is not None:
        model.speech_out.voice_strength = voice_strength
    task = speech_task(task or model.s2st_task)  # before any work
    speech_from = model.speech_source(speech_from)
    judges = Judges(whisper)
    tokens, failed = split_tokens(model_dir, data, "test", jobs)  # unreadable recordings: skipped, and named
    world = json.loads((data / "world.json").read_text())
    zero_shot = {tuple(p) for p in world.get("zero_shot_pairs", [])}
    parsed = _parse_pairs(pairs)
    source = None
    if condition != "test":
        rows = {r["id"]: r for r in read_jsonl(data / f"{condition}.jsonl")} if (data / f"{condition}.jsonl").exists() else {}
        if not set(rows) & set(tokens):
            raise AudiopalmError(f"S2ST under {condition} needs recordings of the test utterances with a same-voice "
                                 f"reference in the target language; {data} has none")
        source = (rows, split_tokens(model_dir, data, condition, jobs)[0])
        tts = ()
    report: dict = {"s2st": {}, "recognisers": {WHISPER: "English only", OWN: "the evaluated model's ASR task"},
                    "speech_decoding": asdict(sampling) if sampling is not None else "greedy", "s2st_task": task,
                    "speech_from": speech_from, "voice_strength": model.speech_out.voice_strength}
    if failed:
        report["skipped"] = [f"{k}: {v}" for k, v in failed.items()]
    if source is None and rtf_utterances and parsed:  # timed before any judge runs (real_time_factors)
        report["real_time_factor"] = real_time_factors(model, data, tokens, *parsed[0], rtf_utterances, sampling, task,
                                                       speech_from)
    for src, tgt in parsed:
        wav_dir = out / "s2st" / f"{src}-{tgt}" if out is not None else None
        report["s2st"][f"{src}-{tgt}"] = {**evaluate_pair(model, judges, data, tokens, src, tgt, per_pair, wav_dir,
                                                                        cascade=cascade, condition=source,
                                                                        sampling=sampling, task=task,
                                                                        speech_from=speech_from,
                                                                        ctc_weight=ctc_weight),
                                          "zero_shot": (src, tgt) in zero_shot}
    for lang in tts:
        report.setdefault("tts", {})[lang] = evaluate_tts(model, judges, data, tokens, lang, per_pair,
                                                          out / "tts" / lang if out is not None else None,
                                                          sampling=sampling, speech_from=speech_from)
    if source is not None:
        return report
    targets = sorted({t for _, t in parsed} | set(tts))
    report["codec_resynthesis"] = codec_resynthesis(model, judges, data, targets, per_pair)
    return report
