import { invalidArgument, TorchGenerator } from '@kandinsky/core';

/**
 * How the next token is chosen. Without `temperature` (or with 0) decoding is greedy, which is
 * what the tiny model is trained for; the Kandinsky authors publish no parameters (spec §4.9).
 */
export interface SamplingOptions {
  /** Softmax temperature; 0 or undefined picks the most likely token (greedy). @default undefined (greedy) */
  temperature?: number;
  /** Keep only the k most likely tokens before drawing. @default undefined (all) */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (nucleus sampling). @default undefined (1) */
  topP?: number;
  /** Seed of the draws (core's TorchGenerator), so a sampled answer is reproducible. @default 0 */
  seed?: number;
}

/** Picks token ids from logits rows: greedy, or sampled with temperature / top-k / top-p. */
export class TokenSampler {
  readonly greedy: boolean;
  readonly #temperature: number;
  readonly #topK: number;
  readonly #topP: number;
  readonly #generator: TorchGenerator | undefined;
  readonly #uniform = new Float32Array(1);

  constructor(options: SamplingOptions = {}) {
    const { temperature = 0, topK, topP = 1, seed = 0 } = options;
    if (!Number.isFinite(temperature) || temperature < 0) {
      throw invalidArgument('temperature', temperature, 'a finite number ≥ 0', 'Use 0 for greedy decoding or e.g. 0.7 to sample.');
    }
    if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
      throw invalidArgument('topK', topK, 'an integer ≥ 1', 'Use e.g. topK: 50, or leave it out to keep every token.');
    }
    if (!Number.isFinite(topP) || topP <= 0 || topP > 1) {
      throw invalidArgument('topP', topP, 'a number in (0, 1]', 'Use e.g. topP: 0.9, or leave it out.');
    }
    this.greedy = temperature === 0;
    this.#temperature = temperature;
    this.#topK = topK ?? Number.POSITIVE_INFINITY;
    this.#topP = topP;
    this.#generator = this.greedy ? undefined : new TorchGenerator(seed);
  }

  /** The next token for one row of logits. Greedy ties go to the lowest id, as `argmax` does. */
  pick(logits: Float32Array): number {
    if (this.greedy) {
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      return best;
    }
    const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
    const kept = order.slice(0, Math.min(this.#topK, order.length));
    const max = logits[kept[0]!]!;
    const weights = kept.map((id) => Math.exp((logits[id]! - max) / this.#temperature));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    // Nucleus: the smallest prefix (by probability) whose mass reaches topP; always ≥ 1 token.
    let count = 0;
    let mass = 0;
    while (count < kept.length && (count === 0 || mass < this.#topP * total)) mass += weights[count++]!;
    this.#generator!.fillUniform(this.#uniform);
    const target = this.#uniform[0]! * mass;
    let cumulative = 0;
    for (let i = 0; i < count; i++) {
      cumulative += weights[i]!;
      if (target < cumulative) return kept[i]!;
    }
    return kept[count - 1]!;
  }
}
