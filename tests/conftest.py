import random

import numpy as np
import pytest


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
