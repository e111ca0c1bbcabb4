"""A tiny Mistral-like causal decoder with a KV cache (spec §2.11 layout), scaled down.

Same pieces as Mistral: RMSNorm (eps 1e-5), rotary position embedding (θ 10000, rotate-half
form), grouped-query attention, SwiGLU MLP, no biases, untied LM head. The forward signature is
the ONNX contract of spec §2.11: (input_ids [B,S], attention_mask [B,P+S], position_ids [B,S],
past keys/values [B,kv_heads,P,head_dim]) -> (logits [B,S,V], presents [B,kv_heads,P+S,head_dim]).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ROPE_THETA = 10000.0  # spec §2.11
RMS_EPS = 1e-5  # spec §2.11
MASKED = -1e30  # docs/model-format.md §2: Where(mask, scores, -1e30), never -inf (fully masked rows stay finite)


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, dim, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.q_proj = nn.Linear(dim, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, dim, bias=False)

    def forward(self, x, cos, sin, mask, past_key, past_value):
        batch, length, _ = x.shape
        q = self.q_proj(x).view(batch, length, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_key is not None:
            k = torch.cat([past_key, k], dim=2)
            v = torch.cat([past_value, v], dim=2)
        present_key, present_value = k, v
        repeat = self.heads // self.kv_heads
        if repeat > 1:  # grouped-query attention: each kv head serves `repeat` query heads
            # (expand + reshape rather than repeat_interleave, which exports with a fixed length)
            k = k[:, :, None].expand(-1, -1, repeat, -1, -1).reshape(batch, self.heads, -1, self.head_dim)
            v = v[:, :, None].expand(-1, -1, repeat, -1, -1).reshape(batch, self.heads, -1, self.head_dim)
        scores = torch.where(mask, q @ k.transpose(-1, -2) / (self.head_dim ** 0.5), torch.full((), MASKED))
        out = F.softmax(scores, dim=-1) @ v
        out = out.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim)
        return self.o_proj(out), present_key, present_value


class DecoderLayer(nn.Module):
    def __init__(self, dim, heads, kv_heads, hidden):
        super().__init__()
        self.input_layernorm = RMSNorm(dim)
        self.self_attn = Attention(dim, heads, kv_heads)
        self.post_attention_layernorm = RMSNorm(dim)
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x, cos, sin, mask, past_key, past_value):
        attended, key, value = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_key, past_value)
        x = x + attended
        h = self.post_attention_layernorm(x)
        x = x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))
        return x, key, value


class TinyCausalLM(nn.Module):
    def __init__(self, vocab_size, dim=64, layers=2, heads=4, kv_heads=2, hidden=192):
        super().__init__()
        self.config = {'vocab_size': vocab_size, 'hidden_size': dim, 'num_hidden_layers': layers,
                       'num_attention_heads': heads, 'num_key_value_heads': kv_heads, 'intermediate_size': hidden,
                       'head_dim': dim // heads, 'rope_theta': ROPE_THETA, 'rms_norm_eps': RMS_EPS}
        self.embed_tokens = nn.Embedding(vocab_size, dim)
        self.layers = nn.ModuleList(DecoderLayer(dim, heads, kv_heads, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab_size, bias=False)
        head_dim = dim // heads
        inverse_frequency = 1.0 / (ROPE_THETA ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer('inverse_frequency', inverse_frequency, persistent=False)

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        """past: list of (key, value) per layer or None (P = 0). Returns logits and the presents."""
        batch, length = input_ids.shape
        x = self.embed_tokens(input_ids)
        angles = position_ids.float()[:, :, None] * self.inverse_frequency[None, None, :]
        angles = torch.cat([angles, angles], dim=-1)
        cos, sin = angles.cos()[:, None], angles.sin()[:, None]
        total = attention_mask.shape[1]
        past_length = total - length
        # Query i sits at cache index past_length + i; it may see key j when j <= that index and the
        # key is not padding (attention_mask 0).
        query_index = torch.arange(length)[:, None] + past_length
        key_index = torch.arange(total)[None, :]
        allowed = (key_index <= query_index)[None, None] & (attention_mask[:, None, None, :] > 0)
        mask = allowed  # bool [B, 1, S, P+S]
        presents = []
        for i, layer in enumerate(self.layers):
            past_key, past_value = past[i] if past is not None else (None, None)
            x, key, value = layer(x, cos, sin, mask, past_key, past_value)
            presents.append((key, value))
        return self.lm_head(self.norm(x)), presents
