"""Speech output wired end to end (untrained tiny parts): S2ST and TTS return waveforms, the CLI writes them."""

import numpy as np
import pytest
import soundfile as sf


from audiopalm.audio.codecs.mel import MEL_CODEC_PRESETS, MelCodec
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.cli import main
from audiopalm.errors import AudiopalmError
from audiopalm.models.audiopalm import AudioPaLM
from audiopalm.models.soundstorm import SOUNDSTORM_PRESETS, SoundStorm
from audiopalm.models.speech_out import SpeechOutput

BABEL = {code: lang.name for code, lang in LANGUAGES.items()}


def test_translate_speech_and_speak_return_waveforms(speaking_model):
    data, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    wav_path = next((data / "audio" / "test" / "fr").glob("*.wav"))
    tokens = model.translate_speech_tokens(wav_path, to="en", lang="fr")
    speech = model.translate_speech(wav_path, to="en", lang="fr")
    assert speech.dtype == np.float32 and len(speech) == max(0, 2 * len(tokens) - 1) * 320
    voice = model.voice_prompt(wav_path)
    assert voice[1].shape[0] == 2 and voice[1].shape[1] == 2 * len(voice[0]) <= 150
    said = model.speak("Bonjour.", lang="fr", voice=wav_path)
    assert said.dtype == np.float32 and np.isfinite(said).all()


def test_the_spoken_translation_and_its_texts_come_from_one_decode_of_the_combined_task(speaking_model, monkeypatch):
    from audiopalm.generation.decode import Sampling

    data, model_dir = speaking_model
    model = AudioPaLM.from_pretrained(model_dir)
    heard = model.listen(next((data / "audio" / "test" / "fr").glob("*.wav")))
    fixed = Sampling(1.0, 16, seed=3)
    direct = model.spoken_translation(heard, "en", "fr", sampling=fixed)
    assert direct[1] == model.translate(heard, "en", "fr"), "the direct task: the texts decoded apart"
    assert direct[0:2] == model.transcribe_and_translate(heard, "en", "fr"), "with the transcript"
    assert np.array_equal(direct[2], model.translate_speech(heard, "en", "fr", sampling=fixed))
    model.tasks = {"ASR": 1.0, "ASR AST S2ST": 0.25}
    tasks = []
    run = model.run
    monkeypatch.setattr(model, "run", lambda task, *a, **k: tasks.append(task) or run(task, *a, **k))
    transcript, translation, speech = model.spoken_translation(heard, "en", "fr", sampling=fixed)
    assert tasks == ["ASR AST S2ST"], "transcript, translation and speech from one decode"
    tokens = model.translate_speech_tokens(heard, "en", "fr", sampling=fixed)
    assert len(speech) == max(0, 2 * len(tokens) - 1) * 320
    assert isinstance(transcript, str) and isinstance(translation, str)
    assert model.spoken_translation(np.zeros(16000, dtype=np.float32), "en", "fr")[0:2] == ("", ""), "silence: nothing"


def test_cli_writes_the_spoken_translation_and_speech(speaking_model, tmp_path):
    data, model_dir = speaking_model
    wav_path = str(next((data / "audio" / "test" / "de").glob("*.wav")))
    assert main(["translate", wav_path, "--model", str(model_dir), "--lang", "de", "--to", "en",
                 "--speech", str(tmp_path / "s2st.wav")]) == 0
    assert main(["speak", "Hallo.", "--model", str(model_dir), "--lang", "de", "-o", str(tmp_path / "tts.wav"),
                 "--voice-strength", "0.5"]) == 0
    assert main(["speak", "Hallo.", "--model", str(model_dir), "--lang", "de", "-o", str(tmp_path / "x.wav"),
                 "--voice-strength", "-1"]) != 0  # a share of the voice is not negative
    assert not (tmp_path / "x.wav").exists()
    for name in ("s2st.wav", "tts.wav"):
        info = sf.info(str(tmp_path / name))
        assert info.samplerate == 16000 and info.channels == 1


def test_cli_beams_with_speech_through_the_combined_task_need_greedy_speech(speaking_model, tmp_path, capsys):
    import json
    import shutil

    data, model_dir = speaking_model
    shutil.copytree(model_dir, tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "tasks": {"ASR": 1.0, "ASR AST S2ST": 0.25}}))
    wav_path = str(next((data / "audio" / "test" / "de").glob("*.wav")))
    args = ["translate", wav_path, "--model", str(tmp_path / "m"), "--lang", "de", "--to", "en", "--speech",
            str(tmp_path / "s2st.wav"), "--beams", "2"]
    assert main(args) == 2 and "beam search needs greedy speech (--speech-temperature 0)" in capsys.readouterr().err
    assert main([*args, "--speech-temperature", "0"]) == 0 and "\nspeech: " in capsys.readouterr().out


def test_mismatched_parts_are_refused(tiny_parts, tmp_path, capsys):
    _, parts = tiny_parts
    big_codec = MelCodec(MEL_CODEC_PRESETS["tiny"].__class__(num_codebooks=3, codebook_size=16, dim=32, layers=1))
    with pytest.raises(AudiopalmError, match="predicts 2 x 16 codes, the codec has 3 x 16"):
        SpeechOutput(big_codec, SoundStorm(SOUNDSTORM_PRESETS["tiny"]))
    model = AudioPaLM.from_text_lm(parts / "lm", parts / "tok", BABEL)
    model.save_pretrained(tmp_path / "ap")
    with pytest.raises(AudiopalmError, match="no speech output stage"):
        model.translate_speech(np.zeros(16000, dtype=np.float32), to="en", lang="fr")
    cfg = SOUNDSTORM_PRESETS["tiny"].__class__(semantic_size=32, num_codebooks=2, codebook_size=16, dim=32, layers=1,
                                               heads=2)
    SoundStorm(cfg).save_pretrained(tmp_path / "acoustic")
    MelCodec(MEL_CODEC_PRESETS["tiny"]).save_pretrained(tmp_path / "codec")
    assert main(["attach-speech", "--model", str(tmp_path / "ap"), "--codec", str(tmp_path / "codec"),
                 "--acoustic", str(tmp_path / "acoustic")]) == 2
    assert "reads 32 semantic tokens, the model writes 16" in capsys.readouterr().err
