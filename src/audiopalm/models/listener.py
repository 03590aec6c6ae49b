"""A listener: a CTC encoder kept in an AudioPaLM folder for its character head alone.

The language model reads the audio tokenizer's tokens. Beside it, a CTC character head reading the recording
ranks transcript hypotheses (joint decoding, `AudioPaLM.ctc_guide`) and its spelling helps tell languages apart
(`AudioPaLM.language_scores`). By default that head is the tokenizer's own encoder's. A listener is a second
encoder that only has to hear, so it is free to be what the tokenizer's cannot: tokenizer v3.1's, say, whose
pretrained lower layers, kept fixed, hear an unseen synthesizer's voices far better (docs/tokenizers.md), while
the tokens, and the language model and speech stage trained on them, stay as they are.

    audiopalm tokenizer train --data data/babel-small --encoder ctc --ctc-init whisper-tiny.en \\
        --ctc-freeze-layers 2 --out runs/listener                       # or any CTC encoder folder
    audiopalm attach-listener --model models/babel-small --encoder runs/listener/ctc-train/model
    audiopalm tune-ctc --model models/babel-small --data data/babel-small  # its weights, chosen again
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from audiopalm.audio.encoders.ctc import load_ctc_model, save_ctc_model
from audiopalm.config import help_field
from audiopalm.data.manifest import write_text_atomic
from audiopalm.errors import AudiopalmError, first_line
from audiopalm.models.question import QUESTION_HEAD

LISTENER = "listener"  # the folder inside an AudioPaLM folder


@dataclass
class AttachListenerConfig:
    """`audiopalm attach-listener`: give an AudioPaLM folder a CTC encoder to read recordings with."""

    model: str = help_field("AudioPaLM folder to extend")
    encoder: str = help_field("CTC encoder folder (config.json + model.safetensors: a tokenizer's ctc-train/model)")


def attach_listener(cfg: AttachListenerConfig) -> Path:
    """MODEL/listener from the encoder folder. The model's CTC weights (config.json "ctc_weights") were chosen
    for the head it had, and its question head (models/question.py) read that encoder's states, so both are
    dropped: `audiopalm tune-ctc` and `audiopalm train-question-head` make them again for the new one."""
    from safetensors import SafetensorError

    folder, source = Path(cfg.model), Path(cfg.encoder)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise AudiopalmError(f"{cfg.model} is not an AudioPaLM model folder (no config.json)")
    try:
        encoder = load_ctc_model(source)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as e:
        raise AudiopalmError(f"{source}: not a CTC encoder folder ({type(e).__name__}: {first_line(e)})") from None
    out, tmp = folder / LISTENER, folder / f"{LISTENER}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save_ctc_model(encoder, tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    shutil.rmtree(folder / QUESTION_HEAD, ignore_errors=True)
    config = json.loads(config_path.read_text())
    if config.pop("ctc_weights", None) is not None:
        write_text_atomic(config_path, json.dumps(config, indent=2, ensure_ascii=False))
    return out
