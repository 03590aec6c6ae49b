"""Rendering a tiny world end to end: manifests, audio, resume, refusal, bad input."""

import json
import random

import numpy as np
import pytest
import soundfile as sf

from audiopalm.cli import main
from audiopalm.data.babel.languages import LANGUAGES
from audiopalm.data.babel.render import add_noise, synthesize
from audiopalm.data.babel.sampler import sample_sentence
from audiopalm.data.babel.speakers import SPEAKERS
from audiopalm.data.manifest import read_jsonl
from audiopalm.data.babel.synth import noisy_version, synth
from audiopalm.data.babel.world import WorldConfig
from audiopalm.errors import AudiopalmError

FIELDS = {"id", "lang", "speaker", "text", "audio", "duration", "sentence_id"}


def test_manifests_have_six_languages_and_required_fields(tiny_world):
    out, summary = tiny_world
    assert set(summary["languages"]) == set(LANGUAGES)
    for split in ("train", "dev", "test", "test-noisy"):
        rows = read_jsonl(out / f"{split}.jsonl")
        assert rows, split
        assert {r["lang"] for r in rows} == set(LANGUAGES)
        for r in rows[:20]:
            assert FIELDS <= set(r)
            info = sf.info(str(out / r["audio"]))
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
            assert abs(info.duration - r["duration"]) < 0.01


def test_noisy_version_is_the_worlds_own_noisy_test_audio(tiny_world):
    out, _ = tiny_world
    noisy = read_jsonl(out / "test-noisy.jsonl")
    clean = {r["id"]: r for r in read_jsonl(out / "test.jsonl")}
    for r in noisy[:3]:  # what scripts add to other splits (dev-noisy) is what test-noisy's files hold
        wav, _ = sf.read(out / clean[r["id"]]["audio"], dtype="float32")
        written, _ = sf.read(out / r["audio"], dtype="float32")
        again = noisy_version(wav, r["id"], r["snr_db"])
        assert np.abs(again - written).max() < 2 / 2 ** 15  # the same noise, up to 16-bit rounding
        assert np.abs(noisy_version(wav, r["id"] + "x", r["snr_db"]) - written).max() > 1e-2


def test_train_and_test_disjoint_in_speakers_and_sentences(tiny_world):
    out, _ = tiny_world
    train, test = read_jsonl(out / "train.jsonl"), read_jsonl(out / "test.jsonl")
    assert not {r["speaker"] for r in train} & {r["speaker"] for r in test}
    assert not {r["sentence_id"] for r in train} & {r["sentence_id"] for r in test}
    assert not {r["text"] for r in train} & {r["text"] for r in test}


def test_sentence_id_joins_translations_spoken_by_the_same_voice(tiny_world):
    out, _ = tiny_world
    from audiopalm.data.babel.world import SPEAKER_BY_ID

    test = read_jsonl(out / "test.jsonl")
    said: dict = {}
    for r in test:
        said.setdefault((r["sentence_id"], r["speaker"]), set()).add(r["lang"])
    # an espeak-ng voice says its sentence in all six languages (the S2ST reference in the same voice)
    full = [key for key, langs in said.items() if langs == set(LANGUAGES)]
    assert full and all(SPEAKER_BY_ID[spk].family == "espeak" for _, spk in full)
    for sentence in {r["sentence_id"] for r in test}:
        for lang in LANGUAGES:
            voices = [r["speaker"] for r in test if r["sentence_id"] == sentence and r["lang"] == lang]
            assert len(set(voices)) == 2, "each test sentence is said by two speakers in every language"


def test_five_synthesizer_families_and_the_held_out_one(tiny_world):
    out, summary = tiny_world
    families = summary["families"]
    assert set(families) == {"espeak", "mbrola", "pico", "flite", "festival"}
    assert set(families["flite"]["hours"]) == {"train"}, "Flite speaks in train only (generator 2.1)"
    assert set(families["festival"]["hours"]) == {"train"}, "Festival speaks in train only (generator 2.2)"
    assert families["festival"]["languages"] == ["es", "it"]
    assert families["pico"]["held_out"] and set(families["pico"]["hours"]) == {"test-unseen-synth"}
    assert {"train", "dev", "test"} <= set(families["mbrola"]["hours"])
    assert families["mbrola"]["rendered_this_run"]["files"] > 0
    unseen = read_jsonl(out / "test-unseen-synth.jsonl")
    assert unseen and all("pico" in r["speaker"] for r in unseen)
    assert {r["sentence_id"] for r in unseen} == {r["sentence_id"] for r in read_jsonl(out / "test.jsonl")}
    assert summary["held_out_family"]["split"] == "test-unseen-synth"


def test_each_family_speaks(tmp_path):
    from audiopalm.data.babel.render import render
    from audiopalm.data.babel.speakers import speaker_table

    table = speaker_table("2.1")
    meaning = sample_sentence(random.Random(1))
    cross = next(s for s in table["train"] if s.variant == "fr1-en")
    flite = next(s for s in table["train"] if s.family == "flite")
    for speaker in (table["test"][0], next(s for s in table["test"] if s.family == "mbrola"), table["test-unseen-synth"][0],
                    cross, flite):
        lang = speaker.languages[0] if speaker.languages else "fr"
        wav = render(LANGUAGES[lang].realize(meaning), lang, speaker).wav
        assert 0.5 < len(wav) / 16000 < 10 and np.abs(wav).max() > 0.05, speaker.id


def test_a_voice_is_not_asked_for_a_language_it_lacks():
    from audiopalm.data.babel.speakers import speaker_table

    mbrola = next(s for s in speaker_table("2.0")["train"] if s.family == "mbrola" and s.languages == ("fr",))
    with pytest.raises(AudiopalmError, match="does not speak de"):
        synthesize("Hallo", "de", mbrola)


def test_world_json_summary(tiny_world):
    out, summary = tiny_world
    world = json.loads((out / "world.json").read_text())
    assert world["status"] == "complete"
    assert world["seed"] == 0 and world["generator_version"]
    assert world["zero_shot_pairs"]
    for split in ("train", "dev", "test"):
        assert all(h > 0 for h in world["hours"][split].values())
    assert all(v > 50 for v in world["vocabulary_size"].values())


def test_rerun_resumes_without_rendering_again(tiny_world, tmp_path):
    out, _ = tiny_world
    victim = read_jsonl(out / "dev.jsonl")[0]
    (out / victim["audio"]).unlink()
    summary = synth(out, WorldConfig(**json.loads((out / "world.json").read_text())["config"]), jobs=1, progress=False)
    assert summary["render"]["rendered_this_run"] == 1
    assert (out / victim["audio"]).exists()


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import audiopalm.audio.io as audio_io

    def broken_write(path, *a, **k):
        with open(path, "wb") as f:
            f.write(b"RIFF")
        raise KeyboardInterrupt

    monkeypatch.setattr(audio_io.sf, "write", broken_write)
    target = tmp_path / "x.wav"
    with pytest.raises(KeyboardInterrupt):
        audio_io.write_wav(target, np.zeros(160, dtype=np.float32))
    assert not target.exists()


def test_different_configuration_is_refused_unless_forced(tmp_path):
    small = WorldConfig(languages=["en", "fr"], dev_sentences=2, test_sentences=2, default_hours=0.002)
    synth(tmp_path, small, progress=False)
    other = WorldConfig(languages=["en", "fr"], dev_sentences=2, test_sentences=2, default_hours=0.002, seed=1)
    with pytest.raises(AudiopalmError, match="different configuration.*seed.*--force"):
        synth(tmp_path, other, progress=False)
    summary = synth(tmp_path, other, force=True, progress=False)
    assert summary["seed"] == 1


def test_an_upgrade_keeps_what_it_says_the_same_way_and_leaves_out_what_a_second_voice_cannot_say(tmp_path,
                                                                                                 monkeypatch):
    from audiopalm.data.babel import synth as synth_module

    config = dict(languages=["es", "it"], dev_sentences=2, test_sentences=2, default_hours=0.004)
    synth(tmp_path, WorldConfig(**config, version="2.1"), progress=False)
    old = read_jsonl(tmp_path / "train.jsonl")
    written = {p: p.stat().st_mtime_ns for p in (tmp_path / "audio").rglob("*.wav") if "test-noisy" not in p.parts}
    real = synth_module.render

    def render(text, lang, speaker):  # Festival's Italian fails on every sentence
        if speaker.family == "festival" and lang == "it":
            raise AudiopalmError("festival failed for voice lp_diphone: SIOD ERROR")
        return real(text, lang, speaker)

    monkeypatch.setattr(synth_module, "render", render)
    with pytest.raises(AudiopalmError, match="differs in: version"):
        synth(tmp_path, WorldConfig(**config), progress=False)
    summary = synth(tmp_path, WorldConfig(**config), force=True, progress=False)
    assert all(p.stat().st_mtime_ns == t for p, t in written.items()), "2.1's files are kept, not rendered again"
    train = read_jsonl(tmp_path / "train.jsonl")
    assert old == [r for r in train if "festival" not in r["speaker"]]
    assert {r["lang"] for r in train if "festival" in r["speaker"]} == {"es"}
    assert summary["render"]["second_voices_skipped"] and not summary["render"]["failed"]
    assert summary["generator_version"] == "2.2"


def test_speakers_differ():
    """Every speaker of a split sounds different: distinct audio and distinct spectra."""
    text = "The old baker reads the newspaper in the kitchen."
    feats = {}
    for spk in SPEAKERS["test"] + SPEAKERS["dev"] + SPEAKERS["train"][:6]:
        wav = synthesize(text, "en", spk)
        spec = np.abs(np.fft.rfft(wav[: 16000 * 2], n=32000))
        feats[spk.id] = (len(wav), spec / spec.sum())
    ids = list(feats)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            la, sa = feats[a]
            lb, sb = feats[b]
            assert la != lb or np.abs(sa - sb).sum() > 0.05, (a, b)


def test_variant_is_applied_in_every_language():
    f, m = SPEAKERS["test"][0], SPEAKERS["test"][-1]
    for lang in LANGUAGES.values():
        a = synthesize("Anna", lang.code, f)
        b = synthesize("Anna", lang.code, m)
        assert len(a) != len(b) or not np.allclose(a, b), lang.code


def test_noise_hits_the_requested_snr():
    rng = np.random.default_rng(0)
    wav = np.sin(np.linspace(0, 2000, 16000)).astype(np.float32) * 0.3
    noisy = add_noise(wav, 10.0, rng, "white")
    snr = 10 * np.log10(np.mean(wav**2) / np.mean((noisy - wav) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)


def test_missing_espeak_gives_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    code = main(["data", "synth", "--preset", "tiny", "--out", str(tmp_path / "w"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "espeak-ng" in err and "apt-get install espeak-ng" in err


def test_unknown_language_on_the_command_line(tmp_path, capsys):
    code = main(["data", "synth", "--out", str(tmp_path), "--languages", "en", "klingon", "--quiet"])
    assert code == 2
    assert "supported: en, fr, es, de, it, pt" in capsys.readouterr().err


def test_cli_synth_with_hours_per_language(tmp_path, capsys):
    out = tmp_path / "w"
    code = main(["data", "synth", "--out", str(out), "--languages", "en", "de", "--hours-per-language",
                 "en=0.01", "de=0.003", "--no-noise", "--quiet", "--jobs", "1"])
    assert code == 0
    world = json.loads((out / "world.json").read_text())
    assert world["hours"]["train"]["en"] > 2 * world["hours"]["train"]["de"]
    assert not (out / "test-noisy.jsonl").exists()
    assert "train h" in capsys.readouterr().out


def test_changed_text_is_rendered_again_not_reused(tmp_path, monkeypatch):
    from audiopalm.data.babel.languages import LANGUAGES

    config = WorldConfig(languages=["en"], dev_sentences=2, test_sentences=2, default_hours=0.002, noisy_snr_db=None)
    synth(tmp_path, config, progress=False)
    before = {r["id"]: r["audio"] for r in read_jsonl(tmp_path / "dev.jsonl")}
    en = LANGUAGES["en"].module
    monkeypatch.setattr(en, "realize", lambda s, _orig=en.realize: _orig(s).replace(".", "!"))
    summary = synth(tmp_path, config, progress=False)
    after = {r["id"]: r for r in read_jsonl(tmp_path / "dev.jsonl")}
    changed = [i for i in before if after[i]["text"].endswith("!")]
    assert changed and summary["render"]["rendered_this_run"] >= len(changed)
    for i in changed:
        assert after[i]["audio"] != before[i] and (tmp_path / after[i]["audio"]).exists()
        assert not (tmp_path / before[i]).exists(), "stale audio is removed"


def test_setup_installs_every_mbrola_voice_the_world_uses():
    import re
    from pathlib import Path

    from audiopalm.data.babel.speakers import MBROLA_VOICES

    setup = (Path(__file__).parents[2] / "scripts" / "setup.sh").read_text()
    installed = set(re.search(r'MBROLA_VOICES="([^"]+)"', setup).group(1).split())
    used = {v for split in MBROLA_VOICES.values() for voices in split.values() for v in voices}
    assert installed == used


def test_a_missing_mbrola_voice_is_one_clear_error(monkeypatch):
    import audiopalm.data.babel.render as R
    from audiopalm.data.babel.speakers import speaker_table

    mbrola = next(s for s in speaker_table("2.0")["train"] if s.family == "mbrola")
    monkeypatch.setattr(R, "MBROLA_DIRS", ("/nonexistent",))
    with pytest.raises(AudiopalmError, match=f"MBROLA voice {mbrola.variant} is not installed.*apt-get install"):
        R.check_family(mbrola)
    cross = next(s for s in speaker_table("2.1")["train"] if s.variant == "de4-en")
    with pytest.raises(AudiopalmError, match="MBROLA voice de4 is not installed.*mbrola-de4"):
        R.check_family(cross)


def test_a_missing_flite_is_one_clear_error(monkeypatch):
    import audiopalm.data.babel.render as R
    from audiopalm.data.babel.speakers import speaker_table

    flite = next(s for s in speaker_table("2.1")["train"] if s.family == "flite")
    monkeypatch.setattr(R, "FLITE", "flite-that-is-not-installed")
    with pytest.raises(AudiopalmError, match="apt-get install flite"):
        R.check_family(flite)


def test_festival_speaks_spanish_and_italian_at_16_khz_with_its_duration_stretch():
    from audiopalm.data.babel.render import render
    from audiopalm.data.babel.speakers import festival_speakers

    speakers = festival_speakers("train")
    assert {(s.variant, s.languages) for s in speakers} == {("el_diphone", ("es",)), ("lp_diphone", ("it",)),
                                                            ("pc_diphone", ("it",))}
    texts = {"es": "¿El niño comió la fruta?", "it": "Il bambino mangerà la frutta."}
    seconds = {}
    for s in speakers:
        wav = render(texts[s.languages[0]], s.languages[0], s).wav
        assert wav.dtype == np.float32 and 0.1 < np.abs(wav).max() <= 0.95 + 1e-6
        seconds[s.id] = len(wav) / 16000
        assert 0.8 < seconds[s.id] < 4.0, (s.id, seconds[s.id])
    for voice in ("el", "lp", "pc"):  # the 110% stretch speaks more slowly than the 92% one
        assert seconds[f"train-festival-{voice}-1"] > 1.1 * seconds[f"train-festival-{voice}-0"]
    with pytest.raises(AudiopalmError, match="does not speak en"):
        render("Hello.", "en", speakers[0])


def test_one_festival_process_writes_what_text2wave_writes_and_outlives_a_failure(tmp_path):
    import subprocess

    import audiopalm.data.babel.render as R

    festival = R._festival_process()
    texts = [("el_diphone", 0.92, "¿El niño comió la fruta? Sí."), ("lp_diphone", 1.1, "Ciao. Come stai? Bene.")]
    for voice, stretch, text in texts * 2:  # the second round from the same process
        (tmp_path / "t.txt").write_bytes(text.encode("latin-1"))
        setup = f"(begin (voice_{voice}) (Parameter.set 'Duration_Stretch {stretch:.3f}))"
        subprocess.run(["text2wave", "-eval", setup, str(tmp_path / "t.txt"), "-o", str(tmp_path / "ref.wav")],
                       check=True, capture_output=True)
        assert festival.say(str(tmp_path / "t.txt"), str(tmp_path / "out.wav"), voice, stretch)
        assert (tmp_path / "out.wav").read_bytes() == (tmp_path / "ref.wav").read_bytes()
    (tmp_path / "t.txt").write_bytes("¿Cómo?".encode("latin-1"))  # the Italian voice has no rule for these letters
    assert not festival.say(str(tmp_path / "t.txt"), str(tmp_path / "bad.wav"), "lp_diphone", 1.0)
    assert "no rule matches" in festival.error_text()
    italian = R.Speaker("x", "lp_diphone", 0, 100, 0, "festival", ("it",))
    with pytest.raises(AudiopalmError, match="festival failed for voice lp_diphone: .*no rule matches"):
        R.render("Perché ¿sí?", "it", italian)
    assert R._festival_process() is festival and len(R.render("Ciao. Come stai? Bene.", "it", italian).wav) > 16000


def test_a_missing_festival_or_voice_or_character_is_one_clear_error(monkeypatch):
    import audiopalm.data.babel.render as R
    from audiopalm.data.babel.speakers import Speaker, festival_speakers

    spanish = festival_speakers("train")[0]
    with pytest.raises(AudiopalmError, match="Latin-1"):
        R.render("Łukasz come.", "es", spanish)
    with pytest.raises(AudiopalmError, match="Festival voice xx_diphone is not installed.*festvox"):
        R.check_family(Speaker("x", "xx_diphone", 0, 100, 0, "festival", ("es",)))
    monkeypatch.setattr(R, "FESTIVAL", "festival-that-is-not-installed")
    with pytest.raises(AudiopalmError, match="apt-get install festival"):
        R.check_family(spanish)
