"""`audiopalm serve`: the model behind an HTTP API that speech clients already speak (OpenAI's audio API).

    audiopalm serve --model models/babel-small --port 8000

    GET  /                          a web page: record or upload, transcribe, translate, hear the
                                    spoken translation (plain HTML and JavaScript, web/index.html)
    GET  /health                    {"status": "ok", "model": NAME, "batches": N, "batched_clips": M}
    GET  /v1/models                 the one model, OpenAI's list format
    POST /v1/audio/transcriptions   multipart: file, model, language?, prompt? (ignored),
                                    response_format = json | text | srt | vtt | verbose_json
    POST /v1/audio/translations     the same, into `target_language` (default English; OpenAI's
                                    endpoint translates into English only)
    POST /v1/audio/speech           TTS, OpenAI's JSON body: input, language (ours; default en),
                                    voice ("default": the model's own, or a recording of the voice as a
                                    data URL), response_format = wav | flac
    POST /v1/audio/speech-translations
                                    S2ST: multipart file, target_language, language?; JSON with the
                                    transcript, the translation and the spoken translation in the
                                    source voice (base64 WAV); long recordings stretch by stretch,
                                    with each stretch's times and texts under "segments"

Bad input is a 4xx with one line of reason in OpenAI's error shape ({"error": {"message", "type"}}):
unreadable or too short audio (400), an unknown language (400), empty text (400), an upload over
the size limit (413), audio longer than the duration limit (413); speech endpoints of a model
without a speech output stage answer 501. The server keeps serving after any of them.

Throughput: short transcriptions that arrive together are decoded as one batch (batcher.py: the
worker collects for `batch_wait_ms`, or up to `batch_max_wait_ms` while more transcription requests
are being received, at most `max_batch` clips); other requests take the model one
at a time (a lock: torch uses every core for one decode). Limits answer 503 with a reason: more than
`max_queue` transcriptions waiting, more than `max_concurrent` requests in flight, or no result within
`timeout_s`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from fastapi import Body, FastAPI, File, Form, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from audiopalm.audio.io import SAMPLE_RATE, load_audio_bytes
from audiopalm.audio.vad import VadConfig, cut, one_stretch, stretches
from audiopalm.batcher import Batcher, Busy
from audiopalm.config import help_field
from audiopalm.errors import AudiopalmError
from audiopalm.text.subtitles import srt, vtt

RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
AUDIO_FORMATS = {"wav": "audio/wav", "flac": "audio/flac"}
VAD = VadConfig()  # recordings longer than VAD.max_seconds are split by voice activity


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to `n` for the calling thread's work inside the block."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class ServeConfig:
    """`audiopalm serve`: the HTTP API of one model folder."""

    model: str = help_field("AudioPaLM folder")
    host: str = help_field("address to listen on", "127.0.0.1")
    port: int = help_field("port", 8000, min=1, max=65535)
    max_upload_mb: float = help_field("largest accepted upload", 25.0, min=0.01)
    max_seconds: float = help_field("longest accepted recording (longer than 20 s: split by voice activity)",
                                    600.0, min=1)
    max_batch: int = help_field("most short transcriptions decoded together (1: one at a time)", 16, min=1)
    batch_wait_ms: float = help_field("how long the first request of a batch waits for others", 10.0, min=0)
    batch_max_wait_ms: float = help_field("how long it may wait while more transcription requests are being received",
                                          100.0, min=0)
    max_queue: int = help_field("transcriptions waiting for a batch; more are answered 503", 64, min=1)
    max_concurrent: int = help_field("requests in flight on the audio endpoints; more are answered 503", 64, min=1)
    timeout_s: float = help_field("longest a request waits for the model before a 503", 120.0, min=0.1)
    small_batch: int = help_field("a batch of fewer clips runs on one torch thread (its small products lose more to "
                                  "the threads' synchronisation than they gain); 0: every batch on all threads", 8, min=0)
    log_level: str = help_field("uvicorn's log level (info: a line per request)", "info",
                                choices=("debug", "info", "warning", "error"))


class RequestError(AudiopalmError):
    """Something a request sent: answered with `status` and its one-line message."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def render(text: str, segments: list[dict], fmt: str, language: str, duration: float, task: str):
    """One result in a response format: (body, media type). Segments: {"start", "end", "text"} in seconds."""
    if fmt == "text":
        return text + "\n", "text/plain"
    if fmt == "srt":
        return srt(segments), "application/x-subrip"
    if fmt == "vtt":
        return vtt(segments), "text/vtt"
    if fmt == "verbose_json":
        return {"task": task, "language": language, "duration": round(duration, 3), "text": text,
                "segments": [{"id": i, **s} for i, s in enumerate(segments)]}, "application/json"
    return {"text": text}, "application/json"


class Service:
    """The model and the limits: each request's audio checked, heard once, decoded under one lock."""

    def __init__(self, cfg: ServeConfig):
        from audiopalm.models.audiopalm import AudioPaLM

        self.cfg = cfg
        self.name = Path(cfg.model).resolve().name
        self.model = AudioPaLM.from_pretrained(cfg.model)
        self.lock = threading.Lock()
        self.threads = torch.get_num_threads()
        self.arriving = 0  # transcription requests in flight (their uploads being read, or waiting for a batch)
        self.batcher = Batcher(self._transcribe_batch, cfg.max_batch, cfg.batch_wait_ms, cfg.max_queue,
                               coming=lambda: self.arriving - self.batcher.outstanding,
                               max_wait_ms=cfg.batch_max_wait_ms)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The model to this request alone, or Busy after `timeout_s` of waiting for it."""
        if not self.lock.acquire(timeout=self.cfg.timeout_s):
            raise Busy(f"the model stayed busy for {self.cfg.timeout_s:g} s; try again shortly")
        try:
            yield
        finally:
            self.lock.release()

    def _transcribe_batch(self, items: list[tuple[np.ndarray, str | None]]) -> list[tuple[str, str | None]]:
        """[(wav, language code or None)] -> [(text, language code)], one encoder batch and one decode."""
        with self.locked(), torch_threads(1 if len(items) < self.cfg.small_batch else self.threads):
            heard = self.model.listen_batch([wav for wav, _ in items])
            return self.model.transcribe_heard(heard, [lang for _, lang in items])

    def within_limit(self, data: bytes, name: str) -> bytes:
        """`data`, or a 413 when it is over the upload size limit."""
        if len(data) > self.cfg.max_upload_mb * 1e6:
            raise RequestError(f"{name}: over the {self.cfg.max_upload_mb:g} MB limit", 413)
        return data

    def read(self, upload) -> bytes:
        """An upload's bytes, reading at most one byte past the size limit (a huge upload is refused, not held)."""
        return self.within_limit(upload.file.read(int(self.cfg.max_upload_mb * 1e6) + 1), upload.filename or "upload")

    def audio(self, data: bytes, filename: str):
        wav = load_audio_bytes(data, filename)  # unreadable audio: an AudioError, answered 400
        if len(wav) > self.cfg.max_seconds * SAMPLE_RATE:
            raise RequestError(f"{filename}: {len(wav) / SAMPLE_RATE:.1f} s is over the {self.cfg.max_seconds:g} s limit",
                               413)
        return wav

    def language(self, lang: str | None) -> str | None:
        return self.model.languages.code(lang) if lang else None  # an unknown one: AudiopalmError, answered 400

    def voice(self, voice: str) -> np.ndarray | None:
        """'default' (the model's own voice) -> None; a recording as a data URL -> its waveform."""
        import base64
        import binascii

        if voice == "default":
            return None
        if not voice.startswith("data:") or ";base64," not in voice:
            raise RequestError(f"voice {voice[:40]!r}: use 'default' (the model's own voice) or a recording of the "
                               "voice as a data URL (data:audio/wav;base64,...)")
        try:
            data = base64.b64decode(voice.split(";base64,", 1)[1], validate=True)
        except binascii.Error:
            raise RequestError("voice: the data URL is not valid base64") from None
        return self.audio(self.within_limit(data, "voice"), "voice")

    def speaks(self) -> None:
        if self.model.speech_out is None:
            raise RequestError("this model has no speech output stage (attach one with audiopalm attach-speech)", 501)

    def speak(self, text: str, language: str, voice: np.ndarray | None = None) -> np.ndarray:
        """TTS in the model's own voice, or in the voice of the recording `voice`."""
        self.speaks()
        if not text.strip():
            raise RequestError("input is empty: nothing to say")
        lang = self.language(language)
        with self.locked():
            return self.model.speak(text, lang, voice)

    def speech_translation(self, wav, language: str | None, target: str) -> dict:
        """S2ST: transcript, translation and the spoken translation in the source voice; a long recording
        stretch by stretch (each in the voice of the first), the stretches' speech joined with short pauses."""
        self.speaks()
        target = self.language(target)
        spans = stretches(wav, VAD)
        with self.locked():
            pieces = [self.model.listen(piece) for piece in cut(wav, spans)]
            source = language or (self.model.identify_language(pieces[0]) if pieces else target)
            if source == target and pieces:
                raise RequestError(f"the recording is already in {self.model.languages.name(target)}")
            said = [self.model.spoken_translation(h, target, source, voice=pieces[0]) for h in pieces]
            segments = [{"start": a, "end": b, "transcript": transcript, "translation": translation, "speech": speech}
                        for (a, b), (transcript, translation, speech) in zip(spans, said)]
        from audiopalm.models.audiopalm import join_speech

        speech = join_speech([seg.pop("speech") for seg in segments])
        return {"language": source, "target_language": target,
                "transcript": " ".join(s["transcript"] for s in segments if s["transcript"]),
                "translation": " ".join(s["translation"] for s in segments if s["translation"]),
                "speech": speech,
                "segments": segments}

    def run(self, wav, task: str, language: str | None, target: str | None) -> tuple[list[dict], str]:
        """-> (segments [{"start", "end", "text"}], the spoken language's code). A recording longer than one
        stretch of the model's context is split by voice activity; each stretch is transcribed (or translated)."""
        target = self.language(target) if task == "translate" else None
        if task == "translate" and not (language and self.language(language) == target):
            with self.locked():
                source, segments = self.model.translate_segments(wav, target, language, vad=VAD)
            return segments, source or self.model.languages.codes[0]
        if task == "transcribe" and one_stretch(wav, VAD):  # batched with other requests
            text, code = self.batcher.submit((wav, language), self.cfg.timeout_s)
            end = round(len(wav) / SAMPLE_RATE, 3)
            return [{"start": 0.0, "end": end, "text": text}], code or language or self.model.languages.codes[0]
        spans = stretches(wav, VAD)
        with self.locked():
            pieces = [self.model.listen(piece) for piece in cut(wav, spans)]
            if not pieces:
                return [], language or self.model.languages.codes[0]
            source = language or self.model.identify_language(pieces[0])
            # (a translation into the spoken language is its transcript) a few stretches at a time: bounded memory
            texts = self.model.transcribe(pieces, source)
        return [{"start": a, "end": b, "text": t} for (a, b), t in zip(spans, texts)], source


def encode_audio(wav, fmt: str) -> bytes:
    """float32 [N] at 16 kHz -> the bytes of a 16-bit WAV or a FLAC file."""
    import io

    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, wav, SAMPLE_RATE, format=fmt.upper(), subtype="PCM_16")
    return buf.getvalue()


def create_app(cfg: ServeConfig) -> FastAPI:
    """The FastAPI application of one model."""
    service = Service(cfg)
    app = FastAPI(title="audiopalm", description="Speech recognition and translation, OpenAI's audio API.")
    app.state.service = service

    @app.exception_handler(AudiopalmError)  # RequestError and any other error a request's content caused
    async def request_error(_, e: AudiopalmError):
        status = e.status if isinstance(e, RequestError) else 503 if isinstance(e, Busy) else 400
        kind = "server_overloaded" if status == 503 else "invalid_request_error"
        return JSONResponse({"error": {"message": str(e), "type": kind}}, status_code=status)

    in_flight = threading.BoundedSemaphore(cfg.max_concurrent)

    @app.middleware("http")
    async def limit_concurrency(request, call_next):
        if not request.url.path.startswith("/v1/audio/"):
            return await call_next(request)
        if not in_flight.acquire(blocking=False):
            message = f"the server is busy ({cfg.max_concurrent} requests in flight); try again shortly"
            return JSONResponse({"error": {"message": message, "type": "server_overloaded"}}, status_code=503)
        transcription = request.url.path == "/v1/audio/transcriptions"  # may join a batch: the batcher waits for it
        service.arriving += transcription  # (the event loop's thread alone changes it)
        try:
            return await call_next(request)
        finally:
            service.arriving -= transcription
            in_flight.release()

    page = (Path(__file__).parent / "web" / "index.html").read_text(encoding="utf-8")

    @app.get("/", response_class=HTMLResponse)
    def index():
        return page

    @app.get("/health")
    def health():
        batcher = service.batcher
        return {"status": "ok", "model": service.name, "batches": batcher.batches, "batched_clips": batcher.batched_items}

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": service.name, "object": "model", "owned_by": "audiopalm",
                                            "languages": service.model.languages.names}]}

    def answer(task: str, data: bytes, filename: str, language: str | None, target: str | None, fmt: str):
        if fmt not in RESPONSE_FORMATS:
            raise RequestError(f"response_format {fmt!r} is not one of {', '.join(RESPONSE_FORMATS)}")
        wav = service.audio(data, filename or "upload")
        segments, source = service.run(wav, task, service.language(language), target)
        text = " ".join(s["text"] for s in segments if s["text"])
        body, media = render(text, segments, fmt, service.model.languages.name(source), len(wav) / SAMPLE_RATE, task)
        if isinstance(body, dict):
            return JSONResponse(body)
        return PlainTextResponse(body, media_type=media)

    # Plain (not async) handlers: FastAPI runs them in its thread pool, so decoding does not block the loop.
    @app.post("/v1/audio/transcriptions")
    def transcriptions(file: UploadFile = File(...), model: str = Form(""), language: str | None = Form(None),
                       prompt: str | None = Form(None), response_format: str = Form("json")):
        return answer("transcribe", service.read(file), file.filename, language, None, response_format)

    @app.post("/v1/audio/speech")
    def speech(input: str = Body(...), model: str = Body(""), language: str = Body("en"), voice: str = Body("default"),
               response_format: str = Body("wav"), speed: float = Body(1.0)):
        if response_format not in AUDIO_FORMATS:
            raise RequestError(f"response_format {response_format!r} is not one of {', '.join(AUDIO_FORMATS)}")
        wav = service.speak(input, language, service.voice(voice))
        return Response(encode_audio(wav, response_format), media_type=AUDIO_FORMATS[response_format])

    @app.post("/v1/audio/speech-translations")
    def speech_translations(file: UploadFile = File(...), target_language: str = Form("en"),
                            language: str | None = Form(None), model: str = Form("")):
        import base64

        wav = service.audio(service.read(file), file.filename or "upload")
        out = service.speech_translation(wav, service.language(language), target_language)
        speech = out.pop("speech")
        names = service.model.languages.name
        return {**out, "language": names(out["language"]), "target_language": names(out["target_language"]),
                "audio": {"format": "wav", "seconds": round(len(speech) / SAMPLE_RATE, 3),
                          "data": base64.b64encode(encode_audio(speech, "wav")).decode()}}

    @app.post("/v1/audio/translations")
    def translations(file: UploadFile = File(...), model: str = Form(""), language: str | None = Form(None),
                     target_language: str = Form("en"), prompt: str | None = Form(None),
                     response_format: str = Form("json")):
        return answer("translate", service.read(file), file.filename, language, target_language, response_format)

    return app


def run(cfg: ServeConfig) -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(create_app(cfg), host=cfg.host, port=cfg.port, log_level=cfg.log_level)


def start_in_thread(cfg: ServeConfig, log_level: str = "warning"):
    """Serve `cfg` from a daemon thread of this process (tests, benchmarks, notebooks) on a free port of
    cfg.host -> (uvicorn server: set `should_exit` to stop it, its thread, base URL); returns once it listens."""
    import socket
    import time
    from dataclasses import replace

    import uvicorn

    with socket.socket() as s:
        s.bind((cfg.host, 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(replace(cfg, port=port)), host=cfg.host, port=port,
                                           log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise AudiopalmError(f"the server did not start on {cfg.host}:{port}")
        time.sleep(0.05)
    return server, thread, f"http://{cfg.host}:{port}"
