#!/usr/bin/env node
// The tiny beautifier LM (models/tiny/beautifier-lm) through @kandinsky/beautifier's OnnxCausalLM on
// onnxruntime-node's CPU provider: generated tokens per second with the KV cache and without it
// (every step re-runs the whole sequence), their ratio, and the time to the first token.
//
//   node tools/bench/beautifier-lm.mjs [--repetitions N] [--threads N] [--json]
//
// Each round generates greedily for the three reference prompts (bos + the spec §4.9 template,
// 46–51 prompt tokens, 14–16 new tokens each), once with the cache and once without, the order
// alternating between rounds; two warm-up rounds first. Both modes produce the same tokens (checked
// here and in the tests), so tokens per second compare like for like. Medians over the rounds.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : fallback;
};
const json = args.includes('--json');
const repetitions = Number(option('--repetitions', '9'));
const threads = Number(option('--threads', '1'));
for (const [name, value] of [['--repetitions', repetitions], ['--threads', threads]]) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be an integer ≥ 1, got ${JSON.stringify(option(name))}`);
    process.exit(2);
  }
}

let node;
try {
  node = await import(pathToFileURL(resolve(root, 'packages/node/dist/index.js')).href);
} catch (error) {
  console.error(`No built @kandinsky/node (${error.message}). Run \`npx turbo run build --filter=@kandinsky/node...\` first.`);
  process.exit(1);
}
const model = resolve(root, 'models/tiny/beautifier-lm');
const reference = JSON.parse(readFileSync(resolve(model, 'reference/lm-greedy.json'), 'utf8'));
const lm = await node.loadOnnxCausalLM(model, { device: 'cpu', intraOperatorThreads: threads });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** One pass over the reference prompts: generated tokens, total ms, and each prompt's time to first token. */
async function pass(useCache) {
  let tokens = 0;
  let milliseconds = 0;
  const firstToken = [];
  for (const generation of reference.generations) {
    const result = await lm.generateFromIds(generation.prompt_ids, { maxNewTokens: reference.max_new_tokens, useCache });
    if (JSON.stringify(result.tokenIds) !== JSON.stringify(generation.generated_ids)) {
      throw new Error(`${useCache ? 'cached' : 'uncached'} decoding of ${JSON.stringify(generation.user)} differs from the reference`);
    }
    tokens += result.tokenIds.length;
    milliseconds += result.timings.totalMs;
    firstToken.push(result.timings.firstTokenMs);
  }
  return { tokensPerSecond: (tokens / milliseconds) * 1000, firstTokenMs: median(firstToken), tokens };
}

for (let i = 0; i < 2; i++) {
  await pass(true);
  await pass(false);
}
const rounds = { cached: [], uncached: [] };
for (let round = 0; round < repetitions; round++) {
  const order = round % 2 ? [false, true] : [true, false];
  for (const useCache of order) rounds[useCache ? 'cached' : 'uncached'].push(await pass(useCache));
}
await lm.dispose();

const summary = (list) => ({
  tokensPerSecond: median(list.map((entry) => entry.tokensPerSecond)),
  firstTokenMs: median(list.map((entry) => entry.firstTokenMs)),
});
const cached = summary(rounds.cached);
const uncached = summary(rounds.uncached);
const result = {
  machine: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`,
  threads,
  repetitions,
  tokensPerPass: rounds.cached[0].tokens,
  cached,
  uncached,
  speedup: cached.tokensPerSecond / uncached.tokensPerSecond,
};
if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`beautifier LM (tiny, ${threads} thread${threads > 1 ? 's' : ''}, ${result.machine}), medians of ${repetitions}:`);
  console.log('| decoding | tokens / s | time to first token |');
  console.log('|---|---:|---:|');
  console.log(`| KV cache | ${cached.tokensPerSecond.toFixed(0)} | ${cached.firstTokenMs.toFixed(2)} ms |`);
  console.log(`| full recompute | ${uncached.tokensPerSecond.toFixed(0)} | ${uncached.firstTokenMs.toFixed(2)} ms |`);
  console.log(`KV cache speed-up: ${result.speedup.toFixed(2)}×`);
}
