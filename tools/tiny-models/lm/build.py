"""Train, evaluate, export and write references for the tiny prompt-beautifier LM (spec §2.11, §4.9).

    /usr/bin/python3 tools/tiny-models/lm/build.py [--reuse] [--steps N]

Writes models/tiny/beautifier-lm/ (tokenizer.json, tokenizer_config.json, model.onnx, config.json,
generation_config.json, reference/). Trained state is cached in tools/tiny-models/.cache/lm/ (not
committed); --reuse skips training when the cache is there.
"""
import argparse
import json
import os
import random
import shutil
import re
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

sys.path.insert(0, os.path.join(REPO, 'tools'))
import world  # noqa: E402  (tools/tiny-models/world.py)
from export import causal_lm_spec, export_component, write_json, write_model_index  # noqa: E402
from model import TinyCausalLM  # noqa: E402
from tokenizer import BOS_ID, EOS_ID, ByteLevelBPE  # noqa: E402

OUT_DIR = os.path.join(REPO, 'models', 'tiny', 'beautifier-lm')
CACHE_DIR = os.path.join(os.environ.get('TINY_CACHE') or os.path.join(REPO, 'tools', 'tiny-models', '.cache'), 'lm')

# Spec §4.9, verbatim: the system text sits on the header line.
SYSTEM = ('You are a prompt engineer. Your mission is to expand prompts written by user. '
          'You should provide the best prompt for text to image generation in English.')
TEMPLATE_PREFIX = '### System: ' + SYSTEM + '\n### User:\n'
TEMPLATE_MIDDLE = '\n### Assistant:\n'
STYLE = 'simple flat illustration'

EVAL_PROMPTS = 100
EVAL_SEED = 12345
OUT_OF_WORLD_PROMPTS = ['a cat', 'pink circle', 'Red Circle']  # for the model card's limitations

SHORT_FORMS = ['{c} {s}', 'a {c} {s}', '{c} {s} on {b}', '{z} {c} {s}', '{c} {s}, {p}', '{c} {s} on {b}, {p}',
               '{z} {c} {s} on {b}']
TWO_FORM = '{c} {s} and {c2} {s2}'
MAX_NEW_TOKENS = 40
STEPS = 600
BATCH = 32
LEARNING_RATE = 3e-3


def prompt_text(user):
    """The exact text fed to the LM (spec §4.9); the model continues after '### Assistant:\\n'."""
    return TEMPLATE_PREFIX + user + TEMPLATE_MIDDLE


def example(rng):
    """One (short prompt, expanded prompt) pair; the expansion follows a fixed rule."""
    colors, shapes, positions = world.COLOR_NAMES, world.SHAPES, world.POSITION_NAMES

    def pick_pair():
        return rng.choice(colors), rng.choice(shapes)

    c, s = pick_pair()
    background = rng.choice([b for b in colors if b != c])
    default_background = 'black' if c == 'white' else 'white'
    if rng.random() < 0.15:
        c2, s2 = pick_pair()
        user = TWO_FORM.format(c=c, s=s, c2=c2, s2=s2)
        return user, 'a %s %s and a %s %s on a %s background, %s' % (c, s, c2, s2, default_background, STYLE)
    form = rng.choice(SHORT_FORMS)
    size, position = rng.choice(list(world.SIZES)), rng.choice(positions)
    user = form.format(c=c, s=s, b=background, z=size, p=position)
    answer = 'a %s%s %s on a %s background, %s, %s' % (
        size + ' ' if '{z}' in form else '', c, s, background if '{b}' in form else default_background,
        position if '{p}' in form else 'centered', STYLE)
    return user, answer


def corpus_texts():
    """Every word the tokenizer must hold as one token: template, forms and the whole world vocabulary."""
    rng = random.Random(0)
    texts = [prompt_text(u) + a for u, a in (example(rng) for _ in range(3300))]
    words = ' '.join(world.VOCABULARY + world.POSITION_NAMES + ['centered', STYLE])
    return texts + [words, '\n' + words.replace(' ', '\n')]


def held_out_prompts():
    """The evaluation prompts: a fixed draw whose user strings make_batch never trains on."""
    rng = random.Random(EVAL_SEED)
    return [example(rng) for _ in range(EVAL_PROMPTS)]


def make_batch(tokenizer, rng, size, prefix_length):
    """Token ids after the fixed template prefix (user line, assistant header, answer, eos)."""
    rests = []
    held_out = {user for user, _ in held_out_prompts()}
    for _ in range(size):
        user, answer = example(rng)
        while user in held_out:  # held-out prompt strings are never trained on
            user, answer = example(rng)
        full = tokenizer.encode(prompt_text(user))
        prompt_rest = full[prefix_length:]
        rests.append((prompt_rest, tokenizer.encode(answer, add_bos=False) + [EOS_ID]))
    length = max(len(p) + len(a) for p, a in rests)
    ids = torch.full((size, length), EOS_ID, dtype=torch.long)
    targets = torch.full((size, length), -100, dtype=torch.long)
    mask = torch.zeros((size, length), dtype=torch.long)
    for row, (prompt, answer) in enumerate(rests):
        sequence = prompt + answer
        ids[row, :len(sequence)] = torch.tensor(sequence)
        mask[row, :len(sequence)] = 1
        # Loss only on the answer and its eos: the template is given, never generated.
        targets[row, len(prompt) - 1:len(sequence) - 1] = torch.tensor(answer)
    return ids, mask, targets


def train(model, tokenizer, steps, log):
    torch.manual_seed(0)
    rng = random.Random(1)
    prefix = tokenizer.encode(TEMPLATE_PREFIX)
    # The template prefix is the same in every example: run it once per step with batch 1 and share
    # its keys/values across the batch (about half the tokens, so about half the training cost).
    check = random.Random(7)
    for _ in range(50):
        user = example(check)[0]
        assert tokenizer.encode(prompt_text(user))[:len(prefix)] == prefix
    prefix_ids = torch.tensor([prefix])
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, LEARNING_RATE, total_steps=steps, pct_start=0.1)
    started = time.time()
    running = None
    for step in range(steps):
        ids, mask, targets = make_batch(tokenizer, rng, BATCH, len(prefix))
        _, past = model(prefix_ids, torch.ones_like(prefix_ids), torch.arange(len(prefix))[None])
        past = [(k.expand(BATCH, -1, -1, -1), v.expand(BATCH, -1, -1, -1)) for k, v in past]
        full_mask = torch.cat([torch.ones(BATCH, len(prefix), dtype=torch.long), mask], dim=1)
        positions = (torch.arange(ids.shape[1]) + len(prefix))[None].expand_as(ids)
        logits, _ = model(ids, full_mask, positions, past)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step % 100 == 0 or step == steps - 1:
            log('step %d/%d loss %.4f (%.0fs)' % (step, steps, running, time.time() - started))
    return time.time() - started


@torch.no_grad()
def greedy(model, prompt_ids, use_cache=True, record=None):
    """Greedy decoding; with the cache the prompt is one call with P = 0, then one token per call."""
    ids = list(prompt_ids)
    generated = []
    past = None
    for step in range(MAX_NEW_TOKENS):
        if use_cache:
            new = ids if past is None else ids[-1:]
            start = len(ids) - len(new)
            logits, past = model(torch.tensor([new]), torch.ones(1, len(ids), dtype=torch.long),
                                 torch.arange(start, len(ids))[None], past)
        else:
            logits, _ = model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long),
                              torch.arange(len(ids))[None])
        last = logits[0, -1]
        token = int(last.argmax())
        if record is not None:
            record.append({'step': step, 'input_ids': list(ids) if step == 0 else ids[-1:], 'past_length': 0 if step == 0 else len(ids) - 1,
                           'next_token': token, 'logits': last})
        generated.append(token)
        if token == EOS_ID:
            break
        ids.append(token)
    return generated


ANSWER = re.compile(r'^a (?:(?:small|big) )?(\w+) (circle|square|triangle)(?: and a (\w+) (circle|square|triangle))? '
                    r'on a (\w+) background(?:, ([a-z ]+))?, ' + STYLE + '$')


def evaluate(model, tokenizer, log):
    prompts = held_out_prompts()
    followed = kept = exact = same_with_cache = 0
    samples = []
    for user, target in prompts:
        prompt_ids = tokenizer.encode(prompt_text(user))
        with_cache = greedy(model, prompt_ids, True)
        without_cache = greedy(model, prompt_ids, False)
        same_with_cache += with_cache == without_cache
        ended = with_cache[-1:] == [EOS_ID]
        text = tokenizer.decode(with_cache)
        if ended and '\n' not in text and '###' not in text and ANSWER.match(text):
            followed += 1
        words = set(text.replace(',', ' ').split())
        kept += all(w in words for w in user.replace(',', ' ').split())
        exact += text == target and ended
        if len(samples) < 8:
            samples.append({'user': user, 'output': text, 'target': target})
    out_of_world = [{'user': user, 'output': tokenizer.decode(greedy(model, tokenizer.encode(prompt_text(user))))}
                    for user in OUT_OF_WORLD_PROMPTS]
    metrics = {'out_of_world_samples': out_of_world, 'held_out_prompts': len(prompts), 'template_following_rate': followed / len(prompts),
               'keeps_user_words_rate': kept / len(prompts), 'exact_rule_match_rate': exact / len(prompts),
               'greedy_with_cache_equals_without': same_with_cache / len(prompts), 'samples': samples}
    log('eval: %s' % json.dumps(metrics))
    return metrics


def call_lm(net, input_ids, attention_mask, position_ids, **past_flat):
    """Contract inputs (docs/model-format.md §3.9) -> TinyCausalLM.forward -> contract outputs."""
    layers = len(past_flat) // 2
    past = [(past_flat['past_key_values.%d.key' % i], past_flat['past_key_values.%d.value' % i]) for i in range(layers)]
    logits, presents = net(input_ids, attention_mask, position_ids, past)
    return (logits,) + tuple(t for pair in presents for t in pair)


def export(model, folder, vocab_size):
    config = model.config
    layers, kv_heads, head_dim = config['num_hidden_layers'], config['num_key_value_heads'], config['head_dim']
    past_length = 3
    example_inputs = (torch.tensor([[5, 6]]), torch.ones(1, past_length + 2, dtype=torch.long), torch.tensor([[3, 4]]))
    past = tuple(torch.randn(1, kv_heads, past_length, head_dim) for _ in range(2 * layers))
    card = dict(config)
    card.update({'kind': 'causal_lm', 'num_layers': layers, 'vocab_size': vocab_size, 'bos_token_id': BOS_ID,
                 'eos_token_id': EOS_ID, 'pad_token_id': EOS_ID, 'architecture': 'tiny Mistral-like decoder',
                 'tokenizer': 'tokenizer.json', 'max_new_tokens': MAX_NEW_TOKENS,
                 'prompt_template': TEMPLATE_PREFIX + '{prompt}' + TEMPLATE_MIDDLE,
                 'stop_strings': ['### User:'],
                 'parameters': sum(p.numel() for p in model.parameters())})
    export_component('causal_lm', model.eval(), folder, example_inputs + past, card, call=call_lm,
                     spec=causal_lm_spec(layers))


def write_references(model, tokenizer, directory):
    os.makedirs(directory, exist_ok=True)

    def tensor_ref(name, tensor):
        tensor = tensor.detach().contiguous()
        if tensor.dtype == torch.int64:
            tensor.numpy().astype('<i8').tofile(os.path.join(directory, name + '.bin'))
            dtype = 'int64'
        else:
            tensor.float().numpy().astype('<f4').tofile(os.path.join(directory, name + '.bin'))
            dtype = 'float32'
        return {'dtype': dtype, 'dims': list(tensor.shape), 'file': name + '.bin'}

    generations = []
    for index, user in enumerate(['red circle', 'blue square on yellow, top left', 'small green triangle']):
        prompt_ids = tokenizer.encode(prompt_text(user))
        record = []
        generated = greedy(model, prompt_ids, True, record)
        first = record[0]['logits']
        name = 'lm-greedy-%d' % index
        generations.append({
            'user': user,
            'prompt_text': prompt_text(user),
            'prompt_ids': prompt_ids,
            'generated_ids': generated,
            'generated_text': tokenizer.decode(generated),
            'steps': [{'step': r['step'], 'input_ids': r['input_ids'], 'past_length': r['past_length'],
                       'next_token': r['next_token'], 'max_logit': float('%.9g' % r['logits'].max())} for r in record],
            'first_step': {
                'inputs': {'input_ids': tensor_ref(name + '-input-ids', torch.tensor([prompt_ids])),
                           'attention_mask': tensor_ref(name + '-attention-mask', torch.ones(1, len(prompt_ids), dtype=torch.long)),
                           'position_ids': tensor_ref(name + '-position-ids', torch.arange(len(prompt_ids))[None])},
                'outputs': {'logits_last_position': tensor_ref(name + '-logits-last', first)},
                'logits_last_position_first_16': [float('%.9g' % v) for v in first[:16].tolist()],
                'top5': [{'id': int(i), 'logit': float('%.9g' % v)} for v, i in zip(*first.topk(5))],
            },
        })
    write_json(os.path.join(directory, 'lm-greedy.json'), {
        'description': 'Greedy generation with the KV cache, PyTorch float32 on CPU. Step 0 feeds the whole prompt '
                       '(bos + template, spec §4.9) with past length 0 (past tensors [1,KV,0,Dh]); each later step '
                       'feeds the previous token with position_ids = [[past_length]] and attention_mask = ones '
                       '[1, past_length + 1]. Stop at eos (2) or max_new_tokens. first_step.outputs holds the '
                       'logits of the last prompt position (the [V] row that picks the first token).',
        'max_new_tokens': MAX_NEW_TOKENS, 'eos_token_id': EOS_ID, 'bos_token_id': BOS_ID,
        'generations': generations,
    })


def write_model_card(folder, summary, tokenizer):
    metrics = summary['metrics']
    config = summary['config']
    samples = '\n'.join('| `%s` | `%s` |' % (s['user'], s['output']) for s in metrics['samples'][:6])
    out_of_world = '\n'.join('| `%s` | `%s` |' % (s['user'], s['output']) for s in metrics['out_of_world_samples'])
    text = f"""# Tiny prompt-beautifier LM

A tiny Mistral-like causal LM in the decoder-with-past layout of spec §2.11 (docs/model-format.md §3.9),
trained from scratch to expand short prompts about the synthetic shapes world
(`tools/tiny-models/world.py`) inside the beautifier template of spec §4.9. It stands in for
Intel/neural-chat-7b-v3-1 in tests and demos of `@kandinsky/beautifier`; it knows nothing else.

Rebuild: `/usr/bin/python3 tools/tiny-models/lm/build.py` (`--reuse` skips training when
`tools/tiny-models/.cache/lm/model.pt` exists). Checks: `node tools/tiny-models/lm/check-onnx.mjs`
(onnxruntime-node replays the greedy references with the KV cache) and
`node tools/tiny-models/lm/check-tokenizer.mjs` (@huggingface/tokenizers gives the Python ids).

## Files

| path | what |
|---|---|
| `model_index.json` | `BeautifierLM`, one component `lm` |
| `lm/model.onnx` | opset 17. Inputs `input_ids` int64 [B,S], `attention_mask` int64 [B,P+S], `position_ids` int64 [B,S], `past_key_values.{{0,1}}.{{key,value}}` f32 [B,{config['num_key_value_heads']},P,{config['head_dim']}] (P may be 0). Outputs `logits` f32 [B,S,{summary['vocab_size']}], `present.{{0,1}}.{{key,value}}` f32 [B,{config['num_key_value_heads']},P+S,{config['head_dim']}] |
| `lm/config.json` | kind `causal_lm`, sizes, bos 1 / eos 2, the prompt template |
| `lm/tokenizer.json`, `lm/tokenizer_config.json` | byte-level BPE (Hugging Face format; `<unk>` 0, `<s>` 1 prepended by the post-processor, `</s>` 2), {summary['vocab_size']} tokens; loads in `@huggingface/tokenizers` 0.2.0 and gives the same ids as the Python encoder |
| `lm/generation_config.json` | greedy, max_new_tokens {MAX_NEW_TOKENS} |
| `reference/lm-greedy.json` | greedy generations for 3 prompts with token ids step by step, and the first step's inputs and last-position logits (`.bin`, docs/model-format.md §7) |

## Prompt

The text fed to the model is spec §4.9's template, verbatim, up to and including the assistant header
(the system text on the header line), tokenised with `<s>` prepended:

```
{TEMPLATE_PREFIX}{{prompt}}{TEMPLATE_MIDDLE}```

Generation stops at `</s>` (id 2). The answer is the decoded generated tokens (one line).

## Architecture

Decoder-only, {config['num_hidden_layers']} layers, hidden {config['hidden_size']}, {config['num_attention_heads']} query heads and {config['num_key_value_heads']} key/value heads (grouped-query attention),
head dim {config['head_dim']}, SwiGLU MLP {config['intermediate_size']}, RMSNorm eps 1e-5, RoPE θ 10000 (rotate-half), no biases, untied
LM head. **{summary['parameters']:,} parameters.** Masked attention scores use `Where(mask, scores, -1e30)`.

## Training

The expansion rule (derived from the world's captions): `a [size] <colour> <shape> on a <background>
background, <position | centered>, {STYLE}`, keeping every word of the short prompt; background
defaults to white (black for a white shape); two-shape prompts `<c> <s> and <c2> <s2>` become `a <c> <s> and a <c2>
<s2> on a white background, {STYLE}`. Short prompts come in {len(SHORT_FORMS) + 1} forms (`red circle`, `a red circle`,
`red circle on blue`, `big red circle`, `red circle, top left`, …). The {EVAL_PROMPTS} evaluation prompts are a fixed
random draw whose exact short-prompt strings are excluded from training (every colour/shape pair does occur in
training, in other prompts).

{summary['training_steps']} steps of AdamW (one-cycle LR, peak {LEARNING_RATE}), batch {BATCH}, cross-entropy on the answer tokens and
`</s>` only (the template is given, never generated); the fixed template prefix is run once per step and its
keys/values shared across the batch. Training time: **{summary['training_seconds'] / 60:.1f} min** wall on the shared 2-core
CPU machine (one torch thread); wall time there varies with the machine's load.

## Measured quality ({metrics['held_out_prompts']} held-out short prompts, greedy, KV cache)

| metric | value |
|---|---|
| template following: ends with `</s>` within {MAX_NEW_TOKENS} tokens, one line, no `###`, matches the answer grammar | **{100 * metrics['template_following_rate']:.0f} %** |
| keeps the user's words: every word of the short prompt is in the answer | **{100 * metrics['keeps_user_words_rate']:.0f} %** |
| exact match with the rule's expansion | {100 * metrics['exact_rule_match_rate']:.0f} % |
| greedy with the KV cache gives the same tokens as greedy without it (full recompute) | {100 * metrics['greedy_with_cache_equals_without']:.0f} % |

A stricter variant of this build, which removed six (colour, shape) pairs from training altogether and
evaluated on prompts made only of them, reached 100 % template following but kept the user's words only
70 % of the time: 600 steps teach this 2-layer model to copy colours and sizes, but it swapped a never-seen
shape for a seen one (`a blue circle` → `a blue square …`). Copying truly unseen combinations needs more
training than the 12-minute budget allows.

Examples:

| short prompt | answer |
|---|---|
{samples}

## Limitations

It only knows the world's words, lower case. Anything else is not kept but replaced by a world phrase:

| short prompt | answer |
|---|---|
{out_of_world}

Generation parameters for the real beautifier are not published (spec §4.9); this model is meant for greedy
decoding.
"""
    with open(os.path.join(folder, 'README.md'), 'w') as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reuse', action='store_true', help='reuse the cached trained weights if present')
    parser.add_argument('--steps', type=int, default=STEPS, help='training steps (default %d)' % STEPS)
    parser.add_argument('--out', default=OUT_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(CACHE_DIR, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)

    def log(line):
        print('[lm] ' + line, flush=True)

    tokenizer = ByteLevelBPE.train(corpus_texts())
    vocab_size = len(tokenizer.vocab)
    log('tokenizer: %d tokens, %d merges' % (vocab_size, len(tokenizer.merges)))
    torch.manual_seed(0)
    model = TinyCausalLM(vocab_size)
    checkpoint = os.path.join(CACHE_DIR, 'model.pt')
    if args.reuse and os.path.exists(checkpoint):
        state = torch.load(checkpoint)
        model.load_state_dict(state['model'])
        training_seconds, steps = state['training_seconds'], state['steps']
        log('reusing %s' % checkpoint)
    else:
        training_seconds = train(model, tokenizer, args.steps, log)
        steps = args.steps
        if args.out == OUT_DIR:  # trial runs elsewhere leave the cache alone
            torch.save({'model': model.state_dict(), 'training_seconds': training_seconds, 'steps': steps}, checkpoint)
    model.eval()
    metrics = evaluate(model, tokenizer, log)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)  # the folder is generated as a whole
    lm_folder = os.path.join(args.out, 'lm')
    export(model, lm_folder, vocab_size)
    tokenizer.save(lm_folder)
    write_json(os.path.join(lm_folder, 'generation_config.json'),
               {'bos_token_id': BOS_ID, 'eos_token_id': EOS_ID, 'do_sample': False, 'max_new_tokens': MAX_NEW_TOKENS})
    write_model_index(args.out, 'BeautifierLM', None,
                      {'name': 'beautifier-lm-tiny', 'family': 'prompt-beautifier', 'tiny': True,
                       'source': 'trained from scratch by tools/tiny-models/lm/build.py'},
                      {'lm': 'lm'})
    write_references(model, tokenizer, os.path.join(args.out, 'reference'))
    # The JS tokenizer check reads these: every corpus text with the ids this encoder gives.
    rng = random.Random(99)
    checks = [prompt_text(u) + a for u, a in (example(rng) for i in range(200))]
    with open(os.path.join(CACHE_DIR, 'tokenizer-check.json'), 'w') as f:
        json.dump([{'text': t, 'ids': tokenizer.encode(t)} for t in checks], f)
    summary = {'parameters': sum(p.numel() for p in model.parameters()), 'vocab_size': vocab_size,
               'training_steps': steps, 'batch': BATCH, 'training_seconds': training_seconds, 'metrics': metrics,
               'config': model.config}
    write_model_card(args.out, summary, tokenizer)
    with open(os.path.join(CACHE_DIR, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    log('summary: %s' % json.dumps({k: v for k, v in summary.items() if k != 'metrics'}))


if __name__ == '__main__':
    main()
