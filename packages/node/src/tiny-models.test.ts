// The committed tiny model folders (models/tiny, docs/model-format.md) load in onnxruntime-node
// with the contract's names, reproduce their PyTorch reference outputs, and their tokenizer.json
// gives the Python tokenizer's ids in @huggingface/tokenizers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tinyRoot = join(repositoryRoot, 'models/tiny');
// Committed folders: a missing one fails when its model_index.json is read, never drops out.
const families = ['kandinsky3-tiny', 'kandinsky3-tiny-ip-adapter', 'kandinsky3-tiny-controlnet-hed'];

interface TensorReference {
  dtype: 'float32' | 'int64' | 'uint8';
  dims: number[];
  file: string;
}
interface ComponentReference {
  component: string;
  tolerance: number;
  inputs: Record<string, TensorReference>;
  outputs: Record<string, TensorReference>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

function readTensor(folder: string, reference: TensorReference): ort.Tensor {
  const bytes = readFileSync(join(folder, 'reference', reference.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data =
    reference.dtype === 'float32'
      ? new Float32Array(buffer)
      : reference.dtype === 'int64'
        ? new BigInt64Array(buffer)
        : new Uint8Array(buffer);
  return new ort.Tensor(reference.dtype, data, reference.dims);
}

describe.each(families)('models/tiny/%s', (family) => {
  const folder = join(tinyRoot, family);
  const index = readJson<{ format_version: number; components: Record<string, string> }>(
    join(folder, 'model_index.json'),
  );

  it('declares format_version 1 and only relative component paths inside the folder', () => {
    expect(index.format_version).toBe(1);
    for (const path of Object.values(index.components)) {
      expect(path.startsWith('/') || path.split('/').includes('..')).toBe(false);
      expect(existsSync(join(folder, path))).toBe(true);
    }
  });

  it('tokenizer.json gives the Python ids on the fixtures', () => {
    const tokenizer = new Tokenizer(
      readJson(join(folder, 'tokenizer/tokenizer.json')),
      readJson(join(folder, 'tokenizer/tokenizer_config.json')),
    );
    const { fixtures } = readJson<{ fixtures: { text: string; ids: number[] }[] }>(
      join(folder, 'reference/tokenizer.json'),
    );
    expect(fixtures.length).toBeGreaterThan(3);
    for (const fixture of fixtures) {
      expect({ text: fixture.text, ids: tokenizer.encode(fixture.text).ids }).toEqual(fixture);
    }
  });

  // tokenizer/ and scheduler/ hold JSON only; every folder with a config.json must load.
  const roles = Object.entries(index.components).filter(([, path]) => existsSync(join(folder, path, 'config.json')));
  it.each(roles)('%s loads with the contract names from its config.json', async (_role, path) => {
    const config = readJson<{ onnx: { inputs: string[]; outputs: string[] } }>(join(folder, path, 'config.json'));
    const session = await ort.InferenceSession.create(join(folder, path, 'model.onnx'), { intraOpNumThreads: 1 });
    expect(session.inputNames).toEqual(config.onnx.inputs);
    expect(session.outputNames).toEqual(config.onnx.outputs);
    await session.release();
  });

  const referenceFiles = readdirSync(join(folder, 'reference')).filter(
    (file) => file.endsWith('.json') && !file.startsWith('pipeline'),
  );
  const componentReferences = referenceFiles
    .map((file) => [file, readJson<Partial<ComponentReference>>(join(folder, 'reference', file))] as const)
    .filter((entry): entry is readonly [string, ComponentReference] => typeof entry[1].component === 'string');
  it('has a PyTorch reference for every ONNX component', () => {
    expect(componentReferences.map(([, reference]) => reference.component).sort()).toEqual(
      roles.map(([, path]) => path).sort(),
    );
  });

  it.each(componentReferences)('%s matches the PyTorch reference', async (_file, reference) => {
    const session = await ort.InferenceSession.create(join(folder, reference.component, 'model.onnx'), {
      intraOpNumThreads: 1,
    });
    const feeds = Object.fromEntries(
      Object.entries(reference.inputs).map(([name, tensor]) => [name, readTensor(folder, tensor)]),
    );
    const results = await session.run(feeds);
    for (const [name, tensor] of Object.entries(reference.outputs)) {
      const expected = readTensor(folder, tensor).data as Float32Array;
      const actual = results[name].data as Float32Array;
      expect(results[name].dims).toEqual(tensor.dims);
      let maxError = 0;
      for (let i = 0; i < expected.length; i++) maxError = Math.max(maxError, Math.abs(expected[i] - actual[i]));
      expect(maxError).toBeLessThanOrEqual(reference.tolerance);
    }
    await session.release();
  });
});
