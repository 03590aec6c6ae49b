"""audiopalm: a decoder-only speech-text language model that listens and speaks.

    from audiopalm import AudioPaLM, AudioTokenizer, Sampling
    model = AudioPaLM.from_pretrained("models/babel-small")
    model.transcribe("speech.wav")
"""

__version__ = "0.1.0"
__all__ = ["AudioPaLM", "AudioTokenizer", "Sampling"]

_HOMES = {"AudioPaLM": "audiopalm.models.audiopalm", "AudioTokenizer": "audiopalm.audio.tokenizer",
          "Sampling": "audiopalm.generation.decode"}


def __getattr__(name: str):
    # Imported on first use so that `audiopalm data ...` does not pay for importing torch and transformers.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'audiopalm' has no attribute {name!r}")
