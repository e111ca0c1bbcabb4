"""Shared pieces of the tiny-model tools: tokenizer, prompt conventions (spec §4.1), schedule
(spec §3.1) and the samplers (spec §3.2, §3.5) in PyTorch. Used by train/evaluate/reference."""
from __future__ import annotations

import math
import os
import re
from typing import List, Optional, Tuple

import torch

import world

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get('TINY_CACHE', os.path.join(HERE, '.cache'))
MAX_LENGTH = 128  # spec §2.1
PAD, EOS, UNK = 0, 1, 2
SPECIAL = ['<pad>', '</s>', '<unk>']
TOKENS: List[str] = SPECIAL + world.VOCABULARY
TOKEN_ID = {t: i for i, t in enumerate(TOKENS)}
# The HF "Whitespace" pre-tokenizer pattern; ASCII \w because tokenizers.js's regex has no u flag.
_SPLIT = re.compile(r'\w+|[^\w\s]+', re.ASCII)


def tokenize(text: str) -> List[int]:
    """ids without padding: lowercase, split words/punctuation, unknown → 2, EOS appended,
    truncated to 127 tokens + EOS (spec §2.1). Mirrors tokenizer.json exactly."""
    ids = [TOKEN_ID.get(w, UNK) for w in _SPLIT.findall(text.lower())]
    return ids[: MAX_LENGTH - 1] + [EOS]


def tokenize_padded(texts: List[str]) -> Tuple[torch.Tensor, torch.Tensor]:
    """int64 ids and mask [B, 128], padded with 0 (spec §2.1)."""
    ids = torch.zeros(len(texts), MAX_LENGTH, dtype=torch.int64)
    mask = torch.zeros(len(texts), MAX_LENGTH, dtype=torch.int64)
    for i, t in enumerate(texts):
        tok = tokenize(t)
        ids[i, : len(tok)] = torch.tensor(tok)
        mask[i, : len(tok)] = 1
    return ids, mask


def tokenizer_json() -> dict:
    """Hugging Face tokenizer.json with T5 special ids (spec §2.1).

    The model is WordPiece over whole words with no ``##`` continuation pieces, which behaves as a
    word-level vocabulary (one ``<unk>`` per unknown word): tokenizers.js 0.2.0 has no WordLevel
    model, and its Unigram splits unknown words on known sub-strings (``zebra`` → ``<unk> a``).
    """
    return {
        'version': '1.0',
        'truncation': {'direction': 'Right', 'max_length': MAX_LENGTH, 'strategy': 'LongestFirst', 'stride': 0},
        'padding': None,
        'added_tokens': [
            {'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
             'normalized': False, 'special': True} for i, t in enumerate(SPECIAL)],
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': {'type': 'Whitespace'},
        'model': {'type': 'WordPiece', 'unk_token': '<unk>', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': TOKEN_ID},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'pair': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'special_tokens': {'</s>': {'id': '</s>', 'ids': [EOS], 'tokens': ['</s>']}},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
    }


def tokenizer_config() -> dict:
    return {'tokenizer_class': 'T5Tokenizer', 'model_max_length': MAX_LENGTH, 'pad_token': '<pad>',
            'eos_token': '</s>', 'unk_token': '<unk>', 'padding_side': 'right'}


# ---------------------------------------------------------------- prompt conventions (spec §4.1)

def encode_convention_a(encoder, projection, texts: List[str]):
    """Convention A for prompts of one token count n: project all 128 rows, zero pads, cut to n+1.
    Returns context [B, L, D], mask bool [B, L]."""
    ids, mask = tokenize_padded(texts)
    hidden = encoder(ids, mask)
    ctx = projection(hidden) * mask.unsqueeze(-1).float()
    n = int(mask.sum(1).max())
    length = min(MAX_LENGTH, n + 1)
    return ctx[:, :length], mask[:, :length].bool()


def null_context_a(projection, batch: int, length: int):
    """Convention A unconditional context: zeros with row 0 = null_embedding, mask [1,0,…]."""
    d = projection.null_embedding.shape[0]
    ctx = torch.zeros(batch, length, d)
    ctx[:, 0] = projection.null_embedding
    mask = torch.zeros(batch, length, dtype=torch.bool)
    mask[:, 0] = True
    return ctx, mask


def encode_convention_c(encoder, projection, texts: List[str], pad_rows: str = 'bias'):
    """Convention C positive (spec §4.1 C): cut to n+1, multiply raw by mask, project (pad rows
    become the LayerNorm bias and are not re-zeroed). ``pad_rows='zero'`` gives the IP pipeline's
    negative-prompt variant (project then zero)."""
    ids, mask = tokenize_padded(texts)
    n = int(mask.sum(1).max())
    length = min(MAX_LENGTH, n + 1)
    hidden = encoder(ids, mask)[:, :length] * mask[:, :length].unsqueeze(-1).float()
    ctx = projection(hidden)
    m = mask[:, :length].bool()
    if pad_rows == 'zero':
        ctx = ctx * m.unsqueeze(-1).float()
    return ctx, m


def empty_context_c(encoder, projection, batch: int, length: int, pad_rows: str = 'bias'):
    """Convention C unconditional for a positive of length L: the prompt "" (ids [1,0,…]) encoded,
    cut to L, projected; pad rows LN-bias (ControlNet/base K3D) or zero (IP pipeline)."""
    ids = torch.zeros(1, MAX_LENGTH, dtype=torch.int64)
    ids[0, 0] = EOS
    mask = torch.zeros(1, MAX_LENGTH, dtype=torch.int64)
    mask[0, 0] = 1
    hidden = encoder(ids, mask)[:, :length] * mask[:, :length].unsqueeze(-1).float()
    ctx = projection(hidden)
    m = mask[:, :length].bool()
    if pad_rows == 'zero':
        ctx = ctx * m.unsqueeze(-1).float()
    return ctx.expand(batch, -1, -1), m.expand(batch, -1)


# ---------------------------------------------------------------- schedule and samplers (spec §3)

def cosine_alphas_cumprod(steps: int = 1000) -> torch.Tensor:
    """spec §3.1: betas from ᾱ(s)=cos²(((s+0.008)/1.008)·π/2), capped at 0.999; float32 cumprod."""
    def abar(s):
        return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = [min(1 - abar((i + 1) / steps) / abar(i / steps), 0.999) for i in range(steps)]
    alphas = 1.0 - torch.tensor(betas, dtype=torch.float64).float()
    return torch.cumprod(alphas, dim=0)


ALPHAS_CUMPROD = cosine_alphas_cumprod()
FLASH_TIMESTEPS = [979, 729, 479, 229]  # spec §3.5


def original_timesteps(steps: int) -> List[int]:
    """spec §3.2: 999 − k·⌊1000/N⌋ while > 0, then a terminal 0."""
    stride = 1000 // steps
    ts = [t for t in range(999, 0, -stride)]
    return ts + [0]


def add_noise(x0, noise, t: torch.Tensor):
    a = ALPHAS_CUMPROD[t].view(-1, 1, 1, 1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def original_step(x_t, eps, t: int, t_prev: int, generator: Optional[torch.Generator],
                  percentile: Optional[float] = 0.99, eta: float = 1.0, noise_log: Optional[list] = None):
    """One step of the original 3.1 sampler (spec §3.2)."""
    a_t = ALPHAS_CUMPROD[t]
    a_prev = ALPHAS_CUMPROD[t_prev]
    x0 = (x_t - (1 - a_t).sqrt() * eps) / a_t.sqrt()
    if percentile is not None:
        s = torch.quantile(x0.abs().reshape(x0.shape[0], -1), percentile, dim=1)
        s = torch.clamp(s, min=1.0).view(-1, 1, 1, 1)
        x0 = torch.maximum(torch.minimum(x0, s), -s) / s
    else:
        x0 = x0.clamp(-1, 1)
    eps = (x_t - a_t.sqrt() * x0) / (1 - a_t).sqrt()
    sigma = (eta * (1 - a_t / a_prev) * (1 - a_prev) / (1 - a_t)).sqrt()
    mean = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).sqrt() * eps
    if t_prev == 0:
        return mean
    z = torch.randn(x_t.shape, generator=generator)
    if noise_log is not None:
        noise_log.append(z)
    return mean + sigma * z
