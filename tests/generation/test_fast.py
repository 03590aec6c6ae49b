import pytest
import torch

import transformers

from audiopalm.generation.decode import beam_decode, greedy_decode
from audiopalm.generation.fast import FastDecoder, HFStepper, _linear, stepper, supports
from audiopalm.text.vocab import UnifiedVocab

VOCAB = UnifiedVocab(text_size=60, audio_size=32, bos_id=2, eos_id=3, pad_id=0)
COMMON = dict(vocab_size=VOCAB.size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128, pad_token_id=0)


def _llama():
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(**COMMON, tie_word_embeddings=True)).eval()


def _qwen2():
    torch.manual_seed(0)
    return transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**COMMON)).eval()  # q/k/v carry biases


def _batch():
    g = torch.Generator().manual_seed(1)
    prompts = [torch.randint(4, VOCAB.size - 2, (n,), generator=g) for n in (7, 4, 9)]
    longest = max(len(p) for p in prompts)
    ids = torch.zeros(len(prompts), longest, dtype=torch.long)
    valid = torch.zeros(len(prompts), longest, dtype=torch.bool)
    for i, p in enumerate(prompts):
        ids[i, longest - len(p):], valid[i, longest - len(p):] = p, True
    return prompts, ids, valid


@pytest.mark.parametrize("build", [_llama, _qwen2])
def test_prefill_and_steps_match_the_full_forward_pass(build):
    model = build()
    assert supports(model)
    prompts, ids, valid = _batch()
    positions = (valid.long().cumsum(-1) - 1).clamp_min(0)
    fast = FastDecoder(model, len(prompts), ids.shape[1] + 3)
    logits = fast.forward(ids, positions, valid)
    for _ in range(3):  # append each row's argmax, then check the new last position
        nxt = logits.argmax(-1)
        ids = torch.cat([ids, nxt[:, None]], 1)
        valid = torch.cat([valid, torch.ones(len(prompts), 1, dtype=torch.bool)], 1)
        positions = torch.cat([positions, positions[:, -1:] + 1], 1)
        logits = fast.forward(nxt[:, None], positions[:, -1:], valid)
        for i, p in enumerate(prompts):  # each row alone, no padding, whole sequence
            alone = ids[i, valid[i]][None]
            with torch.no_grad():
                want = model(alone).logits[0, -1]
            torch.testing.assert_close(logits[i], want, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("build", [_llama, _qwen2])
def test_greedy_and_beam_agree_with_the_models_own_forward(build):
    model = build()
    prompts, _, _ = _batch()
    prompts = [torch.cat([torch.tensor([2]), p, torch.tensor([VOCAB.sep_id])]) for p in prompts]
    assert greedy_decode(model, VOCAB, prompts, ["text", "audio"], 20, fast=True) == \
        greedy_decode(model, VOCAB, prompts, ["text", "audio"], 20, fast=False)
    assert beam_decode(model, VOCAB, prompts[0], ["text"], 3, 20, fast=True) == \
        beam_decode(model, VOCAB, prompts[0], ["text"], 3, 20, fast=False)


@pytest.mark.parametrize("rows", [1, 2, 4, 64, 65])
def test_the_few_row_product_is_f_linear(rows):
    g = torch.Generator().manual_seed(rows)
    x, weight, bias = (torch.randn(*shape, generator=g) for shape in ((rows, 1, 24), (40, 24), (40,)))
    for b in (None, bias):
        torch.testing.assert_close(_linear(x, weight, b), torch.nn.functional.linear(x, weight, b))
    assert _linear(x, weight, bias).shape == (rows, 1, 40)


def test_unsupported_models_use_their_own_forward():
    cfg = transformers.LlamaConfig(**COMMON, rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 1e4})
    scaled = transformers.LlamaForCausalLM(cfg).eval()
    gpt2 = transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=VOCAB.size, n_embd=32, n_layer=1, n_head=2))
    for model in (scaled, gpt2):
        assert not supports(model)
        assert isinstance(stepper(model, 1, 16), HFStepper)
    assert isinstance(stepper(_llama(), 1, 16, fast=False), HFStepper)


def test_restricted_output_rows_are_the_full_logits_on_those_rows():
    model = _llama()
    prompts, ids, valid = _batch()
    positions = (valid.long().cumsum(-1) - 1).clamp_min(0)
    audio = torch.arange(VOCAB.text_size, VOCAB.size)
    full = FastDecoder(model, len(prompts), ids.shape[1]).forward(ids, positions, valid)
    part = FastDecoder(model, len(prompts), ids.shape[1], output_rows=[audio]).forward(ids, positions, valid, rows=0)
    torch.testing.assert_close(part[:, audio], full[:, audio])
    assert bool(torch.isinf(part[:, : VOCAB.text_size]).all())


def test_float16_decoding_tracks_float32():
    """float16 steps of one row (the prompt through float32 weights on a CPU) stay within float16 rounding;
    a batch on a CPU decodes in float32, where float16 products of many rows are slow."""
    model = _llama()
    prompts, ids, valid = _batch()
    positions = (valid.long().cumsum(-1) - 1).clamp_min(0)
    wide = FastDecoder(model, 3, ids.shape[1] + 2)
    full = wide.forward(ids, positions, valid)
    step = (torch.tensor([[5], [6], [7]]), positions[:, -1:] + 1, torch.cat([valid, torch.ones(3, 1, dtype=torch.bool)], 1))
    after = wide.forward(*step)
    for i in range(3):
        half = FastDecoder(model, 1, ids.shape[1] + 2, torch.float16)
        assert half.dtype == torch.float16
        torch.testing.assert_close(half.forward(ids[i:i + 1], positions[i:i + 1], valid[i:i + 1]), full[i:i + 1],
                                   atol=2e-3, rtol=0)
        torch.testing.assert_close(half.forward(*(x[i:i + 1] for x in step)), after[i:i + 1], atol=1e-2, rtol=0)
    assert FastDecoder(model, 3, ids.shape[1] + 2, torch.float16).dtype == torch.float32
