"""The unit-to-mel acoustic model: it learns what tokens say and takes the voice from the prompt."""

import pytest
import torch

from audiopalm.audio.codecs.mel import MEL_CODEC_PRESETS, MelCodec
from audiopalm.errors import AudiopalmError
from audiopalm.models.mel_decoder import MEL_DECODER_PRESETS, MelDecoder, generate_mel, mel_loss
from audiopalm.models.speech_out import SpeechOutput, load_acoustic


def _world(gen: torch.Generator, batch: int, frames: int = 40) -> tuple[torch.Tensor, ...]:
    """Each token stands for a fixed mel vector; each example's voice adds its own offset to every
    frame, and the prompt (other frames of the same voice) is the only place that offset shows."""
    fixed = torch.Generator().manual_seed(1)
    table, timbres = torch.randn(16, 80, generator=fixed), torch.randn(4, 80, generator=fixed) / 2
    tokens = torch.randint(0, 16, (batch, frames // 2), generator=gen)
    voice = (torch.randn(batch, 4, generator=gen) @ timbres)[:, None]  # [B, 1, 80]: a few timbre directions
    semantic = tokens.repeat_interleave(2, dim=1)  # [B, T]
    target = table[semantic] + voice
    prompt = table[torch.randint(0, 16, (batch, 30), generator=gen)] + voice
    return semantic, prompt, torch.zeros(batch, 30, dtype=torch.bool), target, torch.zeros(batch, frames, dtype=torch.bool)


def test_learns_the_tokens_and_the_voice_of_the_prompt():
    torch.manual_seed(0)
    model = MelDecoder(MEL_DECODER_PRESETS["tiny"])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(150):
        loss, n = mel_loss(model, *_world(gen, 16))
        opt.zero_grad()
        loss.backward()
        opt.step()
    semantic, prompt, prompt_pad, target, pad = _world(torch.Generator().manual_seed(99), 8)
    with torch.no_grad():
        pred = model(semantic, prompt, prompt_pad)
        without_voice = model(semantic, prompt[:, :0], prompt_pad[:, :0])
        half, none = (model(semantic, prompt, prompt_pad, voice_strength=v) for v in (0.5, 0.0))
    error, voiceless = (pred - target).abs().mean(), (without_voice - target).abs().mean()
    assert error < 0.3  # the voice offset alone is ~0.8 in mean absolute value
    assert error < 0.5 * voiceless  # the voice comes from the prompt
    # voice strength: 0 is the voice of no prompt, in between lies in between
    assert torch.allclose(none, without_voice, atol=1e-6)
    assert error < (half - target).abs().mean() < voiceless


def test_shapes_padding_and_persistence(tmp_path):
    model = MelDecoder(MEL_DECODER_PRESETS["tiny"])
    mel = generate_mel(model, torch.randint(0, 16, (7,)), torch.randn(20, 80))
    assert mel.shape == (14, 80)
    assert generate_mel(model, torch.randint(0, 16, (7,))).shape == (14, 80)  # no prompt: no voice offset
    prompt = torch.randn(1, 20, 80)
    padded = torch.cat([prompt, torch.full((1, 5, 80), 1e3)], dim=1)
    pad = torch.tensor([[False] * 20 + [True] * 5])
    assert torch.allclose(model.speaker(prompt), model.speaker(padded[:, :20], pad[:, :20]))
    model.save_pretrained(tmp_path / "m")
    again = load_acoustic(tmp_path / "m")
    assert isinstance(again, MelDecoder) and again.cfg == model.cfg
    assert torch.equal(generate_mel(again, torch.arange(5)), generate_mel(model, torch.arange(5)))


def test_the_speech_stage_passes_its_voice_strength():
    torch.manual_seed(0)
    model = MelDecoder(MEL_DECODER_PRESETS["tiny"])
    for block in model.blocks:  # FiLM starts at zero: give the voice an effect
        torch.nn.init.normal_(block.film.weight)
    stage = SpeechOutput(MelCodec(MEL_CODEC_PRESETS["tiny"]), model, voice_strength=0.0)
    semantic, voice = torch.randint(0, 16, (6,)), (torch.randint(0, 16, (10,)), torch.randn(20, 80))
    assert torch.equal(stage.acoustic_frames(semantic, voice), generate_mel(model, semantic))  # no voice at all
    stage.voice_strength = 0.5
    assert torch.equal(stage.acoustic_frames(semantic, voice), generate_mel(model, semantic, voice[1], 0.5))
    assert not torch.equal(stage.acoustic_frames(semantic, voice), generate_mel(model, semantic, voice[1]))


def test_needs_a_mel_codec_with_its_bins(tmp_path):
    model = MelDecoder(MEL_DECODER_PRESETS["tiny"])
    narrow = MelCodec(MEL_CODEC_PRESETS["tiny"].__class__(n_mels=40, num_codebooks=2, codebook_size=16, dim=32, layers=1))
    with pytest.raises(AudiopalmError, match="needs the built-in mel codec with as many bins"):
        SpeechOutput(narrow, model)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.json").write_text('{"type": "wavenet"}')
    with pytest.raises(AudiopalmError, match="unknown acoustic model type 'wavenet'"):
        load_acoustic(tmp_path / "x")
