import pytest
import torch

from audiopalm.models.lm import build_llama, extend_vocabulary
from audiopalm.text.vocab import UnifiedVocab

VOCAB = UnifiedVocab(text_size=60, audio_size=32, bos_id=2, eos_id=3, pad_id=0)


@pytest.fixture(scope="module")
def model():
    """A tiny untrained decoder over VOCAB (60 text ids, 32 audio ids)."""
    torch.manual_seed(0)
    m = build_llama("tiny", vocab_size=60, bos_id=2, eos_id=3, pad_id=0)
    extend_vocabulary(m, VOCAB.size)
    return m.eval()
