"""Shapes through the hierarchical encoder, its masks, the connector and the prompts."""

from __future__ import annotations

import pytest
import torch

from slt_nb.errors import SLTInputError
from slt_nb.llava_slt.config import EncoderConfig, with_overrides
from slt_nb.llava_slt.connector import build_connector
from slt_nb.llava_slt.encoder import HierarchicalEncoder, attention_mask, word_count
from slt_nb.llava_slt.prompts import PROMPTING, system_prompt

TINY = EncoderConfig(vit={"hidden": 16, "layers": 1, "heads": 2, "patch": 8, "mlp_ratio": 2}, frame_size=16, dim=16, heads=2,
                     local_depth=1, local_radius=2, sentence_depth=2, coembed_dim=12)


def encoder(**ov) -> HierarchicalEncoder:
    torch.manual_seed(0)
    return HierarchicalEncoder(with_overrides(TINY, ov)).eval()


def frames(b: int, t: int) -> torch.Tensor:
    return torch.randint(0, 256, (b, t, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def test_frames_to_words_to_sentence_shapes():
    enc = encoder()
    x, lengths = frames(2, 13), torch.tensor([13, 6])
    with torch.no_grad():
        out = enc(x, lengths)
    assert out.frames.shape == out.word_frames.shape == (2, 13, 16)
    # nearest-neighbour downsampling by 4 keeps frames 0, 4, 8, 12: ceil(13 / 4) = 4 words
    assert out.words.shape == (2, 4, 16)
    assert out.word_lengths.tolist() == [4, 2] == [word_count(13), word_count(6)]
    assert torch.equal(out.words, out.word_frames[:, ::4])
    assert out.sentence_tokens.shape == (2, 4, 16)
    assert out.sentence.shape == (2, 12)
    assert [word_count(n) for n in (1, 4, 5, 8, 9)] == [1, 1, 2, 2, 3]


def test_padding_does_not_change_a_clip():
    enc = encoder()
    x = frames(2, 12)
    with torch.no_grad():
        alone = enc(x[1:, :7], torch.tensor([7]))
        batched = enc(x, torch.tensor([12, 7]))
    assert torch.allclose(alone.sentence[0], batched.sentence[1], atol=1e-5)
    assert torch.allclose(alone.words[0], batched.words[1, :2], atol=1e-5)


def test_local_attention_is_local():
    m = attention_mask(torch.tensor([6]), 6, radius=1)[0, 0]
    assert m[0].tolist() == [True, True, False, False, False, False]
    assert m[3].tolist() == [False, False, True, True, True, False]
    enc = encoder(sentence_depth=1)
    x = frames(1, 12)
    y = x.clone()
    y[0, 11] = 255 - y[0, 11]  # change the last frame only
    with torch.no_grad():
        a, b = enc(x, torch.tensor([12])), enc(y, torch.tensor([12]))
    # one local layer with radius 2: frames 0..8 cannot see frame 11
    assert torch.allclose(a.word_frames[0, :9], b.word_frames[0, :9], atol=1e-6)
    assert not torch.allclose(a.word_frames[0, 9:], b.word_frames[0, 9:])


def test_without_local_attention_words_are_projected_frames():
    enc = encoder(local_depth=0)
    assert len(enc.local) == 0
    with torch.no_grad():
        out = enc(frames(1, 9), torch.tensor([9]))
    assert torch.equal(out.word_frames, out.frames) and out.words.shape == (1, 3, 16)


def test_connector_maps_to_the_llm_width():
    x = torch.randn(2, 5, 16)
    for kind in ("mlp", "linear"):
        c = build_connector(kind, 16, 48)
        assert c(x).shape == (2, 5, 48)
    assert len([m for m in build_connector("mlp", 16, 48) if isinstance(m, torch.nn.Linear)]) == 2
    with pytest.raises(SLTInputError, match="unknown connector"):
        build_connector("qformer", 16, 48)


def test_response_prompts_tables_f_and_g():
    assert system_prompt("phoenix") == ("You are a helpful assistant. Use your expertise to provide the most precise translation. "
                                        "Answer with one single German sentence.")
    assert system_prompt("csl-daily").endswith("Answer with one single Chinese sentence.")
    assert system_prompt("phoenix", "task").endswith("precise translation.")
    assert system_prompt("phoenix", "none") == "You are a helpful assistant."
    assert set(PROMPTING) == {"full", "task", "none"}
    with pytest.raises(SLTInputError):
        system_prompt("phoenix", "verbose")
