// Checks tokenizer.json with @huggingface/tokenizers (the JS runtime the SDK uses) against the ids the
// Python encoder gave for the same texts (written by build.py to tools/tiny-models/.cache/lm/).
// Usage: node tools/tiny-models/lm/check-tokenizer.mjs [modelDir] [checkFile]
// The library is resolved from the repo's node_modules, or from $TOKENIZERS_MODULE (a path to it).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const modelDir = process.argv[2] ?? resolve(here, '../../../models/tiny/beautifier-lm');
const checkFile = process.argv[3] ?? resolve(here, '../.cache/lm/tokenizer-check.json');
const require = createRequire(import.meta.url);
const { Tokenizer } = require(process.env.TOKENIZERS_MODULE ?? '@huggingface/tokenizers');

const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(resolve(modelDir, 'lm/tokenizer.json'), 'utf8')),
  JSON.parse(readFileSync(resolve(modelDir, 'lm/tokenizer_config.json'), 'utf8')),
);
const checks = JSON.parse(readFileSync(checkFile, 'utf8'));
let mismatches = 0;
for (const { text, ids } of checks) {
  const encoded = tokenizer.encode(text).ids;
  const decoded = tokenizer.decode(encoded, { skip_special_tokens: true });
  if (JSON.stringify(encoded) !== JSON.stringify(ids) || decoded !== text) {
    if (mismatches++ < 3) console.log('MISMATCH', JSON.stringify(text), '\n js', encoded.join(','), '\n py', ids.join(','), '\n decoded', JSON.stringify(decoded));
  }
}
console.log(`${checks.length - mismatches}/${checks.length} texts: ids and round trip identical`);
process.exit(mismatches ? 1 : 0);
