import os
import random

import numpy as np
import pytest

# as the command line does (cli.main), before anything imports transformers: errors stay one line on stderr
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@pytest.fixture(scope="session", autouse=True)
def _token_cache(tmp_path_factory):
    """Evaluation keeps its token shards in a folder of the session, not in the user's cache."""
    os.environ["AUDIOPALM_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _seed():
    random.seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """A tiny Babel world rendered once for the whole session: (folder, world.json summary)."""
    from audiopalm.data.babel.synth import synth
    from audiopalm.data.babel.world import preset_config

    out = tmp_path_factory.mktemp("babel") / "tiny"
    summary = synth(out, preset_config("tiny"), jobs=2, progress=False)
    return out, summary


@pytest.fixture(scope="session")
def tiny_parts(tiny_world, tmp_path_factory):
    """An mfcc tokenizer (16 codes) and a tiny pretrained text LM on the tiny world: (world, folder with tok/, lm/)."""
    from audiopalm.recipes.tokenizer import train_tokenizer
    from audiopalm.cli import main

    data, _ = tiny_world
    root = tmp_path_factory.mktemp("parts")
    train_tokenizer(data, "mfcc", root / "tok", codebook_size=16, max_frames=4000)
    assert main(["pretrain-text", "--data", str(data), "--out", str(root / "lm"), "--preset", "tiny", "--steps", "2",
                 "--batch-tokens", "512", "--text-vocab", "600", "--extra-sentences", "20"]) == 0
    return data, root


@pytest.fixture(scope="session")
def speaking_model(tiny_parts, tmp_path_factory):
    """An untrained tiny AudioPaLM with a speech output stage attached: (world, model folder)."""
    from audiopalm.audio.codecs.mel import MEL_CODEC_PRESETS, MelCodec
    from audiopalm.cli import main
    from audiopalm.data.languages import Languages
    from audiopalm.models.audiopalm import AudioPaLM
    from audiopalm.models.soundstorm import SOUNDSTORM_PRESETS, SoundStorm

    data, parts = tiny_parts
    root = tmp_path_factory.mktemp("speaking")
    AudioPaLM.from_text_lm(parts / "lm", parts / "tok", Languages.of_dataset(data)).save_pretrained(root / "ap")
    MelCodec(MEL_CODEC_PRESETS["tiny"]).save_pretrained(root / "codec")  # 2 x 16 codes at 50 Hz
    SoundStorm(SOUNDSTORM_PRESETS["tiny"]).save_pretrained(root / "acoustic")  # reads 16 semantic tokens
    assert main(["attach-speech", "--model", str(root / "ap"), "--codec", str(root / "codec"),
                 "--acoustic", str(root / "acoustic")]) == 0
    return data, root / "ap"
