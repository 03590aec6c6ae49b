import pytest
import torch


from audiopalm.errors import AudiopalmError
from audiopalm.models.lm import build_llama, extend_vocabulary


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("init", ["mean", "normal"])
def test_extension_keeps_text_rows_and_grows_both_ends(tie, init):
    torch.manual_seed(0)
    model = build_llama("tiny", vocab_size=100, bos_id=2, eos_id=3, pad_id=0, tie=tie)
    emb_before = model.get_input_embeddings().weight[:100].clone()
    head_before = model.get_output_embeddings().weight[:100].clone()
    ids = torch.tensor([[2, 5, 17, 42]])
    logits_before = model(ids).logits[0, :, :100]
    extend_vocabulary(model, 100 + 1024 + 1, init=init)
    emb, head = model.get_input_embeddings().weight, model.get_output_embeddings().weight
    assert emb.shape[0] == head.shape[0] == 1125 and model.config.vocab_size == 1125
    assert torch.equal(emb[:100], emb_before) and torch.equal(head[:100], head_before)
    assert (emb.data_ptr() == head.data_ptr()) == tie
    assert torch.allclose(model(ids).logits[0, :, :100], logits_before, atol=1e-5), "text behaviour unchanged"
    assert emb[100:].std() > 0
    out = model(torch.tensor([[2, 5, 600, 1124]]))
    assert out.logits.shape == (1, 4, 1125)


def test_extension_refuses_shrinking_and_unknown_init():
    model = build_llama("tiny", vocab_size=100, bos_id=2, eos_id=3, pad_id=0)
    with pytest.raises(AudiopalmError, match="shrink"):
        extend_vocabulary(model, 50)
    with pytest.raises(AudiopalmError, match="unknown init"):
        extend_vocabulary(model, 200, init="zeros")
