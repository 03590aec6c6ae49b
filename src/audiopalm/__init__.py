"""audiopalm: a decoder-only speech-text language model that listens and speaks."""

__version__ = "0.1.0"
__all__ = ["AudioTokenizer"]


def __getattr__(name: str):
    # Imported on first use so that `audiopalm data ...` does not pay for importing torch.
    if name == "AudioTokenizer":
        from audiopalm.audio.tokenizer import AudioTokenizer

        return AudioTokenizer
    raise AttributeError(f"module 'audiopalm' has no attribute {name!r}")
