"""Hostile but fair input to the command line: each case ends in one error line and exit 2, or in the correct
result; none prints a traceback, hangs, or touches a file it should not."""

import hashlib
import json
import os
import shutil
import struct

import numpy as np
import pytest
import soundfile as sf

from audiopalm.cli import main


def _wav(path, seconds=1.0, sr=16000, channels=1, value=None, subtype="PCM_16"):
    n = int(seconds * sr)
    wav = np.random.default_rng(0).standard_normal((n, channels)).astype(np.float32) * 0.1 if value is None \
        else np.full((n, channels), value, dtype=np.float32)
    sf.write(path, wav, sr, subtype=subtype)
    return path


def _patch_rate(path, rate):
    """Rewrite the sample rate (and byte rate) in a PCM WAV header, as a damaged file would carry it."""
    data = bytearray(path.read_bytes())
    data[24:28] = struct.pack("<I", rate)
    data[28:32] = struct.pack("<I", rate * 2)
    path.write_bytes(bytes(data))
    return path


def _make_audio(kind, tmp_path):
    """A hostile audio input -> (path, what the one error line must say)."""
    p = tmp_path / "in.wav"
    if kind == "missing":
        return p, "not found"
    if kind == "folder":
        p.mkdir()
        return p, "not a regular file"
    if kind == "fifo":
        os.mkfifo(p)
        return p, "not a regular file"
    if kind == "empty":
        p.write_bytes(b"")
        return p, "cannot read audio"
    if kind == "garbage":
        p.write_bytes(os.urandom(4000))
        return p, "cannot read audio"
    if kind == "text":
        p.write_text("RIFF this is not audio at all\n" * 50)
        return p, "cannot read audio"
    if kind == "one-hertz":
        return _patch_rate(_wav(p), 1), "sample rate 1 Hz is outside"
    if kind == "ultrasonic":
        return _patch_rate(_wav(p), 10_000_000), "sample rate 10000000 Hz is outside"
    if kind == "nan":
        return _wav(p, value=np.nan, subtype="FLOAT"), "NaN or Inf"
    if kind == "inf":
        return _wav(p, value=np.inf, subtype="FLOAT"), "NaN or Inf"
    if kind == "too-short":
        return _wav(p, seconds=0.001), "too short"
    if kind == "nine-channels":
        return _wav(p, channels=9), "expected [T] or [T, C<= 8]"
    if kind == "zero-samples":
        return _wav(p, seconds=0.0), "empty audio"
    raise AssertionError(kind)


AUDIO_CASES = ["missing", "folder", "fifo", "empty", "garbage", "text", "one-hertz", "ultrasonic", "nan", "inf",
               "too-short", "nine-channels", "zero-samples"]


def _one_error_line(capsys, expected: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("audiopalm: error: ") and expected in err, err
    return err


@pytest.mark.parametrize("command", ["transcribe", "translate"])
@pytest.mark.parametrize("kind", AUDIO_CASES)
def test_bad_audio_is_one_line(speaking_model, tmp_path, capsys, kind, command):
    _, model = speaking_model
    path, expected = _make_audio(kind, tmp_path)
    extra = ["--to", "en", "--lang", "fr"] if command == "translate" else []
    assert main([command, str(path), "--model", str(model), *extra]) == 2
    _one_error_line(capsys, expected)


def test_a_header_promising_hours_is_refused_before_reading(tmp_path):
    from audiopalm.audio.io import AudioError, load_audio

    path = _wav(tmp_path / "long.wav", seconds=3.0)
    with pytest.raises(AudioError, match="3 s of audio, more than the 2 s limit"):
        load_audio(path, max_seconds=2.0)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", ["mp3", "no-suffix", "folder", "fifo", "inside-a-file", "same-as-input",
                                  "same-as-voice"])
def test_outputs_that_must_not_be_written(speaking_model, tmp_path, capsys, case):
    data, model = speaking_model
    clip = tmp_path / "clip.wav"
    shutil.copy(next((data / "audio" / "test" / "fr").glob("*.wav")), clip)
    before = _digest(clip)
    out = {"mp3": tmp_path / "out.mp3", "no-suffix": tmp_path / "out", "folder": tmp_path / "out.wav",
           "fifo": tmp_path / "fifo.wav", "inside-a-file": clip / "out.wav", "same-as-input": clip,
           "same-as-voice": clip}[case]
    if case == "folder":
        out.mkdir()
    if case == "fifo":
        os.mkfifo(out)
    expected = {"mp3": "cannot write .mp3", "no-suffix": "cannot write a file without a suffix",
                "folder": "not a regular file", "fifo": "not a regular file", "inside-a-file": "File exists",
                "same-as-input": "is also the input", "same-as-voice": "is also the input"}[case]
    if case == "same-as-voice":
        argv = ["speak", "bonjour", "--model", str(model), "--lang", "fr", "--voice", str(clip), "-o", str(out)]
    elif case == "same-as-input":
        argv = ["translate", str(clip), "--model", str(model), "--lang", "fr", "--to", "en", "--speech", str(out)]
    else:
        argv = ["speak", "bonjour", "--model", str(model), "--lang", "fr", "-o", str(out)]
    assert main(argv) == 2
    _one_error_line(capsys, expected)
    assert _digest(clip) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _damage(model_dir, tmp_path, case):
    """A copy of the model folder with one part damaged -> (folder, what the error line must say)."""
    bad = tmp_path / "model"
    shutil.copytree(model_dir, bad)
    if case == "no-folder":
        shutil.rmtree(bad)
        return bad, "not an AudioPaLM model folder"
    if case == "no-config":
        (bad / "config.json").unlink()
        return bad, "not an AudioPaLM model folder"
    if case == "config-not-json":
        (bad / "config.json").write_text("{format: audiopalm")
        return bad, "config.json: unreadable"
    if case == "config-a-list":
        (bad / "config.json").write_text("[1, 2]")
        return bad, "not an AudioPaLM model folder"
    if case == "config-without-vocab":
        config = (bad / "config.json").read_text().replace('"vocab"', '"vocabulary"')
        (bad / "config.json").write_text(config)
        return bad, "cannot load the model"
    weights = next((bad / "lm").glob("*.safetensors"))
    if case == "truncated-weights":
        weights.write_bytes(weights.read_bytes()[:1000])
        return bad, "cannot load the model"
    if case == "pickle-weights-only":
        weights.rename(bad / "lm" / "pytorch_model.bin")
        return bad, "cannot load the model"
    if case == "no-audio-tokenizer":
        shutil.rmtree(bad / "audio_tokenizer")
        return bad, "not an audio tokenizer folder"
    if case == "no-text-tokenizer":
        shutil.rmtree(bad / "text_tokenizer")
        return bad, "cannot load the model"
    if case == "audio-tokenizer-of-another-model":
        config = json.loads((bad / "config.json").read_text())
        config["vocab"]["audio_size"] -= 4
        (bad / "config.json").write_text(json.dumps(config))
        return bad, "audio_tokenizer/ has 16 tokens, config.json's vocabulary 12"
    if case == "text-tokenizer-of-another-model":
        config = json.loads((bad / "config.json").read_text())
        config["vocab"]["text_size"] -= 1
        (bad / "config.json").write_text(json.dumps(config))
        return bad, "the folder mixes parts of two models"
    if case == "no-codec":
        shutil.rmtree(bad / "speech_out" / "codec")
        return bad, "speech_out/codec: missing"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["no-folder", "no-config", "config-not-json", "config-a-list", "config-without-vocab",
                                  "truncated-weights", "pickle-weights-only", "no-audio-tokenizer",
                                  "no-text-tokenizer", "audio-tokenizer-of-another-model",
                                  "text-tokenizer-of-another-model", "no-codec"])
def test_damaged_model_folders_are_one_line(speaking_model, tmp_path, capsys, case):
    data, model = speaking_model
    bad, expected = _damage(model, tmp_path, case)
    clip = next((data / "audio" / "test" / "fr").glob("*.wav"))
    assert main(["transcribe", str(clip), "--model", str(bad), "--lang", "fr"]) == 2
    _one_error_line(capsys, expected)


@pytest.mark.parametrize("level", [0.0, 1e-4, "noise", "hum"])
def test_silence_and_noise_are_an_empty_transcript_and_no_speech(speaking_model, tmp_path, capsys, level):
    _, model = speaking_model
    if level == "noise":
        quiet = _wav(tmp_path / "quiet.wav", seconds=3.0)  # white noise at -20 dBFS
    elif level == "hum":
        quiet = tmp_path / "quiet.wav"
        sf.write(quiet, 0.3 * np.sin(2 * np.pi * 50 * np.arange(48000) / 16000), 16000)
    else:
        quiet = _wav(tmp_path / "quiet.wav", seconds=3.0, value=level)
    assert main(["transcribe", str(quiet), "--model", str(model), "--lang", "fr"]) == 0
    assert capsys.readouterr().out.strip() == ""
    out = tmp_path / "out.wav"
    assert main(["translate", str(quiet), "--model", str(model), "--lang", "fr", "--to", "en", "--speech", str(out)]) == 0
    assert "no speech heard" in capsys.readouterr().out and not out.exists()


def test_write_text_atomic_refuses_a_folder_and_leaves_no_temp_file(tmp_path):
    from audiopalm.data.manifest import write_text_atomic
    from audiopalm.errors import AudiopalmError

    (tmp_path / "report.json").mkdir()
    with pytest.raises(AudiopalmError, match="not a regular file"):
        write_text_atomic(tmp_path / "report.json", "{}")
    with pytest.raises(OSError):
        write_text_atomic(tmp_path / "missing" / "report.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_manifest_lines_that_are_broken_or_leave_the_dataset_are_skipped_and_named(tmp_path, capsys):
    from audiopalm.data.manifest import read_jsonl
    from audiopalm.errors import AudiopalmError

    good = {"id": "a", "lang": "fr", "text": "x", "audio": "audio/a.wav", "speaker": "s1", "sentence_id": "1"}
    no_lang = {k: v for k, v in good.items() if k != "lang"}
    no_speaker = {k: v for k, v in good.items() if k != "speaker"}
    lines = [good, "{not json", [1, 2], {**good, "id": "b", "audio": "/etc/passwd"},
             {**good, "id": "c", "audio": "../../etc/passwd"}, {**good, "id": "d", "audio": "audio/../../x.wav"},
             {**good, "id": "e", "audio": None, "speaker": None}, {**good, "id": "f", "audio": "audio/f.wav"},
             {**no_lang, "id": "g"}, {**good, "id": 7}, {**no_speaker, "id": "h"}, {**good, "id": "i", "text": None}]
    path = tmp_path / "test.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    assert [r["id"] for r in read_jsonl(path)] == ["a", "e", "f"]
    out = capsys.readouterr().out
    for number in (2, 3, 4, 5, 6, 9, 10, 11, 12):
        assert f"{path}:{number}: " in out
    assert f"{path}:9: no text value for 'lang'" in out and f"{path}:11: no text value for 'speaker'" in out
    assert f"{path}: 9 line(s) skipped, 3 read" in out
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(AudiopalmError, match="test.jsonl:2: id 'a' already used on line 1"):
        read_jsonl(path)


@pytest.mark.parametrize("argv", [
    ["tokenizer", "eval", "--tokenizer", "{model}/audio_tokenizer", "--data", "{data}", "--out", "{data}/test.jsonl"],
    ["data", "intelligibility", "--data", "{data}", "--out", "{data}/test.jsonl"],
    ["bench", "--model", "{model}", "--sections", "peak", "--out", "{model}/config.json.txt"],
    ["bench", "--model", "{model}", "--sections", "peak", "--out", "{data}"],
])
def test_a_report_never_replaces_a_dataset_or_model_file(speaking_model, capsys, argv):
    data, model = speaking_model
    before = {p: _digest(p) for p in [*data.glob("*.jsonl"), *model.glob("*.json")]}
    assert main([a.format(model=model, data=data) for a in argv]) == 2
    _one_error_line(capsys, "choose another output")
    assert {p: _digest(p) for p in before} == before


# (argv with {model}, {clip}, {out}, {data}, {yaml} filled in; what the one error line must say)
OPTION_CASES = {
    "beams-0": (["transcribe", "{clip}", "--model", "{model}", "--beams", "0"], "beams: must be at least 1"),
    "beams-negative": (["translate", "{clip}", "--model", "{model}", "--to", "en", "--beams", "-3"], "at least 1"),
    "beams-not-a-number": (["transcribe", "{clip}", "--model", "{model}", "--beams", "many"], "beams"),
    "top-k-0": (["speak", "salut", "--model", "{model}", "--lang", "fr", "-o", "{out}", "--speech-top-k", "0"],
                "speech_top_k: must be at least 1"),
    "temperature-inf": (["speak", "salut", "--model", "{model}", "--lang", "fr", "-o", "{out}",
                         "--speech-temperature", "inf"], "expected a finite float"),
    "temperature-nan": (["speak", "salut", "--model", "{model}", "--lang", "fr", "-o", "{out}",
                         "--speech-temperature", "nan"], "expected a finite float"),
    "temperature-negative": (["speak", "salut", "--model", "{model}", "--lang", "fr", "-o", "{out}",
                              "--speech-temperature", "-1"], "speech_temperature"),
    "unknown-target": (["translate", "{clip}", "--model", "{model}", "--to", "klingon"], "klingon"),
    "unknown-source": (["transcribe", "{clip}", "--model", "{model}", "--lang", "xx"], "xx"),
    "same-languages": (["translate", "{clip}", "--model", "{model}", "--lang", "fr", "--to", "fr"],
                       "both French"),
    "empty-text": (["speak", "", "--model", "{model}", "--lang", "fr", "-o", "{out}"], "nothing to say"),
    "blank-text": (["speak", "   ", "--model", "{model}", "--lang", "fr", "-o", "{out}"], "nothing to say"),
    "unknown-format": (["transcribe", "{clip}", "--model", "{model}", "--format", "docx"], "format"),
    "steps-0": (["pretrain-text", "--data", "{data}", "--out", "{out_dir}", "--steps", "0"], "at least 1"),
    "yaml-unknown-key": (["pretrain-text", "--config", "{yaml}", "--out", "{out_dir}"], "unknown key"),
    "yaml-malformed": (["pretrain-text", "--config", "{bad_yaml}", "--out", "{out_dir}"], "bad.yaml"),
    "yaml-missing": (["pretrain-text", "--config", "{missing_yaml}", "--out", "{out_dir}"], "missing.yaml"),
    "override-unknown-key": (["pretrain-text", "--data", "{data}", "--out", "{out_dir}", "train.stepz=3"],
                             "unknown key train.stepz"),
    "override-wrong-type": (["pretrain-text", "--data", "{data}", "--out", "{out_dir}", "train.steps=lots"],
                            "train.steps"),
    "no-world": (["pretrain-text", "--data", "{out_dir}/nowhere", "--out", "{out_dir}", "--steps", "1"], "nowhere"),
    "eval-no-model": (["eval", "--model", "{out_dir}/none", "--data", "{data}", "--tasks", "asr"], "none"),
    "eval-unknown-task": (["eval", "--model", "{model}", "--data", "{data}", "--tasks", "asr,dance"], "dance"),
    "eval-unknown-condition": (["eval", "--model", "{model}", "--data", "{data}", "--tasks", "asr",
                                "--conditions", "test-moon"], "test-moon"),
    "eval-pair-malformed": (["eval", "--model", "{model}", "--data", "{data}", "--tasks", "ast", "--pairs", "deit"],
                            "not SRC-TGT"),
    "tokenize-no-tokenizer": (["tokenize", "--tokenizer", "{out_dir}/none", "--data", "{data}", "--out",
                               "{out_dir}/tokens"], "not an audio tokenizer folder"),
}


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_bad_options_and_configs_are_one_line(speaking_model, tmp_path, capsys, case):
    data, model = speaking_model
    (tmp_path / "good.yaml").write_text(f"data: {data}\ntrain:\n  stepz: 3\n")
    (tmp_path / "bad.yaml").write_text("data: [unclosed\n  - x: {\n")
    fill = {"model": str(model), "clip": str(next((data / "audio" / "test" / "fr").glob("*.wav"))),
            "out": str(tmp_path / "out.wav"), "data": str(data), "out_dir": str(tmp_path / "run"),
            "yaml": str(tmp_path / "good.yaml"), "bad_yaml": str(tmp_path / "bad.yaml"),
            "missing_yaml": str(tmp_path / "missing.yaml")}
    argv, expected = OPTION_CASES[case]
    code = None
    try:
        code = main([a.format(**fill) for a in argv])
    except SystemExit as e:  # argparse's own errors (a choice, a type): the same one line, exit 2
        assert e.code == 2
        _one_error_line(capsys, expected)
        return
    assert code == 2
    _one_error_line(capsys, expected)
    assert not (tmp_path / "out.wav").exists()


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


def _damage_dataset(world, case) -> list[str]:
    """Damage a copy of a world's test split; -> the ids eval must report as skipped."""
    rows = [json.loads(line) for line in open(world / "test.jsonl")]
    french = [r for r in rows if r["lang"] == "fr"]
    if case == "corrupt-recording":
        (world / french[0]["audio"]).write_bytes(b"RIFF....WAVEfmt not really")
        return [french[0]["id"]]
    if case == "missing-recording":
        (world / french[1]["audio"]).unlink()
        return [french[1]["id"]]
    if case == "text-only-rows":  # translations without a recording are references, not skipped items
        extra = [{**r, "id": r["id"] + "-text", "audio": None} for r in french[:3]]
        (world / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in extra + rows))
        return []
    if case == "empty-manifest":
        (world / "test.jsonl").write_text("")
    elif case == "only-broken-lines":
        (world / "test.jsonl").write_text("{not json\n[1, 2]\n\n")
    elif case == "every-recording-unreadable":
        for r in rows:
            (world / r["audio"]).write_bytes(b"")
    return []


@pytest.mark.parametrize("case", ["corrupt-recording", "missing-recording", "text-only-rows", "empty-manifest",
                                  "only-broken-lines", "every-recording-unreadable"])
def test_eval_counts_what_it_skipped_and_never_writes_into_the_dataset(speaking_model, tmp_path, capsys, case):
    data, model = speaking_model
    world = tmp_path / "world"
    shutil.copytree(data, world, ignore=shutil.ignore_patterns("tokens"))
    skipped = _damage_dataset(world, case)
    before = _snapshot(world)
    code = main(["eval", "--model", str(model), "--data", str(world), "--tasks", "asr", "--no-lid", "--per-language", "2",
                 "--conditions", "test", "--jobs", "1", "--out", str(tmp_path / "report")])
    assert _snapshot(world) == before
    if case in ("empty-manifest", "only-broken-lines", "every-recording-unreadable"):
        err = capsys.readouterr().err.strip()  # progress bars before it, then the one error line
        assert code == 2 and "Traceback" not in err
        assert err.splitlines()[-1].startswith("audiopalm: error: ") and "no recording to evaluate" in err.splitlines()[-1]
        return
    assert code == 0
    report = json.loads((tmp_path / "report" / "results.json").read_text())
    assert [s.split(": ")[0] for s in report["skipped"]] == skipped
    assert report["asr"]["fr"]["n"] == 2  # the next readable recordings take the skipped ones' places
    if skipped:
        assert f"{len(skipped)} unreadable recording(s) were not scored" in (tmp_path / "report" / "results.md").read_text()


def test_files_and_arrays_are_levelled_alike(tmp_path):
    from audiopalm.audio.io import load_audio, write_wav
    from audiopalm.audio.tokenizer import as_wav

    clean = (0.3 * np.sin(np.arange(16000) / 7)).astype(np.float32)
    write_wav(tmp_path / "clean.wav", clean)
    assert np.array_equal(as_wav(clean), clean)  # clean audio passes untouched
    offset = np.clip(clean + 0.4, -1, 1)  # a recorder's DC offset
    loud = clean * 3  # beyond full scale (only an array or a float file can hold it)
    sf.write(tmp_path / "offset.wav", offset, 16000, subtype="FLOAT")
    sf.write(tmp_path / "loud.wav", loud, 16000, subtype="FLOAT")
    for name, wav in (("offset", offset), ("loud", loud)):
        from_file, from_array = load_audio(tmp_path / f"{name}.wav"), as_wav(wav)
        assert np.allclose(from_file, from_array, atol=1e-6)
        assert abs(float(from_array.mean())) < 0.01 and float(np.abs(from_array).max()) <= 1.0


def test_an_array_longer_than_the_limit_is_refused_before_work():
    from audiopalm.audio.io import AudioError
    from audiopalm.audio.tokenizer import as_wav

    with pytest.raises(AudioError, match="more than the 14400 s limit"):
        as_wav(np.zeros(int(4 * 3600 * 16000) + 16000, dtype=np.float32))


def test_ctrl_c_offers_a_resume_only_where_progress_was_kept(speaking_model, capsys, monkeypatch):
    import audiopalm.recipes.pretrain_text
    from audiopalm.models.audiopalm import AudioPaLM

    data, model = speaking_model

    def interrupt(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(AudioPaLM, "from_pretrained", interrupt)
    monkeypatch.setattr(audiopalm.recipes.pretrain_text, "run", interrupt)
    clip = next((data / "audio" / "test" / "fr").glob("*.wav"))
    assert main(["transcribe", str(clip), "--model", str(model)]) == 130
    assert capsys.readouterr().err.strip() == "audiopalm: interrupted"
    assert main(["pretrain-text", "--data", str(data), "--out", str(data / "never")]) == 130
    assert capsys.readouterr().err.strip().endswith("run the same command again to resume from the last checkpoint")
