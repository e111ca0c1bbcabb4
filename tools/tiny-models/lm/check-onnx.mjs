// Loads the exported beautifier LM in onnxruntime-node, prints its input/output names, and replays
// reference/greedy.json: greedy decoding with the KV cache (first call with past length 0) must give
// the same token ids, and the first step's logits must match PyTorch.
// Usage: node tools/tiny-models/lm/check-onnx.mjs [modelDir]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const modelDir = process.argv[2] ?? resolve(here, '../../../models/tiny/beautifier-lm');
const require = createRequire(resolve(here, '../../../package.json'));
const ort = require('onnxruntime-node');

const index = JSON.parse(readFileSync(resolve(modelDir, 'model_index.json'), 'utf8'));
const lmDir = resolve(modelDir, index.components.lm);
const config = JSON.parse(readFileSync(resolve(lmDir, 'config.json'), 'utf8'));
const reference = JSON.parse(readFileSync(resolve(modelDir, 'reference/lm-greedy.json'), 'utf8'));
const session = await ort.InferenceSession.create(resolve(lmDir, 'model.onnx'), { intraOpNumThreads: 1 });
console.log('inputs ', session.inputNames.join(' '));
console.log('outputs', session.outputNames.join(' '));
const layers = config.num_layers;
const kvHeads = config.num_key_value_heads;
const headDim = config.head_dim;
const int64 = (values) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);

let worstLogit = 0;
let allSame = true;
for (const generation of reference.generations) {
  const ids = [...generation.prompt_ids];
  let past = [];
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) past.push(new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]));
  }
  const generated = [];
  for (let step = 0; step < reference.max_new_tokens; step++) {
    const pastLength = past[0].dims[2];
    const input = ids.slice(pastLength);
    const feeds = {
      input_ids: int64(input),
      attention_mask: int64(ids.map(() => 1)),
      position_ids: int64(input.map((_, i) => pastLength + i)),
    };
    for (let i = 0; i < layers; i++) {
      feeds[`past_key_values.${i}.key`] = past[2 * i];
      feeds[`past_key_values.${i}.value`] = past[2 * i + 1];
    }
    const out = await session.run(feeds);
    const vocab = out.logits.dims[2];
    const last = out.logits.data.subarray((input.length - 1) * vocab, input.length * vocab);
    if (step === 0) {
      generation.first_step.logits_last_position_first_16.forEach((v, j) => { worstLogit = Math.max(worstLogit, Math.abs(v - last[j])); });
    }
    let best = 0;
    for (let j = 1; j < vocab; j++) if (last[j] > last[best]) best = j;
    generated.push(best);
    past = [];
    for (let i = 0; i < layers; i++) past.push(out[`present.${i}.key`], out[`present.${i}.value`]);
    if (best === reference.eos_token_id) break;
    ids.push(best);
  }
  const same = JSON.stringify(generated) === JSON.stringify(generation.generated_ids);
  allSame &&= same;
  console.log(same ? 'same ' : 'DIFF ', JSON.stringify(generation.user), '->', generated.length, 'tokens');
}
console.log('first-step logits max abs diff vs PyTorch:', worstLogit);
process.exit(allSame && worstLogit < 1e-3 ? 0 : 1);
