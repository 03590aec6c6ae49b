"""The multitask mixture: every task formed from a world, same-voice S2ST targets, zero-shot pairs held out."""


import pytest
import torch

from audiopalm.data.shards import load_tokens, tokenize_manifests
from audiopalm.recipes.tokenizer import train_tokenizer
from audiopalm.data.manifest import read_jsonl
from audiopalm.data.languages import Languages
from audiopalm.data.multitask import MixtureConfig, build_mixture, group_utterances
from audiopalm.text.tokenizer import SentencePieceTokenizer
from audiopalm.text.vocab import UnifiedVocab

LANGS = Languages({"en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese"})


@pytest.fixture(scope="module")
def setup(tiny_world, tmp_path_factory):
    data, _ = tiny_world
    root = tmp_path_factory.mktemp("mix")
    train_tokenizer(data, "mfcc", root / "tok", codebook_size=16, max_frames=4000)
    tokenize_manifests(root / "tok", data, root / "tokens", ["test"], jobs=1, progress=False)
    rows = read_jsonl(data / "test.jsonl")
    texts = [r["text"] for r in rows] + [f"[{t} French English]" for t in ("ASR", "AST", "S2ST", "TTS", "MT")]
    tok = SentencePieceTokenizer.train(texts, root / "spm", vocab_size=400)
    vocab = UnifiedVocab(tok.vocab_size, 16, tok.bos_id, tok.eos_id, tok.pad_id, tok.sep_id)
    groups = group_utterances(rows, load_tokens(root / "tokens", "test"))
    return data, tok, vocab, groups, rows


def test_groups_are_one_voice_saying_one_meaning(setup):
    _, _, _, groups, rows = setup
    assert len(groups) == len({(r["sentence_id"], r["speaker"]) for r in rows})
    assert all(len(g) == 6 for g in groups)


def test_mixture_covers_every_task_and_holds_out_zero_shot_pairs(setup):
    _, tok, vocab, groups, _ = setup
    weights = {"ASR": 1, "AST": 1, "S2ST": 1, "TTS": 1, "MT": 1, "ASR AST": 1, "ASR AST S2ST": 1}
    cfg = MixtureConfig(weights=weights, zero_shot_pairs=[["de", "it"], ["fr", "pt"]])
    seqs = build_mixture(groups, vocab, tok, LANGS, cfg)
    # every task once per recording a speaker made (borrowed rows are targets only)
    assert len(seqs) == sum(not u.borrowed for g in groups for u in g.values()) * 7
    tags = set()
    for ids, mask in seqs:
        assert int(ids.max()) < vocab.size and mask.any() and not mask[0]
        assert ids[-1] == vocab.eos_id
        end = int((ids == vocab.sep_id).nonzero()[0])  # the <sep> after the input
        prompt = ids[1:end]
        tags.add(tok.decode(prompt[~vocab.is_audio(prompt)].tolist()).split("]")[0] + "]")
    assert any(t.startswith("[ASR AST S2ST ") for t in tags) and "[TTS German]" in tags
    assert not any(t.endswith("German Italian]") or t.endswith("French Portuguese]") for t in tags)


def test_s2st_target_is_the_same_voice_in_the_target_language(setup):
    _, tok, vocab, groups, _ = setup
    seqs = build_mixture(groups[:1], vocab, tok, LANGS, MixtureConfig(weights={"S2ST": 1}))
    group = groups[0]
    for ids, mask in seqs:
        target = vocab.audio_tokens(ids[mask][:-1])
        assert any(torch.equal(target, u.tokens) for u in group.values())


def test_lid_writes_the_spoken_language_under_an_untagged_prompt(setup):
    _, tok, vocab, groups, _ = setup
    full = [next(g for g in groups if not any(u.borrowed for u in g.values()))]  # one voice in all six languages
    seqs = build_mixture(full, vocab, tok, LANGS, MixtureConfig(weights={"LID": 1}))
    names = sorted(tok.decode(ids[mask][:-1].tolist()) for ids, mask in seqs)
    assert names == ["English", "French", "German", "Italian", "Portuguese", "Spanish"]
    for ids, _ in seqs:
        end = int((ids == vocab.sep_id).nonzero()[0])
        assert tok.decode(ids[1:end][~vocab.is_audio(ids[1:end])].tolist()) == "[LID]"


def test_the_dataset_names_its_languages_in_the_tags(setup):
    from audiopalm.data.multitask import Utt, example

    _, tok, vocab, _, _ = setup
    languages = Languages({"sw": "Swahili", "en": "English"})
    sw, en = Utt("sw", "habari", torch.tensor([1, 2, 3])), Utt("en", "hello", torch.tensor([4, 5]))
    ids = example(vocab, tok, languages, "AST", sw, en)[0].tolist()
    assert tok.decode([i for i in ids if i < vocab.text_size]).startswith("[AST Swahili English]")
    lid = example(vocab, tok, languages, "LID", sw, None)[0].tolist()
    assert tok.decode([i for i in lid if i < vocab.text_size]).endswith("Swahili")


def test_languages_are_asked_for_by_code_or_name_in_any_case(tmp_path):
    from audiopalm.errors import AudiopalmError

    assert LANGS.code("FR") == LANGS.code("french") == LANGS.code(" French ") == "fr"
    assert LANGS.name("pt") == "Portuguese"
    with pytest.raises(AudiopalmError, match="unknown language 'klingon'; this model knows en \\(English\\)"):
        LANGS.code("klingon")
    (tmp_path / "train.jsonl").write_text('{"lang": "sw"}\n{"lang": "en"}\n{"lang": "xx"}\n')
    assert Languages.of_dataset(tmp_path).names == {"sw": "Swahili", "en": "English", "xx": "xx"}


def test_joined_groups_are_one_speaker_saying_several_sentences(setup):
    from audiopalm.data.multitask import join_groups

    _, tok, vocab, groups, _ = setup
    joined = join_groups(groups, 1.0, 3, seed=1)  # as build_mixture draws them at its seed 0
    assert len(joined) == len(groups)  # every group has another sentence by its speaker in the tiny world
    said = {(u.speaker, u.lang, u.text): u for g in groups for u in g.values() if not u.borrowed}
    for group in joined:
        for lang, utt in group.items():
            if utt.borrowed:
                continue
            mine = [text for speaker, lg, text in said if (speaker, lg) == (utt.speaker, lang)]
            parts = [said[(utt.speaker, lang, text)] for text in _sentences(utt.text, mine)]  # all by its speaker
            assert 2 <= len(parts) <= 3
            assert torch.equal(utt.tokens, torch.cat([p.tokens for p in parts])), "tokens end to end, in order"
    # the mixture draws every task on them too; none of them when `joined` is 0
    plain = build_mixture(groups, vocab, tok, LANGS, MixtureConfig(weights={"ASR": 1}))
    more = build_mixture(groups, vocab, tok, LANGS, MixtureConfig(weights={"ASR": 1}, joined=1.0))
    assert len(more) == len(plain) + sum(not u.borrowed for g in joined for u in g.values())
    same = build_mixture(groups, vocab, tok, LANGS, MixtureConfig(weights={"ASR": 1}, joined=0))
    assert [ids.tolist() for ids, _ in same] == [ids.tolist() for ids, _ in plain]


def _sentences(text: str, known: list[str]) -> list[str]:
    """A joined text -> the `known` sentences it is made of, in order (each a prefix of what is left in turn)."""
    out = []
    while text:
        first = next(t for t in known if text == t or text.startswith(t + " "))
        out.append(first)
        text = text[len(first):].lstrip()
    return out
