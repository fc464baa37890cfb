"""A tiny parley checkpoint for inference tests: a 1-layer encoder whose heads spot chosen keywords.

Random heads tag nearly every word, which makes decoding quadratic and the outputs meaningless. Here the
encoder is random but position-free (position and token-type embeddings are zero), so a word's state is
close to its normalised word embedding wherever it stands; each tagging head's B- row points at the
embeddings of its keywords and the O bias sits between "keyword" and "any other word". The model then
tags exactly the keywords, in any sentence and any window, which lets tests check where events land.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from transformers import AutoConfig, AutoTokenizer  # noqa: E402

from parley.encoders import packaged_minilm_path  # noqa: E402
from parley.model import ParleyConfig, ParleyModel  # noqa: E402
from parley.model.labels import NO_ROLE, OUTSIDE  # noqa: E402
from parley.schema import load_schema  # noqa: E402

# Keyword -> label; the first subword of the keyword is what the head looks for.
TRIGGER_WORDS = {"invited": "INVITE", "met": "MEET", "boycott": "BOYCOTT", "declined": "DECLINE"}
MENTION_WORDS = {
    "russia": "GPE",
    "moscow": "GPE",
    "geneva": "GPE",
    "lavrov": "PER",
    "he": "PER",
    "coalition": "ORG",
    "opposition": "ORG",
    "talks": "MEETING",
    "monday": "TIME",
    "friday": "TIME",
    "wednesday": "TIME",
}


def _aim(head: torch.nn.Linear, tags: list[str], words: dict[str, str], embeddings: torch.Tensor, tokenizer) -> None:
    """Point each B-<label> row of `head` at its keywords; O wins everywhere else."""
    normalised = torch.nn.functional.layer_norm(embeddings, embeddings.shape[-1:])
    scale = normalised.shape[-1] ** 0.5
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-20.0)  # I- tags and unused labels never win
        head.bias[tags.index(OUTSIDE)] = scale / 2
        for word, label in words.items():
            token = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(word)[0])
            row = tags.index(f"B-{label}")
            head.weight[row] += normalised[token] / scale
            head.bias[row] = 0.0


def build_checkpoint(folder: str | Path, max_seq_length: int = 64, seed: int = 0) -> Path:
    """Write a keyword-spotting parley checkpoint (weights, config, tokenizer) to `folder`."""
    folder = Path(folder)
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(packaged_minilm_path())
    encoder = AutoConfig.from_pretrained(packaged_minilm_path())
    encoder.num_hidden_layers, encoder.hidden_size = 1, 128
    encoder.num_attention_heads, encoder.intermediate_size = 2, 256
    config = ParleyConfig(
        encoder=encoder.to_dict(),
        schema=load_schema().to_dict(),
        max_seq_length=max_seq_length,
        relation_hidden_size=32,
        type_embedding_size=8,
    )
    model = ParleyModel(config).eval()
    embeddings = model.encoder.embeddings
    with torch.no_grad():
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        # Every candidate mention fills some role the schema allows: the relation head never prefers "none".
        model.relation_head[-1].bias[config.label_space.roles.index(NO_ROLE)] = -20.0
    labels = config.label_space
    word_embeddings = embeddings.word_embeddings.weight.detach()
    _aim(model.trigger_head, labels.trigger_tags, TRIGGER_WORDS, word_embeddings, tokenizer)
    _aim(model.mention_head, labels.mention_tags, MENTION_WORDS, word_embeddings, tokenizer)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
