"""A listener: a CTC encoder attached to an AudioPaLM folder, whose character head reads recordings in place of
the audio tokenizer's (joint decoding, LID), while the tokens stay the tokenizer's."""

import json
import shutil

import pytest
import torch

from audiopalm.audio.encoders.ctc import CTC_PRESETS, CtcEncoderConfig, CtcEncoderModel, save_ctc_model
from audiopalm.cli import main
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.models.listener import AttachListenerConfig, attach_listener

BABEL = {code: lang.name for code, lang in LANGUAGES.items()}
LETTERS = ["<blank>", " ", *"abcdefghijklmnopqrstuvwxyz"]


@pytest.fixture(scope="module")
def folders(tiny_parts, tmp_path_factory):
    """(world, an AudioPaLM folder on an MFCC tokenizer with CTC weights chosen, a tiny random CTC encoder folder)."""
    data, parts = tiny_parts
    root = tmp_path_factory.mktemp("listener")
    model = AudioPaLM.from_text_lm(parts / "lm", parts / "tok", BABEL)
    model.ctc_weights = {"fr": 0.1}
    model.save_pretrained(root / "ap")
    torch.manual_seed(0)
    save_ctc_model(CtcEncoderModel(CtcEncoderConfig(**CTC_PRESETS["tiny"], vocab=LETTERS)).eval(), root / "enc")
    return data, root / "ap", root / "enc"


def test_an_attached_listener_reads_recordings_where_the_tokenizer_has_no_head(folders, tmp_path):
    data, ap, enc = folders
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    before = AudioPaLM.from_pretrained(ap)
    assert before.char_model is None and before.spelling(wav) is None, "an MFCC tokenizer spells nothing"
    assert before.ctc_weights == {"fr": 0.1}
    folder = tmp_path / "ap"
    shutil.copytree(ap, folder)
    assert main(["attach-listener", "--model", str(folder), "--encoder", str(enc)]) == 0
    assert attach_listener(AttachListenerConfig(str(folder), str(enc))) == folder / "listener"  # again: replaced
    model = AudioPaLM.from_pretrained(folder)
    assert model.char_model is model.listener and model.char_codec.vocab == LETTERS
    assert model.ctc_weights == {}, "weights chosen for another head are dropped (tune-ctc chooses them again)"
    heard = model.listen(wav)
    log_probs = model.char_log_probs(heard)
    assert log_probs.shape == (len(heard.tokens), len(LETTERS))  # 25 Hz, as the tokens
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(len(heard.tokens)), atol=1e-4)
    assert isinstance(model.spelling(heard), str) and model.ctc_guide(heard, "fr", 0.3).weight == 0.3
    assert torch.equal(model.vocab.audio_ids(heard.tokens), model.vocab.audio_ids(before.listen(wav).tokens)), \
        "the tokens are the tokenizer's still"
    model.save_pretrained(tmp_path / "again")  # the listener travels with the model
    again = AudioPaLM.from_pretrained(tmp_path / "again")
    assert torch.allclose(again.char_log_probs(again.listen(wav)), log_probs)


def test_attach_listener_refuses_what_is_not_a_ctc_encoder_and_keeps_the_model(folders, tmp_path, capsys):
    _, ap, enc = folders
    assert main(["attach-listener", "--model", str(ap), "--encoder", str(tmp_path / "nothing")]) == 2
    assert "not a CTC encoder folder" in capsys.readouterr().err
    assert not (ap / "listener").exists() and json.loads((ap / "config.json").read_text())["ctc_weights"]
    assert main(["attach-listener", "--model", str(tmp_path), "--encoder", str(enc)]) == 2
    assert "not an AudioPaLM model folder" in capsys.readouterr().err
