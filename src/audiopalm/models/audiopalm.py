"""AudioPaLM: one decoder LM over text and audio tokens, steered by task tags.

    model = AudioPaLM.from_text_lm("runs/lm-small", "runs/tok-ctc", {"fr": "French", "en": "English"})
    model.save_pretrained("runs/audiopalm")                            # one self-contained folder
    model = AudioPaLM.from_pretrained("runs/audiopalm")
    model.transcribe("speech.wav", lang="fr")
    model.transcribe("speech.wav")                                     # the language is identified first
    model.transcribe(["a.wav", "b.wav"])                               # one batched decode
    model.transcribe_segments("lecture.wav")                           # any length: [{start, end, text}]
    model.translate_segments("lecture.wav", to="en")                   # any length: (language, segments)
    model.translate("speech.wav", to="en", lang="fr")                  # text
    model.transcribe_and_translate("speech.wav", to="en")              # (transcript, translation), one decode
    model.translate_speech_tokens("speech.wav", to="en")               # target semantic tokens [T]
    model.translate_speech("speech.wav", to="en", sampling=Sampling(0.7, 40, seed=1))  # in the source voice
    model.speak("Bonjour.", lang="fr", voice="prompt.wav")             # TTS

    heard = model.listen("speech.wav")      # tokenise once; every method takes `heard` in place of audio
    lang = model.identify_language(heard); model.translate(heard, to="en", lang=lang)

Decoding settings (beams, the CTC head's share, the question head's, speech sampling) are arguments of each call,
with defaults measured on dev (TEXT_BEAMS, CTC_WEIGHT, MOOD_WEIGHT, SPEECH_SAMPLING); the model holds none. The
model knows its languages (config.json: code -> name, as the task tags write them); a language is
asked for by code or name in any case, and one it does not know is an error. It also knows the tasks it
was finetuned on (config.json "tasks": the mixture): a model trained on the combined task `[ASR AST X Y]`
translates through it (the transcript first, then the translation, in one decode), which measures
better than the direct `[AST X Y]` (docs/model.md). A transcript the recording does not say (by the CTC head,
SPELT_MARGIN) is written again bound to the head's own spelling under the language's character model: where the
language model cannot read a voice's tokens, it still chooses the words' forms, case and punctuation; where no
bound hypothesis writes the whole spelling, the spelling itself is the transcript.

A folder holds config.json, lm/ (Hugging Face causal LM, safetensors), text_tokenizer/,
audio_tokenizer/ and, once attached, speech_out/ (codec and acoustic model: models/speech_out.py).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import torch

from audiopalm.audio.encoders.ctc import CtcEncoder, CtcEncoderModel, load_ctc_model, mel_for_tokens, save_ctc_model
from audiopalm.audio.io import SAMPLE_RATE
from audiopalm.audio.tokenizer import AudioInput, AudioTokenizer, as_wav
from audiopalm.audio.vad import VadConfig, cut, has_speech_batch, speech_segments, stretches
from audiopalm.data.languages import Languages
from audiopalm.data.tasks import get_task, prompt_ids, task_tag
from audiopalm.errors import AudiopalmError, first_line
from audiopalm.generation.ctc import CtcPrefixScorer, TokenSpellings, best_spelling
from audiopalm.generation.decode import (CTC_WEIGHT, MOOD_WEIGHT, SPEECH_SAMPLING, TEXT_BEAMS, CtcGuide, Sampling,
                                         beam_decode, greedy_decode, memoised)
from audiopalm.generation.mood import MoodScorer
from audiopalm.models.listener import LISTENER
from audiopalm.models.lm import extend_vocabulary
from audiopalm.models.question import QUESTION_HEAD, QuestionHead, char_states, speech_span
from audiopalm.models.speech_out import SpeechOutput
from audiopalm.text.chars import CharCodec
from audiopalm.text.langid import CharNgramLid
from audiopalm.text.tokenizer import TextTokenizer, load_text_tokenizer
from audiopalm.text.vocab import UnifiedVocab
from audiopalm.text.words import SpellingModel, WordNgram

FORMAT = "audiopalm"
# Model folders written before config.json named their languages were all trained on these six.
LEGACY_LANGUAGES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian",
                    "pt": "Portuguese"}
LONG_FORM_BATCH = 8  # stretches of a long recording (or pieces of a long text) decoded together
TTS_MAX_WORDS = 30  # the longest piece of text one TTS decode speaks (Babel sentences have up to 20 words)
# The tasks `translate` decodes through, each with the output segment that holds the translation.
TRANSLATION_SEGMENT = {"AST": 0, "ASR AST": 1}
# The tasks `translate_speech` decodes through, each with the output segment that holds the speech.
SPEECH_SEGMENT = {"S2ST": 0, "ASR AST S2ST": 2}
TEXT_TOKEN_ALLOWANCE = 120  # decoding budget added for each text segment written before the speech
# Language identification reads the CTC head's frames once per language, for that language's best spelling under
# its spelling model (`spelling_model`: the character model, mixed with the word model where there is one) at
# SPELLING_LM_WEIGHT (log p_ctc + 0.5 log p_lm), searched with LID_SPELLING_BEAM prefixes, and adds LID_TASK_WEIGHT x
# the [LID] task's log-probability. Chosen on dev and dev with test-noisy's noise, 150 per language each
# (docs/model.md).
SPELLING_LM_WEIGHT = 0.5
LID_SPELLING_BEAM = 32
LID_TASK_WEIGHT = 0.5
# Where the language model cannot read a voice's tokens it writes fluent words the recording does not say. A
# transcript whose CTC log-probability is more than SPELT_MARGIN per frame of the head below that of the head's own
# best spelling under the language's character model (mixed with its word model where the model has one: text/
# words.py; at SPELT_LM_WEIGHT, SPELT_BEAM prefixes, SPELT_WORD_BONUS nats for each word) is written again, bound to
# that spelling: the model then only chooses its words' forms, case and punctuation. Chosen on dev (the first 30 per
# language; docs/model.md).
SPELT_MARGIN = 0.2
SPELT_LM_WEIGHT = 1.0
SPELT_BEAM = 64
SPELT_WORD_BONUS = 3.0
LANGID = "langid.json"  # the model's language identifier (character models of its languages) in its folder
WORDS = "words.json.gz"  # the model's word models of its languages (spelling searches) in its folder
SPEECH_SOURCES = ("text", "lm")  # spoken output: the text-to-unit model speaks the text, or the LM's speech tokens


def text_pieces(text: str, max_words: int = TTS_MAX_WORDS) -> list[str]:
    """A text -> its sentences (split after . ! ? ; :), a sentence longer than `max_words` words cut into
    runs of at most that many: pieces that each fit one spoken output."""
    pieces = []
    for sentence in re.split(r"(?<=[.!?;:])\s+", text.strip()):
        words = sentence.split()
        pieces += [" ".join(words[i: i + max_words]) for i in range(0, len(words), max_words)]
    return pieces


def join_speech(parts: list[np.ndarray], pause: float = 0.3) -> np.ndarray:
    """Waveforms [N_i] -> one [N], the non-empty ones joined with `pause` seconds of silence."""
    gap, out = np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32), []
    for wav in (p for p in parts if len(p)):
        out += [gap, wav] if out else [wav]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Heard:
    """A recording as the model hears it, made once per request (`AudioPaLM.listen`): every method that
    takes audio takes this instead, so identification, the task and the voice prompt share one tokenisation."""

    wav: np.ndarray  # [N] float32 at 16 kHz
    tokens: torch.Tensor  # [T] int64 semantic tokens at 25 Hz (codebook ids)
    speech: bool | None = None  # voice activity found speech; None: not yet asked
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # what the model read from it once

    @cached_property
    def silent(self) -> bool:
        """True when voice activity finds no speech (silence, noise): nothing to transcribe or say. Found once
        per recording, however many tasks ask."""
        return not self.speech if self.speech is not None else not has_speech_batch([self.wav])[0]


Source = AudioInput | Heard


def unread(audio: Source) -> Heard:
    """A recording as a `Heard` whose memo the CTC head's reading can go in, without tokenising it (no tokens [0])."""
    return audio if isinstance(audio, Heard) else Heard(as_wav(audio), torch.zeros(0, dtype=torch.long))


@dataclass
class SpeechTranslation:
    """What one decode of a speech translation task wrote."""

    transcript: str  # "" for the direct S2ST task, which writes speech alone
    translation: str  # likewise
    tokens: torch.Tensor  # [T] int64 semantic tokens of the spoken translation (codebook ids)
    source: str | None = None  # the source language the decode used (None: nothing heard)


def log_softmax(scores: dict[str, float]) -> dict[str, float]:
    """Log-probabilities of the keys, normalised over them (log-sum-exp)."""
    top = max(scores.values())
    total = top + math.log(sum(math.exp(v - top) for v in scores.values()))
    return {k: v - total for k, v in scores.items()}


def speech_task(task: str) -> str:
    """`task` if it writes a spoken translation ("S2ST", "ASR AST S2ST"), else a clear error."""
    if task not in SPEECH_SEGMENT:
        raise AudiopalmError(f"speech translation task must be 'S2ST' or 'ASR AST S2ST', not {task!r}")
    return task


def speech_token_limit(source_tokens: int, task: str = "S2ST") -> int:
    """The decoding budget of a spoken translation of `source_tokens`: for the speech, twice the source plus a
    margin (translations run about as long as their source), at most 600 tokens (24 s); for each text segment
    the task writes first ("ASR AST S2ST": the transcript and the translation), TEXT_TOKEN_ALLOWANCE more. The
    budget is shared: text that runs on leaves less for the speech."""
    texts = sum(s.modality == "text" for s in get_task(speech_task(task)).outputs)
    return min(600, 2 * source_tokens + 50) + texts * TEXT_TOKEN_ALLOWANCE


def stored_dtype(folder: Path) -> torch.dtype | None:
    """The dtype of the first floating-point tensor in FOLDER/*.safetensors, as stored on disk."""
    from safetensors import safe_open

    names = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32}
    for path in sorted(Path(folder).glob("*.safetensors")):
        with safe_open(str(path), "pt") as f:
            for key in f.keys():
                if (kind := f.get_slice(key).get_dtype()) in names:
                    return names[kind]
    return None


class AudioPaLM:
    def __init__(self, lm, text_tokenizer: TextTokenizer, audio_tokenizer: AudioTokenizer, vocab: UnifiedVocab,
                 languages: Languages, speech_out: SpeechOutput | None = None, tasks: dict[str, float] | None = None):
        self.lm = lm.eval()
        self.text_tokenizer = text_tokenizer
        self.audio_tokenizer = audio_tokenizer
        self.vocab = vocab
        self.languages = languages
        self.speech_out = speech_out
        self.tasks = tasks  # the finetuning mixture (task -> examples per utterance); None: not recorded
        self.decode_dtype: torch.dtype | None = None  # the fast decoder's compute dtype (None: the LM's)
        self.langid: CharNgramLid | None = None  # spelling -> language, for identification beside [LID]
        self.words: WordNgram | None = None  # each language's word n-grams, for the head's spelling (`spelling_model`)
        self.ctc_weights: dict[str, float] = {}  # language code -> its CTC weight chosen on dev (`ctc_weight`)
        self.listener: CtcEncoderModel | None = None  # a CTC encoder read for its character head alone
        # (models/listener.py); None: the audio tokenizer's encoder's head
        self.question_head: QuestionHead | None = None  # question or statement, from a layer of `char_model`
        # (language, characters) -> (the word models it was built with, `token_spellings`)
        self._spellings: dict[tuple, tuple[WordNgram | None, TokenSpellings]] = {}

    # --- construction and persistence ------------------------------------------------------------
    @classmethod
    def from_text_lm(cls, lm_source: str | Path, audio_tokenizer: str | Path | AudioTokenizer,
                     languages: Languages | dict[str, str], init: str = "mean") -> AudioPaLM:
        """A text LM (our LMDIR with model/ and text_tokenizer/, or any Hugging Face causal LM id or
        folder) with its vocabulary extended by the audio tokenizer's codebook; `languages` (code -> English
        name) are those it will be trained on and asked for."""
        from transformers import AutoModelForCausalLM

        lm_source = Path(lm_source) if Path(lm_source).exists() else lm_source
        if isinstance(lm_source, Path) and (lm_source / "model").exists():
            lm = AutoModelForCausalLM.from_pretrained(lm_source / "model", use_safetensors=True)
            text_tok = load_text_tokenizer(lm_source / "text_tokenizer")
        else:
            from audiopalm.text.tokenizer import HfTextTokenizer

            lm, text_tok = AutoModelForCausalLM.from_pretrained(str(lm_source), use_safetensors=True), HfTextTokenizer(lm_source)
        audio_tok = audio_tokenizer if isinstance(audio_tokenizer, AudioTokenizer) else AudioTokenizer.from_pretrained(audio_tokenizer)
        vocab = UnifiedVocab(text_tok.vocab_size, audio_tok.codebook_size, text_tok.bos_id, text_tok.eos_id,
                             text_tok.pad_id, text_tok.sep_id)
        if lm.get_input_embeddings().weight.shape[0] < text_tok.vocab_size:
            raise AudiopalmError(f"{lm_source}: the LM has fewer embedding rows than its tokenizer has tokens")
        extend_vocabulary(lm, vocab.size, init)
        return cls(lm, text_tok, audio_tok, vocab, languages if isinstance(languages, Languages) else Languages(languages))

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.lm.save_pretrained(str(folder / "lm"))
        self.text_tokenizer.save(folder / "text_tokenizer")
        self.audio_tokenizer.save_pretrained(folder / "audio_tokenizer")
        if self.speech_out is not None:
            self.speech_out.save_pretrained(folder / "speech_out")
        config = {"format": FORMAT, "version": 1, "vocab": self.vocab.to_dict(), "languages": self.languages.names}
        if self.tasks is not None:
            config["tasks"] = self.tasks
        if self.ctc_weights:
            config["ctc_weights"] = self.ctc_weights
        if self.langid is not None:
            self.langid.save(folder / LANGID)
        if self.words is not None:
            self.words.save(folder / WORDS)
        if self.listener is not None:
            save_ctc_model(self.listener, folder / LISTENER)
        if self.question_head is not None:
            self.question_head.save(folder / QUESTION_HEAD)
        (folder / "config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> AudioPaLM:
        """Load a folder written by `save_pretrained`; a missing, truncated or malformed part of it is one
        AudiopalmError naming the folder and the reason."""
        folder = Path(folder)
        config_path = folder / "config.json"
        try:
            config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        except (OSError, ValueError) as e:
            raise AudiopalmError(f"{config_path}: unreadable ({first_line(e)})") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise AudiopalmError(f"{folder} is not an AudioPaLM model folder (no audiopalm config.json)")
        from safetensors import SafetensorError

        try:
            return cls._load(folder, config)
        except AudiopalmError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as e:
            # what a damaged folder raises: missing files, truncated safetensors, wrong shapes, bad json
            raise AudiopalmError(f"{folder}: cannot load the model: {type(e).__name__}: {first_line(e)}") from e

    @classmethod
    def _load(cls, folder: Path, config: dict) -> AudioPaLM:
        from transformers import AutoModelForCausalLM

        vocab = UnifiedVocab(**config["vocab"])
        languages = Languages(config.get("languages") or LEGACY_LANGUAGES)
        speech_out = SpeechOutput.from_pretrained(folder / "speech_out") if (folder / "speech_out").exists() else None
        lm = AutoModelForCausalLM.from_pretrained(folder / "lm", use_safetensors=True).float()  # bundles store fp16
        model = cls(lm, load_text_tokenizer(folder / "text_tokenizer"),
                    AudioTokenizer.from_pretrained(folder / "audio_tokenizer"), vocab, languages, speech_out,
                    config.get("tasks"))
        if (folder / LANGID).is_file():
            model.langid = CharNgramLid.load(folder / LANGID)
        if (folder / WORDS).is_file():
            model.words = WordNgram.load(folder / WORDS)
        if (folder / LISTENER).is_dir():
            model.listener = load_ctc_model(folder / LISTENER)
        if (folder / QUESTION_HEAD).is_dir():
            model.question_head = QuestionHead.load(folder / QUESTION_HEAD)
        model.ctc_weights = {str(k): float(v) for k, v in config.get("ctc_weights", {}).items()}
        if stored_dtype(folder / "lm") == torch.float16:  # decode in the dtype the weights were shipped in
            model.decode_dtype = torch.float16
        if lm.get_input_embeddings().weight.shape[0] < vocab.size:
            raise AudiopalmError(f"{folder}: the LM has {lm.get_input_embeddings().weight.shape[0]} embedding rows, "
                                 f"its vocabulary needs {vocab.size}")
        if model.audio_tokenizer.codebook_size != vocab.audio_size:
            raise AudiopalmError(f"{folder}: audio_tokenizer/ has {model.audio_tokenizer.codebook_size} tokens, config.json's "
                                 f"vocabulary {vocab.audio_size}: the folder mixes parts of two models")
        if model.text_tokenizer.vocab_size != vocab.text_size:
            raise AudiopalmError(f"{folder}: text_tokenizer/ has {model.text_tokenizer.vocab_size} tokens, config.json's "
                                 f"vocabulary {vocab.text_size}: the folder mixes parts of two models")
        return model

    @property
    def ast_task(self) -> str:
        """How `translate` decodes: "ASR AST" (transcript, then translation) when the model was finetuned on
        that combined task, else the direct "AST"."""
        return "ASR AST" if (self.tasks or {}).get("ASR AST", 0) > 0 else "AST"

    @property
    def s2st_task(self) -> str:
        """How `translate_speech` decodes: "ASR AST S2ST" (transcript, translation, then its speech) when the
        model was finetuned on that combined task, else the direct "S2ST"."""
        return "ASR AST S2ST" if (self.tasks or {}).get("ASR AST S2ST", 0) > 0 else "S2ST"

    @property
    def speech_from(self) -> str:
        """Where spoken output comes from by default: "text" (the speech stage's text-to-unit model speaks the
        text the model writes: the translation, or the text given to `speak`) where the stage has one, else "lm"
        (the language model's own speech tokens, through the S2ST and TTS tasks)."""
        return "text" if self.speech_out is not None and self.speech_out.units is not None else "lm"

    def speech_source(self, speech_from: str | None) -> str:
        """`speech_from` checked ("text" or "lm"; None: the model's default), with one clear error where the
        speech stage cannot give it."""
        source = speech_from or self.speech_from
        if source not in SPEECH_SOURCES:
            raise AudiopalmError(f"speech_from must be one of {', '.join(SPEECH_SOURCES)}, not {source!r}")
        if source == "text" and self._speech_stage().units is None:
            raise AudiopalmError("speech from text needs a text-to-unit model in the speech stage: attach one with "
                                 "`audiopalm attach-speech --units FOLDER`")
        return source

    # --- prompting and decoding ----------------------------------------------------------------
    def prompt(self, task: str, source: str | None, target: str | None, input_ids: torch.Tensor) -> torch.Tensor:
        """BOS tag input <sep> -> ids [L]; `input_ids` already in vocabulary ids; languages by code or name."""
        tag_ids = self.text_tokenizer.encode(task_tag(self.languages, task, source, target))
        return prompt_ids(self.vocab, tag_ids, input_ids)

    def listen(self, audio: Source) -> Heard:
        """A recording (path or float array at 16 kHz) -> its waveform and semantic tokens, made once."""
        if isinstance(audio, Heard):
            return audio
        wav = as_wav(audio)
        return Heard(wav, self.audio_tokenizer.encode(wav))

    def listen_batch(self, audios: list[Source]) -> list[Heard]:
        """Many recordings, tokenised in one encoder batch, with voice activity found in one batch too."""
        todo = [i for i, a in enumerate(audios) if not isinstance(a, Heard)]
        wavs = {i: as_wav(audios[i], str(audios[i]) if isinstance(audios[i], (str, Path)) else f"audio[{i}]")
                for i in todo}
        tokens = dict(zip(todo, self.audio_tokenizer.encode_batch([wavs[i] for i in todo]))) if todo else {}
        speech = dict(zip(todo, has_speech_batch([wavs[i] for i in todo]))) if todo else {}
        return [a if isinstance(a, Heard) else Heard(wavs[i], tokens[i], speech[i]) for i, a in enumerate(audios)]

    def audio_input(self, audio: Source) -> torch.Tensor:
        """A recording -> its tokens in vocabulary ids [T]."""
        return self.vocab.audio_ids(self.listen(audio).tokens)

    def run(self, task: str, prompts: list[torch.Tensor], beams: int | None = None, max_new_tokens: int = 400,
            sampling: Sampling | None = SPEECH_SAMPLING, guides: list[CtcGuide | None] | None = None,
            bind_to_spelling: bool = True) -> list[list[list[int]]]:
        """Decode each prompt into the task's output segments (vocabulary ids). Speech segments are drawn
        with `sampling` (None: greedy); beam search is for text and decodes speech greedily (`beams` None:
        TEXT_BEAMS for a task that writes text alone, 1 for one that writes speech). `guides`: per
        prompt, a CTC guide for its first segment (`ctc_guide`), which makes the decode a beam search (of
        `beams`, 1 included) ranked by the language model and the CTC head together, and a transcript the recording
        does not say written again bound to the head's spelling (`spelt_instead`; not with `bind_to_spelling`
        False)."""
        modalities = [s.modality for s in get_task(task).outputs]
        if beams is None:
            beams = 1 if "audio" in modalities else TEXT_BEAMS
        if beams < 1:
            raise AudiopalmError(f"beams must be at least 1, not {beams}")
        guides = guides if guides and any(guides) else None
        if beams > 1 or guides:
            if "audio" in modalities and sampling is not None:
                raise AudiopalmError(f"task {task} writes speech: beam search needs greedy speech (sampling=None), "
                                     "or use beams=1 with sampling")
            return [self._beam_decode(p, modalities, beams, max_new_tokens, g, bind_to_spelling)
                    for p, g in zip(prompts, guides or [None] * len(prompts))]
        return greedy_decode(self.lm, self.vocab, prompts, modalities, max_new_tokens, dtype=self.decode_dtype,
                             audio_sampling=sampling)

    def _beam_decode(self, prompt: torch.Tensor, modalities: list[str], beams: int, max_new_tokens: int,
                     guide: CtcGuide | None, bind: bool = True) -> list[list[int]]:
        """One prompt's beam search; with a guide and `bind`, decoded again bound to the head's spelling where the
        transcript disagrees with the recording (`spelt_instead`). Where no bound hypothesis writes the whole
        spelling, the spelling itself is the transcript (`written_spelling`) and the segments after it are decoded
        from it."""
        segments = beam_decode(self.lm, self.vocab, prompt, modalities, beams, max_new_tokens, dtype=self.decode_dtype,
                               ctc=guide)
        if guide is None or not bind or (spelt := self.spelt_instead(guide, segments[0])) is None:
            return segments
        bound = replace(guide, spelt=spelt, spellings=self.token_spellings(guide.scorer.lang, guide.scorer.codec))
        again = beam_decode(self.lm, self.vocab, prompt, modalities, beams, max_new_tokens, dtype=self.decode_dtype,
                            ctc=bound)
        if guide.scorer.spell(again[0]) == spelt:
            return again
        transcript = self.written_spelling(guide, spelt)
        if len(modalities) == 1:
            return [transcript]
        after = torch.cat([prompt, torch.tensor([*transcript, self.vocab.sep_id], dtype=prompt.dtype)])
        budget = max(max_new_tokens - len(transcript) - 1, 1)
        rest = beam_decode(self.lm, self.vocab, after, modalities[1:], beams, budget, dtype=self.decode_dtype)
        return [transcript, *rest]

    def written_spelling(self, guide: CtcGuide, spelt: tuple[int, ...]) -> list[int]:
        """A spelling (the guide's character ids) written as a transcript (text ids): a capital first, the words the
        word models' casing writes capitalised, and the mark of the mood the guide's question head hears ("?",
        Spanish's "¿...?"), else "."."""
        lang = guide.scorer.lang
        words = "".join(guide.scorer.codec.vocab[i] for i in spelt).split()
        if self.words is not None:  # each word away from the start as the language writes it ("Lehrerin", "der")
            words[1:] = [w[:1].upper() + w[1:] if self.words.capitalised(lang, w) else w for w in words[1:]]
        text = " ".join(words)
        text = text[:1].upper() + text[1:]
        if guide.mood is not None and guide.mood.log_question > guide.mood.log_statement:
            text = f"¿{text}?" if lang == "es" else f"{text}?"
        else:
            text = f"{text}."
        return self.text_tokenizer.encode(text)

    def spelt_instead(self, guide: CtcGuide, transcript: list[int]) -> tuple[int, ...] | None:
        """The head's best spelling (character ids) under the language's spelling model (`spelling_model`), where the
        recording says it more likely than `transcript` (ids) by SPELT_MARGIN a frame; else None (and without a
        guide's CTC scorer or a character model of the language)."""
        scorer = guide.scorer
        if scorer is None or self.langid is None or scorer.lang not in self.langid.counts:
            return None
        frames = scorer.x.T  # [T, V]
        least = scorer.full(transcript) + SPELT_MARGIN * len(frames)  # what a spelling must score to be written
        if least >= 0:  # no spelling's log-probability reaches above 0: the search is not needed
            return None
        _, text = best_spelling(frames, scorer.codec.vocab, self.spelling_model(scorer.lang), SPELT_LM_WEIGHT,
                                beam=SPELT_BEAM, bonus=SPELT_WORD_BONUS)
        spelt = tuple(scorer.codec.encode(text, scorer.lang))
        return spelt if spelt and scorer.full_chars(spelt) > least else None

    def spelling_model(self, code: str) -> Callable[[str, str], float]:
        """log p(next character | text so far) in language `code` for a spelling search: its character model (`langid`,
        which must know the language), mixed with its word model where the model has one for it (`words`)."""
        if self.words is not None and code in self.words.counts:
            return SpellingModel(self.words, self.langid, code)
        return partial(self.langid.next_char_log_prob, code)

    def token_spellings(self, code: str, codec: CharCodec) -> TokenSpellings:
        """What each text token spells in language `code` with a CTC head's characters, and which case begins each
        word the word models know (built once for each)."""
        key = (code, tuple(codec.vocab))
        built = self._spellings.get(key)
        if built is None or built[0] is not self.words:  # other word models since: their casing may differ
            reference = self.text_tokenizer.encode("a")[-1]
            casing = self.words.casing.get(code) if self.words is not None else None
            self._spellings[key] = (self.words, TokenSpellings.of(self.text_of, codec, code, self.vocab.text_size,
                                                                  reference, casing))
        return self._spellings[key][1]

    def text_of(self, ids: list[int]) -> str:
        return self.text_tokenizer.decode([i for i in ids if i < self.vocab.text_size])

    def language_scores(self, audio: Source, candidates: list[str] | None = None) -> dict[str, float]:
        """The log-probability of each candidate language (codes or names; default: every language of the model),
        normalised over the candidates: the [LID] task's (`language_scores_of_tokens`), or, where the model has a
        language identifier (`langid`) and a CTC head, LID_TASK_WEIGHT x that plus the score of the language's
        best spelling of the recording (`spelling_scores`)."""
        heard = self.listen(audio)
        lid = log_softmax(self.language_scores_of_tokens(self.vocab.audio_ids(heard.tokens), candidates))
        known = self.langid is not None and set(lid) <= set(self.langid.languages)
        if not known or (looks := self.spelling_scores(heard, list(lid))) is None:
            return lid
        return log_softmax({c: LID_TASK_WEIGHT * lid[c] + looks[c] for c in lid})

    def spelling_scores(self, audio: Source, codes: list[str],
                        beam: int = LID_SPELLING_BEAM) -> dict[str, float] | None:
        """Each language's (codes, all in `langid`) best spelling of the recording by the CTC head: its score
        log p_ctc + SPELLING_LM_WEIGHT x log p_language (`best_spelling` with `beam` prefixes, p_language the
        language's `spelling_model`); None where there is no character head."""
        if (log_probs := self.char_log_probs(audio)) is None:
            return None
        frames, vocab = log_probs.double().numpy(), self.char_codec.vocab
        return {c: best_spelling(frames, vocab, self.spelling_model(c), SPELLING_LM_WEIGHT, beam)[0] for c in codes}

    @property
    def char_model(self) -> CtcEncoderModel | None:
        """The CTC encoder whose character head reads recordings (`char_log_probs`): the listener where the model
        has one, else the audio tokenizer's encoder; None for a tokenizer without one (MFCC, `hf:`) and no listener."""
        if self.listener is not None:
            return self.listener
        encoder = self.audio_tokenizer.encoder
        return encoder.model if isinstance(encoder, CtcEncoder) else None

    @property
    def char_codec(self) -> CharCodec | None:
        """The characters of the CTC head (`char_model`); None where there is none."""
        model = self.char_model
        return None if model is None else CharCodec(model.cfg.vocab)

    @torch.inference_mode()
    def char_log_probs(self, audio: Source) -> torch.Tensor | None:
        """The CTC head (`char_model`) on a recording: log-probabilities [char_rate * T, V] (blank first; 25 or 50 Hz),
        read once per `Heard`; None where there is no character head."""
        if (model := self.char_model) is None:
            return None
        heard = unread(audio)
        head = self.question_head
        if "chars" not in heard.memo or (head is not None and "mood" not in heard.memo):
            mel = mel_for_tokens(heard.wav, model.cfg.n_mels, model.cfg.features)[None]
            if head is None:
                heard.memo["chars"] = model(mel)[0].float().log_softmax(-1)
            else:  # the same pass gives the question head its layer
                heard.memo["chars"], states = char_states(model, mel, head.cfg.layer)
                span = speech_span(heard.memo["chars"], model.cfg.char_rate)
                heard.memo["mood"] = head.log_probs(head.window(states, span))
        return heard.memo["chars"]

    def question_log_probs(self, audio: Source) -> tuple[float, float] | None:
        """The question head (`question_head`) on a recording: (log p(question), log p(statement)), read in the
        CTC head's pass; None where the model has no question head."""
        if self.question_head is None or self.char_model is None:
            return None
        heard = unread(audio)
        self.char_log_probs(heard)
        return heard.memo["mood"]

    def spelling(self, audio: Source) -> str | None:
        """The CTC head's own greedy transcript (lowercase, no punctuation); None where there is no character
        head."""
        log_probs = self.char_log_probs(audio)
        return None if log_probs is None else self.char_codec.decode_ctc(log_probs.argmax(-1).tolist())

    def ctc_weight(self, lang: str) -> float:
        """The CTC head's share in ranking transcripts in `lang`: the model's own, chosen on dev speakers
        (config.json "ctc_weights"; 0 where the head spells the language worse than the model writes it), else
        CTC_WEIGHT."""
        return self.ctc_weights.get(self.languages.code(lang), CTC_WEIGHT)

    def ctc_guide(self, audio: Source, lang: str, weight: float | None = None,
                  mood_weight: float | None = None) -> CtcGuide | None:
        """What joint decoding of a transcript in `lang` needs from a recording: its CTC head's reading, ranked
        with `weight` (None: `ctc_weight(lang)`) beside the language model, and where the model has a question
        head (`question_head`), its reading of the mood, ranked with `mood_weight` (None: MOOD_WEIGHT). None for
        `weight` 0 (asked for: the language model alone), and where neither counts (the model's weight 0 and no
        question head, or no character head: `char_model`)."""
        if weight is not None and weight <= 0:
            return None
        mood_weight = MOOD_WEIGHT if mood_weight is None else mood_weight
        code = self.languages.code(lang)
        weight = self.ctc_weight(code) if weight is None else weight
        heard = unread(audio)  # one CTC pass for the mood and the characters, read from a path too
        moods = self.question_log_probs(heard) if mood_weight > 0 else None
        if (weight <= 0 and moods is None) or (log_probs := self.char_log_probs(heard)) is None:
            return None
        text_of = memoised(self.text_of)
        scorer = CtcPrefixScorer(log_probs, self.char_codec, code, text_of) if weight > 0 else None
        mood = MoodScorer(*moods, text_of) if moods else None
        return CtcGuide(scorer, weight, mood=mood, mood_weight=mood_weight)

    @torch.inference_mode()
    def language_scores_of_tokens(self, audio_ids: torch.Tensor, candidates: list[str] | None = None) -> dict[str, float]:
        """log p(name | [LID] audio) for each candidate from audio tokens already in vocabulary ids [T], scored by
        teacher forcing in one batch (the model may only choose among the candidates); keyed by language code."""
        codes = [self.languages.code(c) for c in candidates] if candidates else self.languages.codes
        head = self.prompt("LID", None, None, audio_ids)
        names = [[*self.text_tokenizer.encode(self.languages.name(c)), self.vocab.eos_id] for c in codes]
        seqs = [torch.cat([head, torch.tensor(n)]) for n in names]
        longest = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), longest), self.vocab.pad_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        for i, s in enumerate(seqs):
            ids[i, : len(s)], attn[i, : len(s)] = s, 1
        device = self.lm.get_input_embeddings().weight.device
        logp = self.lm(input_ids=ids.to(device), attention_mask=attn.to(device)).logits.float().log_softmax(-1).cpu()
        scores = {}
        for i, (c, n) in enumerate(zip(codes, names)):
            positions = torch.arange(len(head) - 1, len(head) - 1 + len(n))
            scores[c] = float(logp[i, positions, torch.tensor(n)].sum())
        return scores

    def identify_language(self, audio: Source, candidates: list[str] | None = None) -> str:
        """The code of the most likely spoken language among `candidates` (default: the model's languages)."""
        scores = self.language_scores(audio, candidates)
        return max(scores, key=scores.get)

    def identify_language_of_tokens(self, audio_ids: torch.Tensor, candidates: list[str] | None = None) -> str:
        """The [LID] task's choice from the tokens alone (`identify_language` also reads the recording)."""
        scores = self.language_scores_of_tokens(audio_ids, candidates)
        return max(scores, key=scores.get)

    def _source_language(self, heard: Heard, lang: str | None) -> str:
        return self.languages.code(lang) if lang else self.identify_language(heard)

    def _pair(self, heard: Heard, to: str, lang: str | None) -> tuple[str, str]:
        target = self.languages.code(to)
        source = self._source_language(heard, lang)
        if source == target and lang:
            raise AudiopalmError(f"the source and target language are both {self.languages.name(source)}: "
                                 "translation needs two languages (transcribe for the same language)")
        return source, target

    # --- the API --------------------------------------------------------------------------------
    def transcribe(self, audio: Source | list[Source], lang: str | None = None, beams: int | None = None,
                   ctc_weight: float | None = None, mood_weight: float | None = None) -> str | list[str]:
        """Speech -> text in the spoken language (`lang`: a code such as 'fr' or an English name; None:
        identified first with the LID task). A list of recordings -> list of texts, heard and decoded
        LONG_FORM_BATCH at a time (a batch each; memory stays bounded however many). `ctc_weight`: the
        CTC head's share (`char_model`) in ranking the hypotheses (`ctc_guide`; None: the model's for the
        language, 0: the language model alone); `mood_weight`: the question head's in ranking their mood (None:
        MOOD_WEIGHT; 0: not at all)."""
        if isinstance(audio, list):
            chunks = [audio[i: i + LONG_FORM_BATCH] for i in range(0, len(audio), LONG_FORM_BATCH)]
            return [text for chunk in chunks for text, _ in
                    self.transcribe_heard(self.listen_batch(chunk), [lang] * len(chunk), beams, ctc_weight,
                                          mood_weight)]
        return self.transcribe_heard([self.listen(audio)], [lang], beams, ctc_weight, mood_weight)[0][0]

    def transcribe_heard(self, heard: list[Heard], langs: list[str | None], beams: int | None = None,
                         ctc_weight: float | None = None,
                         mood_weight: float | None = None) -> list[tuple[str, str | None]]:
        """Recordings already heard, each with its language (None: identified) -> [(text, language code)] decoded
        as one batch; a silent recording gives ("", None)."""
        spoken = [i for i, h in enumerate(heard) if not h.silent]
        codes = {i: self._source_language(heard[i], langs[i]) for i in spoken}
        prompts = [self.prompt("ASR", codes[i], None, self.vocab.audio_ids(heard[i].tokens)) for i in spoken]
        guides = [self.ctc_guide(heard[i], codes[i], ctc_weight, mood_weight) for i in spoken]
        decoded = self.run("ASR", prompts, beams, guides=guides) if prompts else []
        texts = dict(zip(spoken, (self.text_of(s[0]) for s in decoded)))
        return [(texts[i], codes[i]) if i in texts else ("", None) for i in range(len(heard))]

    def transcribe_segments(self, audio: AudioInput, lang: str | None = None, beams: int | None = None,
                            vad: VadConfig = VadConfig(), ctc_weight: float | None = None,
                            mood_weight: float | None = None) -> list[dict]:
        """A recording of any length -> [{"start", "end", "text"}] (seconds): voice activity splits it into
        stretches that fit the model's context, transcribed LONG_FORM_BATCH at a time (memory stays bounded
        whatever the length). Silence gives no segment."""
        wav = as_wav(audio)
        spans = speech_segments(wav, vad)
        texts = self.transcribe(cut(wav, spans), lang, beams, ctc_weight, mood_weight)
        return [{"start": a, "end": b, "text": t} for (a, b), t in zip(spans, texts)]

    def translate_segments(self, audio: AudioInput, to: str, lang: str | None = None, beams: int | None = None,
                           vad: VadConfig = VadConfig(), ctc_weight: float | None = None,
                           mood_weight: float | None = None) -> tuple[str | None, list[dict]]:
        """A recording of any length -> (its language, [{"start", "end", "text"}] in `to`): one stretch when it
        fits the model's context, else its stretches of speech, each translated; the language (None:
        identified on the first stretch) holds for all. Speech identified as `to` gives its transcript; a
        `lang` equal to `to` is an error, as in `translate`."""
        wav = as_wav(audio)
        spans = stretches(wav, vad)
        pieces = [self.listen(piece) for piece in cut(wav, spans)]
        spoken = [h for h in pieces if not h.silent]
        if not spoken:
            return self.languages.code(lang) if lang else None, []
        source, target = self._pair(spoken[0], to, lang)
        if source == target:
            texts = self.transcribe(pieces, source, beams, ctc_weight, mood_weight)
        else:
            texts = [self.translate(h, target, source, beams, ctc_weight=ctc_weight, mood_weight=mood_weight)
                     for h in pieces]
        return source, [{"start": a, "end": b, "text": t} for (a, b), t in zip(spans, texts)]

    def translate(self, audio: Source, to: str, lang: str | None = None, beams: int | None = None,
                  task: str | None = None, ctc_weight: float | None = None, mood_weight: float | None = None) -> str:
        """Speech in `lang` (None: identified) -> text in `to`; silence -> "". `task`: "AST" (the translation
        alone) or "ASR AST" (the transcript first, in the same decode, with `ctc_weight` and `mood_weight` as in
        `transcribe`); None: the model's `ast_task`."""
        return self._translate(audio, to, lang, beams, task or self.ast_task, ctc_weight, mood_weight)[1]

    def transcribe_and_translate(self, audio: Source, to: str, lang: str | None = None, beams: int | None = None,
                                 ctc_weight: float | None = None, mood_weight: float | None = None) -> tuple[str, str]:
        """Speech -> (transcript, translation into `to`): one decode of the combined task when the model was
        trained on it, else ASR and AST one after the other; silence -> ("", "")."""
        if self.ast_task == "ASR AST":
            return self._translate(audio, to, lang, beams, "ASR AST", ctc_weight, mood_weight)
        heard = self.listen(audio)
        if heard.silent:
            return "", ""
        source, target = self._pair(heard, to, lang)
        return (self.transcribe(heard, source, beams, ctc_weight, mood_weight),
                self._translate(heard, target, source, beams, "AST", ctc_weight, mood_weight)[1])

    def _translate(self, audio: Source, to: str, lang: str | None, beams: int, task: str,
                   ctc_weight: float | None = None, mood_weight: float | None = None) -> tuple[str, str]:
        """-> (transcript or "" for the direct task, translation)."""
        if task not in TRANSLATION_SEGMENT:
            raise AudiopalmError(f"translation task must be 'AST' or 'ASR AST', not {task!r}")
        heard = self.listen(audio)
        if heard.silent:
            return "", ""
        source, target = self._pair(heard, to, lang)
        # the guide reads a transcript: the combined task's first segment
        guide = self.ctc_guide(heard, source, ctc_weight, mood_weight) if TRANSLATION_SEGMENT[task] else None
        segments = self.run(task, [self.prompt(task, source, target, self.vocab.audio_ids(heard.tokens))], beams,
                            guides=[guide])[0]
        texts = [self.text_of(s) for s in segments]
        at = TRANSLATION_SEGMENT[task]
        return (texts[0] if at else ""), texts[at]

    def translate_speech_tokens(self, audio: Source, to: str, lang: str | None = None, beams: int | None = None,
                                sampling: Sampling | None = SPEECH_SAMPLING, task: str | None = None) -> torch.Tensor:
        """Speech in `lang` (None: identified) -> semantic audio tokens [T] of the translation in `to`;
        silence -> no tokens [0]. `task`: "S2ST" (the speech alone) or "ASR AST S2ST" (the transcript and the
        translation first, in the same decode); None: the model's `s2st_task`."""
        return self._s2st(audio, to, lang, beams, sampling, task).tokens

    def _s2st(self, audio: Source, to: str, lang: str | None, beams: int, sampling: Sampling | None,
              task: str | None) -> SpeechTranslation:
        """One decode of a speech translation task: its speech tokens, and the texts it writes before them."""
        task = speech_task(task or self.s2st_task)
        heard = self.listen(audio)
        if heard.silent:
            return SpeechTranslation("", "", torch.zeros(0, dtype=torch.long))
        source, target = self._pair(heard, to, lang)
        prompt = self.prompt(task, source, target, self.vocab.audio_ids(heard.tokens))
        segments = self.run(task, [prompt], beams, speech_token_limit(len(heard.tokens), task), sampling)[0]
        at = SPEECH_SEGMENT[task]
        tokens = self.vocab.audio_tokens(torch.tensor(segments[at], dtype=torch.long))
        if at == 0:  # the direct task writes speech alone
            return SpeechTranslation("", "", tokens, source)
        return SpeechTranslation(self.text_of(segments[0]), self.text_of(segments[1]), tokens, source)

    def _speech_stage(self) -> SpeechOutput:
        if self.speech_out is None:
            raise AudiopalmError("this model has no speech output stage (speech_out/): attach one with "
                                 "audiopalm attach-speech, or use translate_speech_tokens")
        return self.speech_out

    def voice_prompt(self, audio: Source) -> tuple[torch.Tensor, torch.Tensor]:
        """The first seconds of a recording as a voice prompt: (semantic tokens, codec codes or mel frames)."""
        heard = self.listen(audio)
        return self._speech_stage().prompt(heard.wav, heard.tokens)

    def translate_speech(self, audio: Source, to: str, lang: str | None = None, beams: int | None = None,
                         voice: Source | None = None, sampling: Sampling | None = SPEECH_SAMPLING,
                         task: str | None = None, speech_from: str | None = None,
                         ctc_weight: float | None = None, mood_weight: float | None = None) -> np.ndarray:
        """S2ST: speech in `lang` -> float32 waveform [N] at 16 kHz in `to`, in the voice of `voice`
        (default: the source speaker); silence -> an empty waveform [0]. `task` as in `translate_speech_tokens`;
        `speech_from`, `ctc_weight` and `mood_weight` as in `spoken_translation`."""
        self._speech_stage()  # before any work
        if self.speech_source(speech_from) == "text":
            return self.spoken_translation(audio, to, lang, beams, voice, sampling, task, "text", ctc_weight,
                                           mood_weight)[2]
        task = speech_task(task or self.s2st_task)
        heard = self.listen(audio)
        tokens = self.translate_speech_tokens(heard, to, lang, beams, sampling, task)
        return self._render(tokens, voice if voice is not None else heard)

    def spoken_translation(self, audio: Source, to: str, lang: str | None = None, beams: int | None = None,
                           voice: Source | None = None, sampling: Sampling | None = SPEECH_SAMPLING,
                           task: str | None = None, speech_from: str | None = None,
                           ctc_weight: float | None = None,
                           mood_weight: float | None = None) -> tuple[str, str, np.ndarray]:
        """S2ST with its texts: (transcript, translation, waveform [N] at 16 kHz in the voice of `voice`, default
        the source speaker; silence -> an empty waveform).

        `speech_from` "text" (the default where the speech stage has a text-to-unit model): the texts are
        `transcribe_and_translate`'s (with `beams`) and the text-to-unit model speaks the translation. "lm": the
        language model writes the speech tokens itself. Through the combined task (`task`; the default where the
        model was finetuned on it) all three come from one decode, so the speech says the translation given;
        `beams` > 1 then needs greedy speech (sampling None). Otherwise the texts are `transcribe_and_translate`'s (with
        `beams`) and the speech is decoded apart (greedily with `beams`, or sampled). `ctc_weight` and `mood_weight`
        as in `transcribe`, for the texts `transcribe_and_translate` writes."""
        self._speech_stage()  # before any work
        source = self.speech_source(speech_from)
        task = speech_task(task or self.s2st_task)
        heard = self.listen(audio)
        voice = voice if voice is not None else heard
        if source == "text":
            transcript, translation = self.transcribe_and_translate(heard, to, lang, beams, ctc_weight, mood_weight)
            wav = self.speak(translation, to, voice, speech_from="text") if translation.strip() else np.zeros(0, np.float32)
            return transcript, translation, wav
        direct = task == "S2ST"
        said = self._s2st(heard, to, lang, 1 if direct and sampling is not None else beams, sampling, task)
        transcript, translation = (self.transcribe_and_translate(heard, to, said.source or lang, beams, ctc_weight,
                                                                 mood_weight)
                                   if direct else (said.transcript, said.translation))
        return transcript, translation, self._render(said.tokens, voice)

    def _render(self, tokens: torch.Tensor, voice: Source) -> np.ndarray:
        """Semantic tokens [T] -> waveform [N] in the voice of `voice` (no tokens: an empty waveform)."""
        stage = self._speech_stage()
        if len(tokens) == 0:
            return np.zeros(0, dtype=np.float32)
        return stage.synthesize(tokens, self.voice_prompt(voice))

    def speak(self, text: str, lang: str, voice: Source | None = None,
              sampling: Sampling | None = SPEECH_SAMPLING, speech_from: str | None = None) -> np.ndarray:
        """TTS: text in `lang` -> float32 waveform [N] at 16 kHz (in the voice of `voice`, if given). A long
        text is spoken piece by piece (`text_pieces`: sentences of at most TTS_MAX_WORDS words), joined
        with short pauses. `speech_from` "text": the speech stage's text-to-unit model speaks it (the default
        where the stage has one); "lm": the language model's TTS task writes the speech tokens (with `sampling`)."""
        stage = self._speech_stage()
        source = self.speech_source(speech_from)
        pieces = text_pieces(text)
        if not pieces:
            raise AudiopalmError("nothing to say: the text is empty")
        voice_prompt = self.voice_prompt(voice) if voice is not None else None
        if source == "text":
            code = self.languages.code(lang)
            return join_speech([stage.say(piece, code, voice_prompt) for piece in pieces])
        prompts = [self.prompt("TTS", lang, None, torch.tensor(self.text_tokenizer.encode(p), dtype=torch.long))
                   for p in pieces]
        waves = []
        for i in range(0, len(prompts), LONG_FORM_BATCH):
            for segments in self.run("TTS", prompts[i: i + LONG_FORM_BATCH], sampling=sampling):
                tokens = self.vocab.audio_tokens(torch.tensor(segments[0], dtype=torch.long))
                waves.append(stage.synthesize(tokens, voice_prompt))
        return join_speech(waves)
