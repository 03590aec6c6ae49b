import random

import pytest
import torch

from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.babel.sampler import sample_sentence
from audiopalm.data.tasks import TASKS, build_sequence, get_task, tag
from audiopalm.errors import AudiopalmError
from audiopalm.text.tokenizer import SentencePieceTokenizer, load_text_tokenizer
from audiopalm.text.vocab import UnifiedVocab


@pytest.fixture(scope="module")
def sp(tmp_path_factory):
    rng = random.Random(0)
    texts = [lang.realize(s) for s in (sample_sentence(rng) for _ in range(400)) for lang in LANGUAGES.values()]
    texts += [tag(t, "French", "English") for t in TASKS]
    return SentencePieceTokenizer.train(texts, tmp_path_factory.mktemp("spm"), vocab_size=500)


def test_sentencepiece_round_trips_accents_and_saves(sp, tmp_path):
    text = "Qu'est-ce que la fillette a mangé ? ¿Dónde duerme el niño? Die Bäckerin öffnet die Tür."
    assert sp.decode(sp.encode(text)) == text
    sp.save(tmp_path / "tok")
    again = load_text_tokenizer(tmp_path / "tok")
    assert again.encode(text) == sp.encode(text) and again.vocab_size == 500
    assert sp.sep_id is not None and sp.encode("a <sep> b").count(sp.sep_id) == 1


def test_unified_vocab_offsets_and_masks(sp):
    v = UnifiedVocab(sp.vocab_size, 1024, sp.bos_id, sp.eos_id, sp.pad_id)
    assert v.size == 500 + 1024 + 1 and v.sep_id == 1524
    tokens = torch.tensor([0, 7, 1023])
    ids = v.audio_ids(tokens)
    assert ids.tolist() == [500, 507, 1523] and v.is_audio(ids).all()
    assert torch.equal(v.audio_tokens(ids), tokens)
    text_mid = v.allowed("text", last=False)
    assert text_mid[5] and text_mid[v.sep_id] and not text_mid[v.eos_id] and not text_mid[600]
    audio_last = v.allowed("audio", last=True)
    assert audio_last[600] and audio_last[v.eos_id] and not audio_last[5] and not audio_last[v.sep_id]


def test_tags_as_in_the_paper():
    assert tag("ASR", "French") == "[ASR French]"
    assert tag("AST", "French", "English") == "[AST French English]"
    assert tag("ASR AST S2ST", "French", "English") == "[ASR AST S2ST French English]"
    assert tag("TTS", "French") == "[TTS French]"
    with pytest.raises(AudiopalmError, match="needs a target"):
        tag("S2ST", "French")
    with pytest.raises(AudiopalmError, match="unknown task"):
        get_task("ASRX")


def test_sep_from_the_text_tokenizer_adds_no_row(sp):
    v = UnifiedVocab(sp.vocab_size, 1024, sp.bos_id, sp.eos_id, sp.pad_id, text_sep_id=sp.sep_id)
    assert v.sep_id == sp.sep_id and v.size == 500 + 1024
    assert v.allowed("text", last=False)[v.sep_id] and not v.allowed("text", last=True)[v.sep_id]


def test_combined_task_sequence_and_loss_mask(sp):
    v = UnifiedVocab(sp.vocab_size, 16, sp.bos_id, sp.eos_id, sp.pad_id)
    audio = v.audio_ids(torch.tensor([3, 3, 9]))
    transcript, translation = torch.tensor(sp.encode("le chien")), torch.tensor(sp.encode("the dog"))
    speech = v.audio_ids(torch.tensor([1, 2]))
    tag_ids = sp.encode(tag("ASR AST S2ST", "French", "English"))
    ids, mask = build_sequence(v, tag_ids, audio, [transcript, translation, speech])
    n_prompt = 1 + len(tag_ids) + len(audio) + 1
    assert ids[0] == v.bos_id and ids[n_prompt - 1] == v.sep_id
    assert not mask[:n_prompt].any() and mask[n_prompt:].all()
    assert ids[-1] == v.eos_id
    assert (ids == v.sep_id).sum() == 3  # after the input, the transcript and the translation
