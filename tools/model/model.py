#!/usr/bin/python3
"""Qwen2-style decoder: RMSNorm, rotary position embeddings, SwiGLU MLP,
grouped-query attention with q/k/v bias, tied input/output embeddings."""
import json
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 8192
    hidden_size: int = 256
    intermediate_size: int = 576
    num_hidden_layers: int = 6
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 2048
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6
    tie_word_embeddings: bool = True

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_cos_sin(position_ids, head_dim, theta):
    # position_ids [B, S] -> cos, sin [B, 1, S, head_dim]
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = position_ids.to(torch.float32).unsqueeze(-1) * inv  # [B,S,hd/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.q_proj = nn.Linear(c.hidden_size, c.num_attention_heads * hd, bias=True)
        self.k_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * hd, bias=True)
        self.v_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * hd, bias=True)
        self.o_proj = nn.Linear(c.num_attention_heads * hd, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        B, S, _ = x.shape
        c = self.c
        hd = c.head_dim
        q = self.q_proj(x).view(B, S, c.num_attention_heads, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, S, c.num_key_value_heads, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, S, c.num_key_value_heads, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present = (k, v)
        rep = c.num_attention_heads // c.num_key_value_heads
        if rep > 1:
            T = k.shape[2]
            k = k.unsqueeze(2).expand(B, c.num_key_value_heads, rep, T, hd).reshape(B, c.num_attention_heads, T, hd)
            v = v.unsqueeze(2).expand(B, c.num_key_value_heads, rep, T, hd).reshape(B, c.num_attention_heads, T, hd)
        if mask.dtype == torch.bool:
            # exported path: boolean mask (causal & padding); fully masked rows stay finite
            att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(hd))
            att = torch.where(mask, att, torch.tensor(torch.finfo(torch.float32).min))
            att = torch.softmax(att, dim=-1)
            y = torch.matmul(att, v)
        else:
            # training path: additive causal mask [S, S], fused scale + add
            T = k.shape[2]
            att = torch.baddbmm(mask.unsqueeze(0), q.reshape(B * c.num_attention_heads, S, hd),
                                k.reshape(B * c.num_attention_heads, T, hd).transpose(1, 2), alpha=1.0 / math.sqrt(hd))
            att = torch.softmax(att, dim=-1)
            y = torch.bmm(att, v.reshape(B * c.num_attention_heads, T, hd)).view(B, c.num_attention_heads, S, hd)
        y = y.transpose(1, 2).reshape(B, S, c.num_attention_heads * hd)
        return self.o_proj(y), present


class MLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        a, present = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, present


class Qwen2(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([Block(c) for _ in range(c.num_hidden_layers)])
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.apply(self._init)
        for n, p in self.named_parameters():
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * c.num_hidden_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, input_ids):
        """Training / scoring forward: full causal attention, no padding. Returns logits."""
        B, S = input_ids.shape
        pos = torch.arange(S).unsqueeze(0).expand(B, S)
        cos, sin = rope_cos_sin(pos, self.c.head_dim, self.c.rope_theta)
        mask = torch.full((S, S), float("-inf")).triu(1)
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x, _ = layer(x, cos, sin, mask)
        x = self.norm(x)
        return F.linear(x, self.embed_tokens.weight)

    def forward_cached(self, input_ids, attention_mask, position_ids, past, emb_t=None):
        """Decoder with KV cache (the exported signature).
        past: list of (k, v) [B, kvH, P, hd]; attention_mask [B, P+S]."""
        B, S = input_ids.shape
        P = past[0][0].shape[2]
        T = P + S
        cos, sin = rope_cos_sin(position_ids, self.c.head_dim, self.c.rope_theta)
        qpos = torch.arange(S).unsqueeze(1) + P  # [S,1]
        kpos = torch.arange(T).unsqueeze(0)  # [1,T]
        causal = (kpos <= qpos).view(1, 1, S, T)
        mask = causal & attention_mask.to(torch.bool).view(B, 1, 1, T)
        if emb_t is None:
            x = self.embed_tokens(input_ids)
            w = self.embed_tokens.weight.t()
        else:
            # emb_t is [hidden, vocab]: one tensor serves both the lookup and the output projection
            x = torch.index_select(emb_t, 1, input_ids.reshape(-1)).t().reshape(B, S, self.c.hidden_size)
            w = emb_t
        presents = []
        for i, layer in enumerate(self.layers):
            x, pr = layer(x, cos, sin, mask, past[i][0], past[i][1])
            presents.append(pr)
        x = self.norm(x)
        logits = torch.matmul(x, w)
        return logits, presents


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu")
    c = Config.from_dict(ck["config"])
    m = Qwen2(c)
    m.load_state_dict(ck["model"])
    m.eval()
    return m, ck


def count_params(m):
    return sum(p.numel() for p in m.parameters())
