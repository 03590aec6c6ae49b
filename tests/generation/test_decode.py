import torch

from audiopalm.generation.decode import Sampling, beam_decode, greedy_decode, memoised
from tests.generation.conftest import VOCAB


def _prompts():
    g = torch.Generator().manual_seed(1)
    return [torch.cat([torch.tensor([2]), torch.randint(4, 92, (n,), generator=g), torch.tensor([VOCAB.sep_id])])
            for n in (5, 11, 8)]


def _naive(model, prompt, modalities, max_new):
    """Greedy without a cache: the whole sequence again at every step."""
    ids, segs, seg = prompt.tolist(), [[] for _ in modalities], 0
    for _ in range(max_new):
        logits = model(torch.tensor([ids])).logits[0, -1]
        allowed = VOCAB.allowed(modalities[seg], last=seg == len(modalities) - 1)
        t = int(logits.masked_fill(~allowed, float("-inf")).argmax())
        ids.append(t)
        if t in (VOCAB.sep_id, VOCAB.eos_id):
            seg += 1
            if seg == len(modalities):
                break
        else:
            segs[seg].append(t)
    return segs


def test_segments_respect_their_modality(model):
    out = greedy_decode(model, VOCAB, _prompts(), ["text", "audio"], max_new_tokens=30)
    for segments in out:
        assert all(t < VOCAB.text_size for t in segments[0])
        assert all(VOCAB.text_size <= t < VOCAB.sep_id for t in segments[1])


def test_cached_batched_greedy_equals_naive_greedy(model):
    prompts = _prompts()
    batched = greedy_decode(model, VOCAB, prompts, ["text", "audio"], max_new_tokens=12)
    for p, got in zip(prompts, batched):
        assert got == _naive(model, p, ["text", "audio"], 12)


def test_one_beam_is_greedy(model):
    p = _prompts()[1]
    assert beam_decode(model, VOCAB, p, ["text"], beams=1, max_new_tokens=12) == \
        greedy_decode(model, VOCAB, [p], ["text"], max_new_tokens=12)[0]


def test_beam_search_finds_at_least_the_greedy_score(model):
    p = _prompts()[0]

    @torch.no_grad()
    def logprob(segments):
        ids = p.tolist()
        total = 0.0
        for k, seg in enumerate(segments):
            for t in seg + [VOCAB.eos_id if k == len(segments) - 1 else VOCAB.sep_id]:
                total += float(model(torch.tensor([ids])).logits[0, -1].log_softmax(-1)[t])
                ids.append(t)
        return total

    greedy = greedy_decode(model, VOCAB, [p], ["text"], max_new_tokens=40)[0]
    beam = beam_decode(model, VOCAB, p, ["text"], beams=4, max_new_tokens=40, length_penalty=0.0)
    if greedy[0] != beam[0]:
        assert logprob(beam) >= logprob(greedy) - 1e-4


def test_sampling_draws_audio_tokens_only_and_is_seeded(model):
    prompts = _prompts()
    greedy = greedy_decode(model, VOCAB, prompts, ["audio"], 30)
    sampled = greedy_decode(model, VOCAB, prompts, ["audio"], 30, audio_sampling=Sampling(1.0, 20, seed=3))
    again = greedy_decode(model, VOCAB, prompts, ["audio"], 30, audio_sampling=Sampling(1.0, 20, seed=3))
    other = greedy_decode(model, VOCAB, prompts, ["audio"], 30, audio_sampling=Sampling(1.0, 20, seed=4))
    assert sampled == again and sampled != other and sampled != greedy  # the seed decides
    audio = [t for s in sampled for t in s[0]]
    assert audio and all(VOCAB.text_size <= t < VOCAB.size for t in audio)
    # text segments stay greedy; one candidate (top-1) is greedy again
    text = greedy_decode(model, VOCAB, prompts, ["text"], 30)
    assert greedy_decode(model, VOCAB, prompts, ["text"], 30, audio_sampling=Sampling(1.0, 20)) == text
    assert greedy_decode(model, VOCAB, prompts, ["audio"], 30, audio_sampling=Sampling(1.0, 1)) == greedy


def test_sampling_keeps_to_the_top_k():
    logits = torch.tensor([[5.0, 4.0, 3.0, -1.0, float("-inf")]]).repeat(2000, 1)
    draws = Sampling(temperature=1.0, top_k=2).draw(logits, torch.Generator().manual_seed(0))
    counts = torch.bincount(draws, minlength=5)
    assert counts[2:].sum() == 0 and abs(counts[0] / 2000 - 0.731) < 0.03  # e / (e + 1)
    cold = Sampling(temperature=0.05, top_k=5).draw(logits[:50], torch.Generator().manual_seed(0))
    assert (cold == 0).all()


def test_memoised_text_decodes_each_transcript_once():
    asked = []

    def text_of(ids: list[int]) -> str:
        asked.append(list(ids))
        return " ".join(map(str, ids))

    text = memoised(text_of)
    assert [text([1, 2]), text((1, 2)), text([1, 2, 3]), text([1, 2])] == ["1 2", "1 2", "1 2 3", "1 2"]
    assert asked == [[1, 2], [1, 2, 3]]
