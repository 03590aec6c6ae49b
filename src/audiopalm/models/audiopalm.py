"""AudioPaLM: one decoder LM over text and audio tokens, steered by task tags.

    model = AudioPaLM.from_text_lm("runs/lm-small", "runs/tok-ctc")   # E' = [E_text; E_audio]
    model.save_pretrained("runs/audiopalm")                            # one self-contained folder
    model = AudioPaLM.from_pretrained("runs/audiopalm")
    model.transcribe("speech.wav", lang="fr")
    model.transcribe("speech.wav")                                     # the language is identified first
    model.translate("speech.wav", to="en", lang="fr")                  # text
    model.translate_speech_tokens("speech.wav", to="en")             # target semantic tokens [T]
    model.translate_speech("speech.wav", to="en")                      # waveform, in the source voice
    model.speak("Bonjour.", lang="fr", voice="prompt.wav")             # TTS

A folder holds config.json, lm/ (Hugging Face causal LM, safetensors), text_tokenizer/,
audio_tokenizer/ and, once attached, speech_out/ (codec and acoustic model: models/speech_out.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

import numpy as np

from audiopalm.audio.tokenizer import AudioInput, AudioTokenizer, as_wav
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.tasks import get_task, language_name, tag
from audiopalm.errors import AudiopalmError
from audiopalm.generation.decode import Sampling, beam_decode, greedy_decode
from audiopalm.models.lm import extend_vocabulary
from audiopalm.models.speech_out import SpeechOutput
from audiopalm.text.tokenizer import TextTokenizer, load_text_tokenizer
from audiopalm.text.vocab import UnifiedVocab

FORMAT = "audiopalm"


def speech_token_limit(source_tokens: int) -> int:
    """Most semantic tokens to write for a spoken translation of `source_tokens`: translations run about
    as long as their source, so twice that plus a margin, at most 24 s."""
    return min(600, 2 * source_tokens + 50)


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
                 speech_out: SpeechOutput | None = None):
        self.lm = lm.eval()
        self.text_tokenizer = text_tokenizer
        self.audio_tokenizer = audio_tokenizer
        self.vocab = vocab
        self.speech_out = speech_out
        self.decode_dtype: torch.dtype | None = None  # the fast decoder's compute dtype (None: the LM's)
        # speech tokens are sampled (greedy ones loop: generation/decode.py); None: greedy
        self.audio_sampling: Sampling | None = Sampling()

    # --- construction and persistence ------------------------------------------------------------
    @classmethod
    def from_text_lm(cls, lm_source: str | Path, audio_tokenizer: str | Path | AudioTokenizer,
                     init: str = "mean") -> AudioPaLM:
        """A text LM (our LMDIR with model/ and text_tokenizer/, or any Hugging Face causal LM id or
        folder) with its vocabulary extended by the audio tokenizer's codebook."""
        from transformers import AutoModelForCausalLM

        lm_source = Path(lm_source) if Path(lm_source).exists() else lm_source
        if isinstance(lm_source, Path) and (lm_source / "model").exists():
            lm, text_tok = AutoModelForCausalLM.from_pretrained(lm_source / "model"), load_text_tokenizer(lm_source / "text_tokenizer")
        else:
            from audiopalm.text.tokenizer import HfTextTokenizer

            lm, text_tok = AutoModelForCausalLM.from_pretrained(str(lm_source)), HfTextTokenizer(lm_source)
        audio_tok = audio_tokenizer if isinstance(audio_tokenizer, AudioTokenizer) else AudioTokenizer.from_pretrained(audio_tokenizer)
        vocab = UnifiedVocab(text_tok.vocab_size, audio_tok.codebook_size, text_tok.bos_id, text_tok.eos_id,
                             text_tok.pad_id, text_tok.sep_id)
        if lm.get_input_embeddings().weight.shape[0] < text_tok.vocab_size:
            raise AudiopalmError(f"{lm_source}: the LM has fewer embedding rows than its tokenizer has tokens")
        extend_vocabulary(lm, vocab.size, init)
        return cls(lm, text_tok, audio_tok, vocab)

    def save_pretrained(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.lm.save_pretrained(str(folder / "lm"))
        self.text_tokenizer.save(folder / "text_tokenizer")
        self.audio_tokenizer.save_pretrained(folder / "audio_tokenizer")
        if self.speech_out is not None:
            self.speech_out.save_pretrained(folder / "speech_out")
        (folder / "config.json").write_text(json.dumps({"format": FORMAT, "version": 1, "vocab": self.vocab.to_dict()}, indent=2))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> AudioPaLM:
        from transformers import AutoModelForCausalLM

        folder = Path(folder)
        config_path = folder / "config.json"
        if not config_path.exists() or json.loads(config_path.read_text()).get("format") != FORMAT:
            raise AudiopalmError(f"{folder} is not an AudioPaLM model folder (no audiopalm config.json)")
        vocab = UnifiedVocab(**json.loads(config_path.read_text())["vocab"])
        speech_out = SpeechOutput.from_pretrained(folder / "speech_out") if (folder / "speech_out").exists() else None
        lm = AutoModelForCausalLM.from_pretrained(folder / "lm").float()  # weights may be stored in fp16 (bundles)
        model = cls(lm, load_text_tokenizer(folder / "text_tokenizer"),
                    AudioTokenizer.from_pretrained(folder / "audio_tokenizer"), vocab, speech_out)
        if stored_dtype(folder / "lm") == torch.float16:  # decode in the dtype the weights were shipped in
            model.decode_dtype = torch.float16
        return model

    # --- prompting and decoding ----------------------------------------------------------------
    def prompt(self, task: str, source: str | None, target: str | None, input_ids: torch.Tensor) -> torch.Tensor:
        """BOS tag input <sep> -> ids [L]; `input_ids` already in vocabulary ids."""
        tag_text = tag(task, language_name(source) if source else "", language_name(target) if target else None)
        head = [self.vocab.bos_id, *self.text_tokenizer.encode(tag_text)]
        return torch.cat([torch.tensor(head), input_ids.long(), torch.tensor([self.vocab.sep_id])])

    def audio_input(self, audio: AudioInput) -> torch.Tensor:
        return self.vocab.audio_ids(self.audio_tokenizer.encode(audio))

    def run(self, task: str, prompts: list[torch.Tensor], beams: int = 1, max_new_tokens: int = 400) -> list[list[list[int]]]:
        """Decode each prompt into the task's output segments (vocabulary ids)."""
        modalities = [s.modality for s in get_task(task).outputs]
        if beams > 1:
            return [beam_decode(self.lm, self.vocab, p, modalities, beams, max_new_tokens, dtype=self.decode_dtype)
                    for p in prompts]
        return greedy_decode(self.lm, self.vocab, prompts, modalities, max_new_tokens, dtype=self.decode_dtype,
                             audio_sampling=self.audio_sampling)

    def text_of(self, ids: list[int]) -> str:
        return self.text_tokenizer.decode([i for i in ids if i < self.vocab.text_size])

    def language_scores(self, audio: AudioInput, candidates: list[str] | None = None) -> dict[str, float]:
        """log p(name | [LID] audio) for each candidate language (default: the Babel languages), scored
        by teacher forcing in one batch: the model may only choose among the candidates."""
        return self.language_scores_of_tokens(self.audio_input(audio), candidates)

    @torch.inference_mode()
    def language_scores_of_tokens(self, audio_ids: torch.Tensor, candidates: list[str] | None = None) -> dict[str, float]:
        """`language_scores` from audio tokens already in vocabulary ids [T]."""
        candidates = candidates or list(LANGUAGES)
        head = self.prompt("LID", None, None, audio_ids)
        names = [[*self.text_tokenizer.encode(language_name(c)), self.vocab.eos_id] for c in candidates]
        seqs = [torch.cat([head, torch.tensor(n)]) for n in names]
        longest = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), longest), self.vocab.pad_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        for i, s in enumerate(seqs):
            ids[i, : len(s)], attn[i, : len(s)] = s, 1
        device = self.lm.get_input_embeddings().weight.device
        logp = self.lm(input_ids=ids.to(device), attention_mask=attn.to(device)).logits.float().log_softmax(-1).cpu()
        scores = {}
        for i, (c, n) in enumerate(zip(candidates, names)):
            positions = torch.arange(len(head) - 1, len(head) - 1 + len(n))
            scores[c] = float(logp[i, positions, torch.tensor(n)].sum())
        return scores

    def identify_language(self, audio: AudioInput, candidates: list[str] | None = None) -> str:
        """The most likely spoken language among `candidates` (codes such as 'fr', or English names)."""
        return self.identify_language_of_tokens(self.audio_input(audio), candidates)

    def identify_language_of_tokens(self, audio_ids: torch.Tensor, candidates: list[str] | None = None) -> str:
        scores = self.language_scores_of_tokens(audio_ids, candidates)
        return max(scores, key=scores.get)

    # --- the API --------------------------------------------------------------------------------
    def transcribe(self, audio: AudioInput, lang: str | None = None, beams: int = 1) -> str:
        """Speech -> text in the spoken language (`lang`: a code such as 'fr' or an English name;
        None: identified first with the LID task)."""
        lang = lang or self.identify_language(audio)
        segments = self.run("ASR", [self.prompt("ASR", lang, None, self.audio_input(audio))], beams)[0]
        return self.text_of(segments[0])

    def translate(self, audio: AudioInput, to: str, lang: str | None = None, beams: int = 1) -> str:
        """Speech in `lang` (None: identified) -> text in `to` (AST)."""
        lang = lang or self.identify_language(audio)
        segments = self.run("AST", [self.prompt("AST", lang, to, self.audio_input(audio))], beams)[0]
        return self.text_of(segments[0])

    def translate_speech_tokens(self, audio: AudioInput, to: str, lang: str | None = None, beams: int = 1) -> torch.Tensor:
        """Speech in `lang` (None: identified) -> semantic audio tokens [T] of the translation in `to`."""
        lang = lang or self.identify_language(audio)
        source = self.audio_input(audio)
        segments = self.run("S2ST", [self.prompt("S2ST", lang, to, source)], beams, speech_token_limit(len(source)))[0]
        return self.vocab.audio_tokens(torch.tensor(segments[0], dtype=torch.long))

    def _speech_stage(self) -> SpeechOutput:
        if self.speech_out is None:
            raise AudiopalmError("this model has no speech output stage (speech_out/): attach one with "
                                 "audiopalm attach-speech, or use translate_speech_tokens")
        return self.speech_out

    def voice_prompt(self, audio: AudioInput) -> tuple[torch.Tensor, torch.Tensor]:
        """The first seconds of a recording as a voice prompt: (semantic tokens, codec codes)."""
        wav = as_wav(audio)
        return self._speech_stage().prompt(wav, self.audio_tokenizer.encode(wav))

    def translate_speech(self, audio: AudioInput, to: str, lang: str | None = None, beams: int = 1,
                         voice: AudioInput | None = None) -> np.ndarray:
        """S2ST: speech in `lang` -> float32 waveform [N] at 16 kHz in `to`, in the voice of `voice`
        (default: the source speaker)."""
        stage = self._speech_stage()
        wav = as_wav(audio)
        tokens = self.translate_speech_tokens(wav, to, lang, beams)
        return stage.synthesize(tokens, self.voice_prompt(voice if voice is not None else wav))

    def speak(self, text: str, lang: str, voice: AudioInput | None = None) -> np.ndarray:
        """TTS: text in `lang` -> float32 waveform [N] at 16 kHz (in the voice of `voice`, if given)."""
        stage = self._speech_stage()
        ids = torch.tensor(self.text_tokenizer.encode(text), dtype=torch.long)
        segments = self.run("TTS", [self.prompt("TTS", lang, None, ids)])[0]
        tokens = self.vocab.audio_tokens(torch.tensor(segments[0], dtype=torch.long))
        return stage.synthesize(tokens, self.voice_prompt(voice) if voice is not None else None)
