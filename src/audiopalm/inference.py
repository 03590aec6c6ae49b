"""The inference commands as typed requests: `audiopalm transcribe`, `translate` and `speak`.

    run_transcribe(TranscribeConfig(file="speech.wav", model="models/babel-small")) -> the transcript

Each request loads the model, tokenises its audio once (`AudioPaLM.listen`) and returns what the
command prints; output files are written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.generation.decode import MOOD_WEIGHT, SpeechSampling

BEAMS_HELP = "beam search width (default: 4; 1 where speech is written in the same decode)"
CTC_WEIGHT_HELP = ("a CTC head's share in ranking transcripts (joint decoding; the model's listener's, else its audio "
                   "tokenizer's; 0: the language model alone; default: the model's for the language, chosen on dev)")
MOOD_WEIGHT_HELP = ("the question head's share in ranking a transcript's mood, question or statement, where the model "
                    f"has one (0: not at all; default: {MOOD_WEIGHT:g}, chosen on dev)")


@dataclass
class TranscribeConfig:
    file: str = help_field("audio file (wav, flac, ogg, mp3), of any length")
    model: str = help_field("AudioPaLM folder")
    lang: str | None = help_field("spoken language (code such as fr, or English name); default: identified", None)
    beams: int | None = help_field(BEAMS_HELP, None, min=1)
    ctc_weight: float | None = help_field(CTC_WEIGHT_HELP, None, min=0.0, max=1.0)
    mood_weight: float | None = help_field(MOOD_WEIGHT_HELP, None, min=0.0)
    format: str = help_field("text: the transcript; srt, vtt, json: timed segments. Recordings longer than 20 s "
                             "are split by voice activity either way", "text", choices=("text", "srt", "vtt", "json"))


@dataclass
class TranslateConfig:
    file: str = help_field("audio file (wav, flac, ogg, mp3)")
    model: str = help_field("AudioPaLM folder")
    to: str = help_field("target language (code or English name)")
    lang: str | None = help_field("spoken language (code such as fr, or English name); default: identified", None)
    speech: str | None = help_field("also write the spoken translation (S2ST) here", None, metavar="OUT.wav")
    speech_from: str | None = help_field("text: the speech stage's text-to-unit model speaks the translation; lm: the "
                                         "language model writes the speech tokens; default: text where the speech "
                                         "stage has a text-to-unit model", None, choices=("text", "lm"))
    voice_strength: float | None = help_field("the unit-to-mel model's share of the source's voice (0-1; less is "
                                              "clearer, docs/speech.md; default: the speech stage's)", None, min=0.0)
    beams: int | None = help_field(BEAMS_HELP, None, min=1)
    ctc_weight: float | None = help_field(CTC_WEIGHT_HELP, None, min=0.0, max=1.0)
    mood_weight: float | None = help_field(MOOD_WEIGHT_HELP, None, min=0.0)
    sampling: SpeechSampling = help_field("speech sampling", SpeechSampling, flat=True)


@dataclass
class SpeakConfig:
    text: str = help_field("what to say")
    model: str = help_field("AudioPaLM folder with a speech output stage")
    lang: str = help_field("language of the text (code such as fr, or English name)")
    out: str = help_field("wav file to write", short="-o")
    voice: str | None = help_field("a recording whose first seconds give the voice", None)
    speech_from: str | None = help_field("text: the speech stage's text-to-unit model speaks; lm: the language "
                                         "model's TTS task writes the speech tokens; default: text where the speech "
                                         "stage has a text-to-unit model", None, choices=("text", "lm"))
    voice_strength: float | None = help_field("the unit-to-mel model's share of the --voice recording's voice "
                                              "(0-1; less is clearer, docs/speech.md; default: the speech stage's)",
                                              None, min=0.0)
    sampling: SpeechSampling = help_field("speech sampling", SpeechSampling, flat=True)


def _model(folder: str, voice_strength: float | None = None):
    from audiopalm.models.audiopalm import AudioPaLM

    model = AudioPaLM.from_pretrained(folder)
    if voice_strength is not None and model.speech_out is not None:
        model.speech_out.voice_strength = voice_strength
    return model


def run_transcribe(cfg: TranscribeConfig) -> str:
    """The transcript, or its timed segments as SRT, WebVTT or JSON lines."""
    import json

    from audiopalm.audio.io import load_audio
    from audiopalm.audio.vad import one_stretch
    from audiopalm.text.subtitles import srt, vtt

    model = _model(cfg.model)
    wav = load_audio(cfg.file)
    if cfg.format == "text" and one_stretch(wav):
        return model.transcribe(wav, cfg.lang, cfg.beams, cfg.ctc_weight, cfg.mood_weight)
    segments = model.transcribe_segments(wav, cfg.lang, cfg.beams, ctc_weight=cfg.ctc_weight,
                                         mood_weight=cfg.mood_weight)
    if cfg.format == "srt":
        return srt(segments)
    if cfg.format == "vtt":
        return vtt(segments)
    if cfg.format == "json":
        return "\n".join(json.dumps(s, ensure_ascii=False) for s in segments)
    return " ".join(s["text"] for s in segments if s["text"])


def run_translate(cfg: TranslateConfig) -> str:
    """The translation; with `speech`, also the spoken translation in the source voice (a line naming the file)."""
    from audiopalm.audio.io import SAMPLE_RATE, check_output, load_audio, write_wav
    from audiopalm.audio.vad import VadConfig, one_stretch

    sampling = cfg.sampling.sampling()
    if cfg.speech:  # before any work: never after minutes of decoding, never onto the recording
        check_output(cfg.speech, (cfg.file,))
    wav = load_audio(cfg.file)
    long = not one_stretch(wav)
    if long and cfg.speech:
        raise AudiopalmError(f"{cfg.file}: {len(wav) / SAMPLE_RATE:.1f} s is longer than the {VadConfig().max_seconds:g} s "
                             "one spoken translation takes; translate it without --speech (stretch by stretch), or "
                             "serve it (audiopalm serve speaks long recordings)")
    model = _model(cfg.model, cfg.voice_strength)
    speech_from = model.speech_source(cfg.speech_from) if cfg.speech else None
    one_decode = model.s2st_task != "S2ST" and speech_from == "lm"
    if cfg.speech and (cfg.beams or 1) > 1 and sampling is not None and one_decode:
        raise AudiopalmError(f"--beams {cfg.beams} with --speech: this model writes the translation and its speech in "
                             "one decode ([ASR AST S2ST]), so beam search needs greedy speech (--speech-temperature 0)")
    if long:  # stretch by stretch
        segments = model.translate_segments(wav, cfg.to, cfg.lang, cfg.beams, ctc_weight=cfg.ctc_weight,
                                            mood_weight=cfg.mood_weight)[1]
        return " ".join(s["text"] for s in segments if s["text"])
    heard = model.listen(wav)  # one tokenisation for the language, the text and the voice
    if not cfg.speech:
        return model.translate(heard, cfg.to, cfg.lang, cfg.beams, ctc_weight=cfg.ctc_weight,
                               mood_weight=cfg.mood_weight)
    _, text, speech = model.spoken_translation(heard, cfg.to, cfg.lang, cfg.beams, sampling=sampling,
                                               speech_from=speech_from, ctc_weight=cfg.ctc_weight,
                                               mood_weight=cfg.mood_weight)
    if len(speech) == 0:
        why = f"no speech heard in {cfg.file}" if heard.silent else "the model wrote no speech tokens"
        return f"{text}\nspeech: none written ({why})"
    write_wav(Path(cfg.speech), speech)
    return f"{text}\nspeech: {cfg.speech}"


def run_speak(cfg: SpeakConfig) -> str:
    from audiopalm.audio.io import check_output, write_wav

    sampling = cfg.sampling.sampling()
    check_output(cfg.out, (cfg.voice,))
    model = _model(cfg.model, cfg.voice_strength)
    write_wav(Path(cfg.out), model.speak(cfg.text, cfg.lang, cfg.voice, sampling, cfg.speech_from))
    return cfg.out
