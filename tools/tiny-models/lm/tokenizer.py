"""A byte-level BPE tokenizer in Hugging Face `tokenizer.json` format, trained on a tiny corpus.

Why byte-level BPE: @huggingface/tokenizers 0.2.0 (the JS side) has no WordLevel model, and
byte-level BPE round-trips every string exactly (newlines of the beautifier template included)
while still giving every corpus word a single token. Special tokens follow Mistral (spec §2.11):
<unk> 0, <s> 1 (bos, prepended by the post-processor), </s> 2 (eos).

The Python encoder here implements the same algorithm as the HF runtimes (GPT-2 split regex,
bytes_to_unicode, lowest-rank-first merges); build.py checks it against the JS library on the
whole corpus when node and the library are available.
"""
import json
import re
from collections import Counter

UNK, BOS, EOS = '<unk>', '<s>', '</s>'
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2

# GPT-2 split pattern, with \p{L} / \p{N} narrowed to ASCII (Python's re has no \p classes). The
# exported tokenizer.json carries the ByteLevel pre-tokenizer, whose runtime uses the full Unicode
# pattern; the two agree on ASCII text, which is all this corpus contains.
SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table."""
    printable = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    characters = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
    return dict(zip(printable, [chr(c) for c in characters]))


BYTE_TO_CHAR = bytes_to_unicode()


def pre_tokenize(text):
    """Split like the ByteLevel pre-tokenizer and map each piece's UTF-8 bytes to unicode chars."""
    return [''.join(BYTE_TO_CHAR[b] for b in piece.encode('utf-8')) for piece in SPLIT.findall(text)]


class ByteLevelBPE:
    def __init__(self, merges):
        self.merges = list(merges)
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.vocab = {UNK: UNK_ID, BOS: BOS_ID, EOS: EOS_ID}
        for byte in range(256):
            self.vocab[BYTE_TO_CHAR[byte]] = len(self.vocab)
        for left, right in self.merges:
            if left + right not in self.vocab:
                self.vocab[left + right] = len(self.vocab)
        self.inverse = {i: t for t, i in self.vocab.items()}
        self.cache = {}

    @classmethod
    def train(cls, texts):
        """Merge the most frequent adjacent pair until every pre-token of the corpus is one symbol."""
        words = Counter(piece for text in texts for piece in pre_tokenize(text))
        segmented = {word: list(word) for word in words}
        merges = []
        while True:
            pairs = Counter()
            for word, symbols in segmented.items():
                for pair in zip(symbols, symbols[1:]):
                    pairs[pair] += words[word]
            if not pairs:
                break
            # Ties broken by the pair itself so training is deterministic.
            best = max(pairs.items(), key=lambda item: (item[1], item[0]))[0]
            merges.append(best)
            for word, symbols in segmented.items():
                merged, i = [], 0
                while i < len(symbols):
                    if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                        merged.append(symbols[i] + symbols[i + 1])
                        i += 2
                    else:
                        merged.append(symbols[i])
                        i += 1
                segmented[word] = merged
        return cls(merges)

    def bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        symbols = list(piece)
        while len(symbols) > 1:
            ranked = [(self.ranks.get(pair, float('inf')), i) for i, pair in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(ranked)
            if rank == float('inf'):
                break
            symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]
        self.cache[piece] = symbols
        return symbols

    def encode(self, text, add_bos=True):
        ids = [BOS_ID] if add_bos else []
        for piece in pre_tokenize(text):
            ids.extend(self.vocab.get(symbol, UNK_ID) for symbol in self.bpe(piece))
        return ids

    def decode(self, ids):
        char_to_byte = {c: b for b, c in BYTE_TO_CHAR.items()}
        text = ''.join(self.inverse[i] for i in ids if i not in (UNK_ID, BOS_ID, EOS_ID))
        return bytes(char_to_byte[c] for c in text).decode('utf-8', errors='replace')

    def to_json(self):
        """tokenizer.json (Hugging Face tokenizers format)."""
        special = [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
                    'normalized': False, 'special': True} for t, i in ((UNK, UNK_ID), (BOS, BOS_ID), (EOS, EOS_ID))]
        return {
            'version': '1.0',
            'truncation': None,
            'padding': None,
            'added_tokens': special,
            'normalizer': None,
            'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
            'post_processor': {
                'type': 'TemplateProcessing',
                'single': [{'SpecialToken': {'id': BOS, 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
                'pair': [{'SpecialToken': {'id': BOS, 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                         {'SpecialToken': {'id': BOS, 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
                'special_tokens': {BOS: {'id': BOS, 'ids': [BOS_ID], 'tokens': [BOS]}},
            },
            'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
            'model': {
                'type': 'BPE', 'dropout': None, 'unk_token': UNK, 'continuing_subword_prefix': None,
                'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                'vocab': self.vocab, 'merges': [left + ' ' + right for left, right in self.merges],
            },
        }

    def save(self, directory):
        import os
        with open(os.path.join(directory, 'tokenizer.json'), 'w') as f:
            json.dump(self.to_json(), f, ensure_ascii=False)
        config = {'tokenizer_class': 'PreTrainedTokenizerFast', 'bos_token': BOS, 'eos_token': EOS, 'unk_token': UNK,
                  'add_bos_token': True, 'add_eos_token': False, 'clean_up_tokenization_spaces': False,
                  'model_max_length': 256}
        with open(os.path.join(directory, 'tokenizer_config.json'), 'w') as f:
            json.dump(config, f, indent=2)
