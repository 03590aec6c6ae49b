"""AudioPaLM assembled from a pretrained text LM folder and an audio tokenizer: save, load, API shapes."""

from functools import partial

import pytest
import torch


from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import TEXT_TOKEN_ALLOWANCE, AudioPaLM, speech_token_limit

BABEL = {code: lang.name for code, lang in LANGUAGES.items()}


@pytest.fixture(scope="module")
def parts(tiny_parts):
    return tiny_parts


def test_from_text_lm_extends_the_vocabulary(parts):
    _, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    v = model.vocab
    assert v.text_size == 600 and v.audio_size == 16
    assert v.sep_id == model.text_tokenizer.sep_id, "our text tokenizer's <sep> is reused"
    assert model.lm.get_input_embeddings().weight.shape[0] == v.size == 616


def test_save_load_and_the_api(parts, tmp_path):
    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    model.save_pretrained(tmp_path / "ap")
    loaded = AudioPaLM.from_pretrained(tmp_path / "ap")
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    prompt = loaded.prompt("AST", "fr", "en", loaded.audio_input(wav))
    assert torch.equal(prompt, model.prompt("AST", "fr", "en", model.audio_input(wav)))
    n_tag = len(loaded.text_tokenizer.encode("[AST French English]"))
    assert loaded.text_tokenizer.decode(prompt[1: 1 + n_tag].tolist()) == "[AST French English]"
    assert loaded.vocab.is_audio(prompt[1 + n_tag: -1]).all() and prompt[-1] == loaded.vocab.sep_id
    assert isinstance(loaded.transcribe(wav, lang="fr"), str)
    assert isinstance(loaded.translate(wav, to="en", lang="fr", beams=2), str)
    speech = loaded.translate_speech_tokens(wav, to="en", lang="fr")
    assert speech.dtype == torch.long and ((speech >= 0) & (speech < 16)).all()


def test_language_identification_scores_each_candidate_by_teacher_forcing(parts):
    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    wav = next((data / "audio" / "test" / "es").glob("*.wav"))
    scores = model.language_scores_of_tokens(model.audio_input(wav))
    assert set(scores) == {"en", "fr", "es", "de", "it", "pt"} and all(s < 0 for s in scores.values())
    normalised = model.language_scores(wav)  # no language identifier: the [LID] task's, normalised
    assert normalised == pytest.approx({c: s - torch.tensor(list(scores.values())).logsumexp(0).item()
                                        for c, s in scores.items()}, abs=1e-5)
    # the batched, padded scoring equals one candidate scored alone
    head = model.prompt("LID", None, None, model.audio_input(wav))
    name = [*model.text_tokenizer.encode("Portuguese"), model.vocab.eos_id]
    with torch.inference_mode():
        logp = model.lm(input_ids=torch.cat([head, torch.tensor(name)])[None]).logits[0].float().log_softmax(-1)
    alone = sum(float(logp[len(head) - 1 + i, t]) for i, t in enumerate(name))
    assert scores["pt"] == pytest.approx(alone, abs=1e-3)
    assert model.identify_language(wav, ["fr", "de"]) in {"fr", "de"}
    assert isinstance(model.transcribe(wav), str)


def test_not_a_model_folder(tmp_path):
    with pytest.raises(AudiopalmError, match="not an AudioPaLM model folder"):
        AudioPaLM.from_pretrained(tmp_path)


def test_any_hugging_face_causal_lm_with_its_own_tokenizer(parts, tmp_path):
    """The real-world path, offline: a tiny random Llama and a BPE tokenizer saved as a Hugging Face folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    data, root = parts
    texts = [line for line in (data / "test.jsonl").read_text().splitlines()]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=300, special_tokens=["<pad>", "<unk>", "<s>", "</s>"]))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                  unk_token="<unk>")
    hf_dir = tmp_path / "tiny-llama"
    tok.save_pretrained(hf_dir)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=64, tie_word_embeddings=False,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(hf_dir)

    model = AudioPaLM.from_text_lm(str(hf_dir), root / "tok", BABEL)
    v = model.vocab
    assert v.text_size == len(tok) and v.sep_id == len(tok) + 16, "no <sep> in this tokenizer: one new row"
    assert model.lm.get_output_embeddings().weight.shape[0] == v.size == len(tok) + 17
    model.save_pretrained(tmp_path / "ap")
    loaded = AudioPaLM.from_pretrained(tmp_path / "ap")
    wav = next((data / "audio" / "test" / "en").glob("*.wav"))
    assert isinstance(loaded.transcribe(wav, lang="en"), str)


def test_the_model_carries_its_languages(parts, tmp_path):
    import json

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", {"fr": "French", "sw": "Swahili"})
    model.save_pretrained(tmp_path / "ap")
    assert json.loads((tmp_path / "ap" / "config.json").read_text())["languages"] == {"fr": "French", "sw": "Swahili"}
    loaded = AudioPaLM.from_pretrained(tmp_path / "ap")
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    assert set(loaded.language_scores(wav)) == {"fr", "sw"}, "LID chooses among the model's own languages"
    tag = loaded.text_tokenizer.decode(loaded.prompt("ASR", "SW", None, torch.zeros(0, dtype=torch.long))[1:-1].tolist())
    assert tag == "[ASR Swahili]", "a language is asked for by code or name, in any case"
    with pytest.raises(AudiopalmError, match="unknown language 'klingon'; this model knows fr \\(French\\), sw"):
        loaded.translate(wav, to="klingon", lang="fr")
    with pytest.raises(AudiopalmError, match="source and target language are both French"):
        loaded.translate(wav, to="FR", lang="fr")
    # a folder written before config.json named its languages: the six it was trained on
    config = json.loads((tmp_path / "ap" / "config.json").read_text())
    del config["languages"]
    (tmp_path / "ap" / "config.json").write_text(json.dumps(config))
    assert AudioPaLM.from_pretrained(tmp_path / "ap").languages.codes == ["en", "fr", "es", "de", "it", "pt"]


def test_one_request_tokenises_its_audio_once_and_batches_transcription(parts, monkeypatch):
    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    wavs = sorted((data / "audio" / "test" / "fr").glob("*.wav"))[:3]
    calls = []
    encode_batch = model.audio_tokenizer.encode_batch
    monkeypatch.setattr(model.audio_tokenizer, "encode_batch", lambda audios, *a: calls.append(len(audios)) or encode_batch(audios, *a))
    heard = model.listen(wavs[0])
    lang = model.identify_language(heard)
    model.transcribe(heard)
    model.translate(heard, to="en" if lang != "en" else "fr")
    model.translate_speech_tokens(heard, to="en" if lang != "en" else "fr")
    assert calls == [1], "identification and every task share the one tokenisation"
    batch = model.transcribe(wavs, lang="fr")
    assert calls == [1, 3], "a list is tokenised in one encoder batch"
    assert batch == [model.transcribe(w, lang="fr") for w in wavs], "batched decoding gives the one-by-one transcripts"


def test_sampling_is_an_argument_of_each_call(parts):
    from audiopalm.generation.decode import Sampling

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    a = model.translate_speech_tokens(heard, "en", "fr", sampling=Sampling(1.0, 16, seed=1))
    b = model.translate_speech_tokens(heard, "en", "fr", sampling=Sampling(1.0, 16, seed=1))
    greedy = model.translate_speech_tokens(heard, "en", "fr", sampling=None)
    assert torch.equal(a, b) and not hasattr(model, "audio_sampling")
    assert torch.equal(greedy, model.translate_speech_tokens(heard, "en", "fr", beams=1, sampling=None))
    with pytest.raises(AudiopalmError, match="beam search needs greedy speech"):
        model.translate_speech_tokens(heard, "en", "fr", beams=2)
    with pytest.raises(AudiopalmError, match="beams must be at least 1"):
        model.transcribe(heard, "fr", beams=0)
    for bad in (dict(temperature=0.0), dict(temperature=float("inf")), dict(top_k=0)):
        with pytest.raises(AudiopalmError, match="sampling"):
            Sampling(**bad)


def test_a_model_finetuned_on_the_combined_task_translates_through_it(parts, tmp_path, monkeypatch):
    data, root = parts
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    plain = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    assert plain.tasks is None and plain.ast_task == "AST", "no recorded mixture: the direct task"
    heard = plain.listen(wav)
    assert plain.transcribe_and_translate(heard, "en", "fr") == (plain.transcribe(heard, "fr"), plain.translate(heard, "en", "fr"))

    plain.tasks = {"ASR": 1.0, "AST": 1.0, "ASR AST": 0.5}
    plain.save_pretrained(tmp_path / "ap")
    model = AudioPaLM.from_pretrained(tmp_path / "ap")
    assert model.tasks == plain.tasks and model.ast_task == "ASR AST"
    tasks = []
    run = model.run
    monkeypatch.setattr(model, "run", lambda task, *a, **k: tasks.append(task) or run(task, *a, **k))
    transcript, translation = model.transcribe_and_translate(heard, "en", "fr")
    assert tasks == ["ASR AST"], "transcript and translation come from one decode"
    segments = run("ASR AST", [model.prompt("ASR AST", "fr", "en", model.vocab.audio_ids(heard.tokens))])[0]
    assert (transcript, translation) == (model.text_of(segments[0]), model.text_of(segments[1]))
    assert model.translate(heard, "en", "fr") == translation
    model.translate(heard, "en", "fr", task="AST")
    assert tasks[-1] == "AST", "the direct task on request"
    with pytest.raises(AudiopalmError, match="must be 'AST' or 'ASR AST'"):
        model.translate(heard, "en", "fr", task="MT")


def test_a_model_finetuned_on_the_combined_speech_task_speaks_through_it(parts, monkeypatch):
    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    assert model.s2st_task == "S2ST", "no recorded mixture: the direct task"
    model.tasks = {"ASR": 1.0, "S2ST": 0.25, "ASR AST S2ST": 0.25}
    assert model.s2st_task == "ASR AST S2ST"
    calls = []
    run = model.run
    monkeypatch.setattr(model, "run", lambda task, *a, **k: calls.append((task, a)) or run(task, *a, **k))
    speech = model.translate_speech_tokens(heard, "en", "fr", sampling=None)
    assert len(calls) == 1
    task, (prompts, _, limit, _) = calls[0]
    assert task == "ASR AST S2ST" and limit == speech_token_limit(len(heard.tokens)) + 2 * TEXT_TOKEN_ALLOWANCE, \
        "room for the transcript and the translation first"
    segments = run(task, prompts, 1, limit, None)[0]
    written = model.vocab.audio_tokens(torch.tensor(segments[2], dtype=torch.long))
    assert len(segments) == 3 and torch.equal(speech, written)
    assert all(model.vocab.is_audio(torch.tensor(s)).logical_not().all() for s in segments[:2] if s), "text first"
    model.translate_speech_tokens(heard, "en", "fr", sampling=None, task="S2ST")
    assert calls[-1][0] == "S2ST", "the direct task on request"
    for bad in (lambda: model.translate_speech_tokens(heard, "en", "fr", task="TTS"), lambda: speech_token_limit(9, "MT")):
        with pytest.raises(AudiopalmError, match="must be 'S2ST' or 'ASR AST S2ST'"):
            bad()


def test_the_package_exports_the_model():
    import audiopalm

    assert audiopalm.AudioPaLM is AudioPaLM and audiopalm.AudioTokenizer.__name__ == "AudioTokenizer"


def test_identification_reads_the_ctc_heads_frames_with_each_languages_spelling_model(parts, tmp_path, monkeypatch):
    from audiopalm.audio.encoders.ctc import CTC_PRESETS, CtcEncoder, CtcEncoderConfig, CtcEncoderModel
    from audiopalm.audio.io import load_audio
    from audiopalm.data.manifest import read_jsonl
    from audiopalm.generation.ctc import best_spelling
    from audiopalm.models.audiopalm import LID_SPELLING_BEAM, LID_TASK_WEIGHT, SPELLING_LM_WEIGHT
    from audiopalm.text.chars import CharCodec
    from audiopalm.text.langid import CharNgramLid
    from audiopalm.text.words import SpellingModel, WordNgram

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    model.langid = CharNgramLid.fit(((r["text"], r["lang"]) for r in read_jsonl(data / "train.jsonl")), min_count=1)
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    alone = model.language_scores(wav)  # this tokenizer (MFCC) has no character head: the [LID] task alone
    assert alone == pytest.approx(AudioPaLM.language_scores(model, wav))
    assert model.spelling(load_audio(wav)) is None
    ctc = CtcEncoderModel(CtcEncoderConfig(**CTC_PRESETS["tiny"], vocab=["<blank>", " ", "a", "b"]))
    with monkeypatch.context() as m:  # a CTC encoder spells with its character head
        m.setattr(model.audio_tokenizer, "encoder", CtcEncoder(ctc))
        assert isinstance(model.spelling(load_audio(wav)), str) and set(model.spelling(load_audio(wav))) <= set(" ab")
    spoken = "el perro de la vecina come en la casa"  # a head that heard Spanish, one frame per character
    codec = CharCodec(["<blank>", *sorted(set(spoken))])
    frames = torch.full((2 * len(spoken), len(codec.vocab)), -9.0)
    for t, ch in enumerate(spoken):
        frames[2 * t, codec.vocab.index(ch)], frames[2 * t + 1, 0] = 0.0, 0.0
    frames = frames.log_softmax(-1)
    monkeypatch.setattr(AudioPaLM, "char_codec", codec)
    monkeypatch.setattr(model, "char_log_probs", lambda audio: frames)

    def expected(spelling_model) -> dict[str, float]:
        looks = {c: best_spelling(frames.double().numpy(), codec.vocab, spelling_model(c), SPELLING_LM_WEIGHT,
                                  LID_SPELLING_BEAM)[0] for c in alone}
        scores = {c: LID_TASK_WEIGHT * alone[c] + looks[c] for c in alone}
        top = torch.tensor(list(scores.values())).logsumexp(0).item()
        return {c: v - top for c, v in scores.items()}

    assert model.words is None  # each language's character model spells
    assert model.language_scores(wav) == pytest.approx(
        expected(lambda c: partial(model.langid.next_char_log_prob, c)), abs=1e-4)
    assert model.identify_language(wav) == "es", "an untrained LM is outweighed by a clear spelling"
    model.words = WordNgram.fit((r["text"], r["lang"]) for r in read_jsonl(data / "train.jsonl"))
    with_words = model.language_scores(wav)  # each language's word model mixed in (`spelling_model`)
    assert with_words == pytest.approx(expected(lambda c: SpellingModel(model.words, model.langid, c)), abs=1e-4)
    assert with_words != pytest.approx(expected(lambda c: partial(model.langid.next_char_log_prob, c)), abs=1e-4)
    assert model.identify_language(wav, ["fr", "de"]) in {"fr", "de"}, "still only among the candidates"
    model.save_pretrained(tmp_path / "ap")  # the identifier travels with the model
    assert AudioPaLM.from_pretrained(tmp_path / "ap").langid.counts == model.langid.counts


def _confident_head(model: AudioPaLM, spoken: str, monkeypatch, frames: int = 40) -> None:
    """Give `model` a character head sure it heard `spoken`: one character every other frame, blanks between."""
    from audiopalm.text.chars import CharCodec

    codec = CharCodec(["<blank>", " ", *"abcdefghijklmnopqrstuvwxyz"])
    log_probs = torch.full((frames, len(codec.vocab)), -30.0)
    said = [c for ch in spoken for c in (ch, "<blank>")] + ["<blank>"] * (frames - 2 * len(spoken))
    for t, ch in enumerate(said):
        log_probs[t, codec.vocab.index(ch)] = 0.0
    monkeypatch.setattr(AudioPaLM, "char_codec", property(lambda self: codec))
    monkeypatch.setattr(model, "char_log_probs", lambda audio: log_probs.log_softmax(-1))


def test_the_heads_spelling_reads_the_models_word_models_saved_with_it(parts, monkeypatch, tmp_path):
    from audiopalm.data.manifest import read_jsonl
    from audiopalm.text.langid import CharNgramLid
    from audiopalm.text.normalize import normalize
    from audiopalm.text.words import SpellingModel, WordNgram

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    texts = [(r["text"], r["lang"]) for r in read_jsonl(data / "train.jsonl")]
    model.langid = CharNgramLid.fit(texts, min_count=1)
    assert not isinstance(model.spelling_model("fr"), SpellingModel), "no word models: the character model alone"
    model.words = WordNgram.fit(t for t in texts if t[1] != "de")
    assert isinstance(model.spelling_model("fr"), SpellingModel) and model.spelling_model("fr").lang == "fr"
    assert not isinstance(model.spelling_model("de"), SpellingModel), "a language without a word model"
    model.save_pretrained(tmp_path / "ap")
    assert AudioPaLM.from_pretrained(tmp_path / "ap").words.counts == model.words.counts
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    spoken = "le chat"  # "chat" is no word of the world: a head sure of it is still written
    assert "chat" not in model.words.counts["fr"] and "le" in model.words.counts["fr"]
    _confident_head(model, spoken, monkeypatch)
    model.ctc_weights = {"fr": 0.1}
    assert normalize(model.transcribe(heard, "fr"), "fr") == spoken
    codec = model.ctc_guide(heard, "fr").scorer.codec
    before = model.token_spellings("fr", codec)
    model.words = WordNgram.fit([*texts, ("Voici Chat.", "fr")])  # "Chat" a name now
    assert model.token_spellings("fr", codec) is not before, "built again with the new word models' casing"
    assert model.transcribe(heard, "fr").rstrip(" .?") == "Le Chat", "each word in the case its language writes it"


def test_transcripts_are_read_with_the_tokenizers_ctc_head_at_the_models_weight_per_language(parts, monkeypatch):
    from audiopalm.generation.decode import CTC_WEIGHT

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    assert model.char_codec is None and model.ctc_guide(heard, "fr") is None, "an MFCC tokenizer spells nothing"
    _confident_head(model, "le chat", monkeypatch)
    model.ctc_weights = {"fr": 0.0, "de": 0.95}
    assert model.ctc_guide(heard, "fr") is None, "a language whose weight was chosen 0: the language model alone"
    assert model.ctc_guide(heard, "de").weight == 0.95 and model.ctc_guide(heard, "it").weight == CTC_WEIGHT
    unguided = model.transcribe(heard, "de", ctc_weight=0.0)
    # the untrained model's likeliest tokens spell nothing the head can hear (bytes): let it write them in runs
    monkeypatch.setattr("audiopalm.generation.decode.MUTE_RUN", 10_000)
    guided = model.transcribe(heard, "de")
    scorer = model.ctc_guide(heard, "de").scorer
    ids = lambda text: model.text_tokenizer.encode(text)  # noqa: E731
    assert guided != unguided and scorer.full(ids(guided)) > scorer.full(ids(unguided)), \
        "the head pulls the transcript towards what it heard"
    calls = []
    run = model.run
    monkeypatch.setattr(model, "run", lambda task, *a, **k: calls.append((task, k.get("guides"))) or run(task, *a, **k))
    model.tasks = {"ASR": 1.0, "AST": 1.0, "ASR AST": 0.5}  # finetuned on the combined task: translates through it
    model.transcribe_and_translate(heard, "en", "de")
    model.translate(heard, "en", "de", task="AST")
    assert calls[0][0] == "ASR AST" and calls[0][1][0].weight == 0.95, "the combined task's transcript is guided"
    assert calls[1][0] == "AST" and calls[1][1] == [None], "the direct task writes no transcript to guide"


def test_a_transcript_the_recording_does_not_say_is_written_again_as_the_head_spells_it(parts, monkeypatch):
    import audiopalm.models.audiopalm as module
    from audiopalm.data.manifest import read_jsonl
    from audiopalm.text.langid import CharNgramLid
    from audiopalm.text.normalize import normalize

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    spoken = "le chat"  # where the untrained language model writes something else
    _confident_head(model, spoken, monkeypatch)
    model.ctc_weights = {"fr": 0.1}
    model.langid = CharNgramLid.fit(((r["text"], r["lang"]) for r in read_jsonl(data / "train.jsonl")), min_count=1)
    assert normalize(model.transcribe(heard, "fr"), "fr") == spoken
    transcript, _ = model.transcribe_and_translate(heard, "en", "fr")
    assert normalize(transcript, "fr") == spoken, "the combined task's transcript too, before its translation"
    monkeypatch.setattr(module, "SPELT_MARGIN", float("inf"))  # never far enough apart: the transcript stands
    assert normalize(model.transcribe(heard, "fr"), "fr") != spoken, "the language model wrote something else"


def test_where_no_bound_transcript_writes_the_spelling_the_spelling_is_written_and_translated(parts, monkeypatch):
    from dataclasses import replace

    import audiopalm.models.audiopalm as module
    from audiopalm.data.manifest import read_jsonl
    from audiopalm.generation.ctc import TokenSpellings
    from audiopalm.generation.mood import MoodScorer
    from audiopalm.text.langid import CharNgramLid
    from audiopalm.text.words import WordNgram

    data, root = parts
    model = AudioPaLM.from_text_lm(root / "lm", root / "tok", BABEL)
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    _confident_head(model, "le chat", monkeypatch)
    model.ctc_weights = {"fr": 0.1}
    model.langid = CharNgramLid.fit(((r["text"], r["lang"]) for r in read_jsonl(data / "train.jsonl")), min_count=1)
    none = TokenSpellings({}, {}, {"opening": [], "closing": []}, [], {}, 1)  # no token writes any character
    monkeypatch.setattr(model, "token_spellings", lambda lang, codec: none)
    assert model.transcribe(heard, "fr") == "Le chat."
    prompts = []
    decode = module.beam_decode
    monkeypatch.setattr(module, "beam_decode", lambda lm, vocab, prompt, *a, **k: prompts.append(prompt)
                        or decode(lm, vocab, prompt, *a, **k))
    model.tasks = {"ASR": 1.0, "AST": 1.0, "ASR AST": 0.5}  # finetuned on the combined task: translates through it
    transcript, translation = model.transcribe_and_translate(heard, "en", "fr")
    written = model.text_tokenizer.encode("Le chat.")
    assert transcript == "Le chat." and isinstance(translation, str)
    assert prompts[-1][-len(written) - 1:].tolist() == [*written, model.vocab.sep_id], \
        "the translation is decoded after the written transcript"
    for lang, asked in (("es", "¿Le chat?"), ("fr", "Le chat?")):  # a question where the question head hears one
        guide = model.ctc_guide(heard, lang)
        question = replace(guide, mood=MoodScorer(-0.1, -3.0, model.text_of))
        spelt = tuple(guide.scorer.codec.encode("le chat", lang))
        assert model.text_of(model.written_spelling(question, spelt)) == asked
    model.words = WordNgram.fit([("Voici Chat.", "fr"), ("Voici le roi.", "fr")])  # "Chat" a name here
    guide = model.ctc_guide(heard, "fr")
    spelt = tuple(guide.scorer.codec.encode("le chat", "fr"))
    assert model.text_of(model.written_spelling(guide, spelt)).rstrip(".?") == "Le Chat", "each word in its case"
