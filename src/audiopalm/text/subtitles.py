"""Timed text as subtitles: segments [{"start", "end", "text"}] (seconds) -> SRT or WebVTT."""

from __future__ import annotations


def timestamp(seconds: float, sep: str) -> str:
    """3723.5, "," -> "01:02:03,500"."""
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(segments: list[dict]) -> str:
    return "\n".join(f"{i}\n{timestamp(s['start'], ',')} --> {timestamp(s['end'], ',')}\n{s['text']}\n"
                     for i, s in enumerate(segments, 1))


def vtt(segments: list[dict]) -> str:
    return "WEBVTT\n\n" + "\n".join(f"{timestamp(s['start'], '.')} --> {timestamp(s['end'], '.')}\n{s['text']}\n"
                                    for s in segments)
