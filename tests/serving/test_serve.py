"""`audiopalm serve`: the real server on 127.0.0.1 with the tiny test model, each endpoint and each error class,
and the official openai client transcribing a file against it."""

import httpx
import openai
import pytest


def _post(url, path, wav_bytes, name="clip.wav", **fields):
    return httpx.post(url + path, files={"file": (name, wav_bytes, "audio/wav")}, data=fields, timeout=120)


def test_health_and_models(server):
    url, _, model_dir = server
    health = httpx.get(url + "/health").json()
    assert (health["status"], health["model"]) == ("ok", model_dir.name)
    models = httpx.get(url + "/v1/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == model_dir.name
    assert models["data"][0]["languages"]["fr"] == "French"


def test_transcriptions_in_every_response_format(server):
    url, wav, _ = server
    data = wav.read_bytes()
    before = httpx.get(url + "/health").json()
    text = _post(url, "/v1/audio/transcriptions", data, language="fr").json()["text"]
    after = httpx.get(url + "/health").json()  # one batch of one clip, counted where operators and benchmarks see it
    assert (after["batches"] - before["batches"], after["batched_clips"] - before["batched_clips"]) == (1, 1)
    assert isinstance(text, str)
    assert _post(url, "/v1/audio/transcriptions", data, language="French", response_format="text").text == text + "\n"
    srt = _post(url, "/v1/audio/transcriptions", data, language="fr", response_format="srt").text
    assert srt.startswith("1\n00:00:00,000 --> 00:00:0") and text in srt
    vtt = _post(url, "/v1/audio/transcriptions", data, language="fr", response_format="vtt").text
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    verbose = _post(url, "/v1/audio/transcriptions", data, language="fr", response_format="verbose_json").json()
    assert verbose["language"] == "French" and verbose["text"] == text and verbose["duration"] > 0.5
    assert verbose["segments"][0]["start"] == 0.0 and verbose["segments"][0]["end"] == verbose["duration"]
    unsaid = _post(url, "/v1/audio/transcriptions", data).json()["text"]  # the language identified first
    assert isinstance(unsaid, str)


def test_translations_take_a_target_language(server):
    url, wav, _ = server
    r = _post(url, "/v1/audio/translations", wav.read_bytes(), language="fr", target_language="de")
    assert r.status_code == 200 and isinstance(r.json()["text"], str)
    assert _post(url, "/v1/audio/translations", wav.read_bytes(), language="fr").status_code == 200  # into English


@pytest.mark.parametrize("payload, fields, status, message", [
    (b"not audio at all", {}, 400, "clip.wav: cannot read audio"),
    ("short", {}, 400, "too short"),
    ("wav", {"language": "klingon"}, 400, "unknown language 'klingon'"),
    ("wav", {"response_format": "mp4"}, 400, "response_format 'mp4' is not one of"),
    ("big", {}, 413, "over the 2 MB limit"),
    ("long", {}, 413, "over the 20 s limit"),
])
def test_bad_requests_get_a_4xx_with_one_line_and_the_server_keeps_serving(server, payload, fields, status, message):
    import io

    import numpy as np
    import soundfile as sf

    url, wav, _ = server

    def wav_of(seconds):
        buf = io.BytesIO()
        sf.write(buf, np.zeros(int(16000 * seconds), dtype=np.float32) + 0.01, 16000, format="WAV")
        return buf.getvalue()

    body = {"wav": wav.read_bytes(), "short": wav_of(0.01), "big": b"\0" * 2_100_000, "long": wav_of(25)}.get(payload, payload)
    r = _post(url, "/v1/audio/transcriptions", body, **fields)
    assert r.status_code == status
    error = r.json()["error"]
    assert message in error["message"] and "\n" not in error["message"] and error["type"] == "invalid_request_error"
    assert httpx.get(url + "/health").status_code == 200


def test_a_request_without_a_file_is_a_4xx(server):
    url, _, _ = server
    assert httpx.post(url + "/v1/audio/transcriptions", data={"model": "x"}).status_code == 422


def test_the_openai_client_transcribes_a_file(server):
    url, wav, model_dir = server
    client = openai.OpenAI(base_url=url + "/v1", api_key="not-needed")
    with open(wav, "rb") as f:
        result = client.audio.transcriptions.create(model=model_dir.name, file=f, language="fr")
    assert isinstance(result.text, str)
    with open(wav, "rb") as f:
        text = client.audio.transcriptions.create(model=model_dir.name, file=f, language="fr", response_format="text")
    assert text.strip() == result.text.strip()


def test_speech_returns_audio_in_the_asked_format(server):
    import io

    import soundfile as sf

    url, _, _ = server
    r = httpx.post(url + "/v1/audio/speech", json={"model": "x", "input": "Bonjour.", "language": "fr"}, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    wav, sr = sf.read(io.BytesIO(r.content))
    assert sr == 16000 and wav.ndim == 1
    r = httpx.post(url + "/v1/audio/speech", json={"input": "Hallo.", "language": "German", "response_format": "flac"},
                   timeout=120)
    assert r.status_code == 200 and sf.info(io.BytesIO(r.content)).format == "FLAC"
    for body, message in (({"input": "  ", "language": "fr"}, "input is empty"),
                          ({"input": "Hi.", "voice": "alloy"}, "voice 'alloy'"),
                          ({"input": "Hi.", "response_format": "mp3"}, "response_format 'mp3'"),
                          ({"input": "Hi.", "language": "xx"}, "unknown language 'xx'")):
        r = httpx.post(url + "/v1/audio/speech", json=body, timeout=60)
        assert r.status_code == 400 and message in r.json()["error"]["message"]


def test_speech_translation_returns_text_and_the_spoken_translation(server):
    import base64
    import io

    import soundfile as sf

    url, wav, _ = server
    r = _post(url, "/v1/audio/speech-translations", wav.read_bytes(), language="fr", target_language="en")
    assert r.status_code == 200
    out = r.json()
    assert out["language"] == "French" and out["target_language"] == "English"
    assert isinstance(out["transcript"], str) and isinstance(out["translation"], str)
    audio, sr = sf.read(io.BytesIO(base64.b64decode(out["audio"]["data"])))
    assert sr == 16000 and abs(len(audio) / sr - out["audio"]["seconds"]) < 0.01
    r = _post(url, "/v1/audio/speech-translations", wav.read_bytes(), language="fr", target_language="fr")
    assert r.status_code == 400 and "already in French" in r.json()["error"]["message"]


def test_a_model_without_a_speech_stage_answers_501():
    from types import SimpleNamespace

    from audiopalm.serve import RequestError, Service

    service = Service.__new__(Service)
    service.model = SimpleNamespace(speech_out=None)
    with pytest.raises(RequestError, match="no speech output stage") as e:
        service.speak("Bonjour.", "fr")
    assert e.value.status == 501


def test_speech_in_an_uploaded_voice(server):
    import base64

    url, wav, _ = server
    voice = "data:audio/wav;base64," + base64.b64encode(wav.read_bytes()).decode()
    r = httpx.post(url + "/v1/audio/speech", json={"input": "Bonjour.", "language": "fr", "voice": voice}, timeout=120)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    for bad, message in (("data:audio/wav;base64,@@@", "not valid base64"),
                         ("data:audio/wav;base64," + base64.b64encode(b"RIFF....").decode(), "voice: cannot read audio")):
        r = httpx.post(url + "/v1/audio/speech", json={"input": "Hi.", "voice": bad}, timeout=60)
        assert r.status_code == 400 and message in r.json()["error"]["message"]


def test_a_long_recording_is_translated_to_speech_stretch_by_stretch(speaking_model):
    import numpy as np

    from audiopalm.audio.io import load_audio
    from audiopalm.serve import ServeConfig, Service

    data, model_dir = speaking_model
    clips = [load_audio(p) for p in sorted((data / "audio" / "test" / "fr").glob("*.wav"))[:3]]
    pause = np.zeros(16000 * 4, dtype=np.float32)
    while sum(len(c) + len(pause) for c in clips) < 16000 * 25:  # longer than one 20 s stretch
        clips = clips + clips
    starts, parts, t = [], [], 0.0
    for clip in clips:
        starts.append(t)
        parts += [clip, pause]
        t += (len(clip) + len(pause)) / 16000
    out = Service(ServeConfig(str(model_dir))).speech_translation(np.concatenate(parts), "fr", "en")
    assert len(out["segments"]) == len(clips)
    assert all(abs(s["start"] - a) < 0.5 for s, a in zip(out["segments"], starts))
    assert out["language"] == "fr" and out["target_language"] == "en"
    assert set(out["segments"][0]) == {"start", "end", "transcript", "translation"}


def test_small_batches_run_on_one_thread_and_full_ones_on_all(speaking_model, monkeypatch):
    import soundfile as sf
    import torch

    from audiopalm.serve import ServeConfig, Service

    data, model_dir = speaking_model
    wav, _ = sf.read(next((data / "audio" / "test" / "fr").glob("*.wav")), dtype="float32")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        service = Service(ServeConfig(str(model_dir), small_batch=3))
        seen, listen = [], service.model.listen_batch
        monkeypatch.setattr(service.model, "listen_batch",
                            lambda wavs: seen.append((len(wavs), torch.get_num_threads())) or listen(wavs))
        assert len(service._transcribe_batch([(wav, "fr")])) == 1
        assert len(service._transcribe_batch([(wav, "fr")] * 3)) == 3
        assert seen == [(1, 1), (3, 2)] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
