import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  KandinskyError,
  PrefetchingNoiseSource,
  TorchGenerator,
  createTensor,
  elementCount,
  sameDims,
  torchSeedToUint32,
  type NoiseSourceFactory,
  type Tensor,
  type TrajectoryNoiseSource,
} from '@kandinsky/core';

/** Options of {@link createWorkerNoiseSources}. */
export interface WorkerNoiseSourcesOptions {
  /**
   * Trajectories whose samples have fewer elements draw inline: for small latents a hand-off to
   * the worker costs more than the draw (the tiny 64² model has 256 elements per sample).
   * @default 16384 (a 512² latent; 1024² has 65,536)
   */
  minimumElements?: number;
  /**
   * How long a draw may wait for the worker before failing with RUNTIME_ERROR.
   * @default 30000
   */
  timeoutMs?: number;
}

// The control block shared with a worker: a state word and a command with its arguments.
const STATE = 0;
const COMMAND = 1;
const COUNT = 2;
const SEED_LOW = 3;
const SEED_HIGH = 4;
const CONTROL_WORDS = 8;

const STARTING = 0;
const IDLE = 1;
const BUSY = 2;
const FAILED = 3;
const STOPPED = 4;

const SEED = 1;
const NORMAL = 2;
const UNIFORM = 3;
const REWIND = 4;
const BUFFER = 5;
const STOP = 6;

/**
 * The worker: sleeps on the state word; on BUSY runs the command against its generator (a
 * TorchGenerator from @kandinsky/core, so the numbers are those of the calling thread), then
 * goes back to IDLE. Every draw first saves the generator's state, which REWIND restores. A plain
 * CommonJS script, so it runs the same from the built package and under the test runner.
 */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const port = workerData.port;
try {
  const { TorchGenerator } = require(workerData.core);
  let data = new Float32Array(0);
  let generator;
  let saved;
  Atomics.store(control, ${STATE}, ${IDLE});
  Atomics.notify(control, ${STATE});
  for (;;) {
    // Sleep until this thread is given a command (after a failure too: never spin).
    const state = Atomics.load(control, ${STATE});
    if (state !== ${BUSY}) {
      Atomics.wait(control, ${STATE}, state);
      continue;
    }
    const command = control[${COMMAND}];
    if (command === ${STOP}) break;
    try {
      if (command === ${SEED}) {
        generator = new TorchGenerator(BigInt(control[${SEED_LOW}] >>> 0) | (BigInt(control[${SEED_HIGH}] >>> 0) << 32n));
        saved = undefined;
      } else if (command === ${BUFFER}) {
        data = new Float32Array(receiveMessageOnPort(port).message);
      } else if (command === ${REWIND}) {
        const drawn = generator;
        generator = saved;
        saved = drawn;
      } else {
        if (saved) saved.copyStateFrom(generator);
        else saved = generator.clone();
        const out = data.subarray(0, control[${COUNT}]);
        if (command === ${NORMAL}) generator.fillNormal(out);
        else generator.fillUniform(out);
      }
      Atomics.store(control, ${STATE}, ${IDLE});
    } catch (error) {
      port.postMessage(String((error && error.stack) || error));
      Atomics.store(control, ${STATE}, ${FAILED});
    }
    Atomics.notify(control, ${STATE});
  }
} catch (error) {
  port.postMessage(String((error && error.stack) || error));
  Atomics.store(control, ${STATE}, ${FAILED});
  Atomics.notify(control, ${STATE});
}
Atomics.store(control, ${STATE}, ${STOPPED});
Atomics.notify(control, ${STATE});
`;

/** One worker thread and the memory it shares with this thread. */
class NoiseWorker {
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  readonly exited: Promise<void>;
  #data = new Float32Array(new SharedArrayBuffer(0));
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #timeoutMs: number;
  #alive = true;

  constructor(corePath: string, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { control: this.control.buffer, port: port2, core: corePath },
      transferList: [port2],
    });
    // Never keep the process alive for a worker that only waits for commands.
    this.#worker.unref();
    this.#port.unref();
    this.exited = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        this.#alive = false;
        this.#port.close();
        resolve();
      });
    });
    // A start-up failure also shows in the state word; the event must not crash the process.
    this.#worker.on('error', () => undefined);
  }

  /** Started and alive (idle, or finishing a command that the next one will wait for). */
  get ready(): boolean {
    const state = Atomics.load(this.control, STATE);
    return this.#alive && (state === IDLE || state === BUSY);
  }

  /** The first `count` numbers of the shared output. */
  view(count: number): Float32Array {
    return this.#data.subarray(0, count);
  }

  /** Sends `command` and returns at once; the next {@link wait} blocks until it is done. */
  start(command: number, count = 0): void {
    this.wait();
    if (command !== BUFFER && count > this.#data.length) {
      // Grow the shared output first (the worker takes the new buffer from the port).
      this.#data = new Float32Array(new SharedArrayBuffer(count * 4));
      this.#port.postMessage(this.#data.buffer);
      this.#issue(BUFFER, 0);
      this.wait();
    }
    this.#issue(command, count);
  }

  /** Sends `seed` (validated as PyTorch does) to start a new stream. */
  seed(seed: number | bigint): void {
    torchSeedToUint32(seed); // throws INVALID_ARGUMENT for what manual_seed would reject
    const value = BigInt.asUintN(64, BigInt(seed));
    this.wait();
    this.control[SEED_LOW] = Number(value & 0xffffffffn) | 0;
    this.control[SEED_HIGH] = Number(value >> 32n) | 0;
    this.#issue(SEED, 0);
  }

  /** Blocks until the worker is idle; throws RUNTIME_ERROR if it failed or took too long. */
  wait(): void {
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      const state = Atomics.load(this.control, STATE);
      if (state === IDLE) return;
      if (state === FAILED || state === STOPPED || !this.#alive) {
        const message = receiveMessageOnPort(this.#port)?.message;
        throw new KandinskyError({
          code: 'RUNTIME_ERROR',
          message: `The noise worker ${state === FAILED ? 'failed' : 'has stopped'}${message ? `: ${String(message)}` : '.'}`,
          hint: 'Generate again; pass noiseSources: inlineNoiseSources to draw noise on the calling thread.',
        });
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new KandinskyError({
          code: 'RUNTIME_ERROR',
          message: `The noise worker did not answer within ${this.#timeoutMs} ms.`,
          hint: 'The machine may be overloaded; raise timeoutMs or use inlineNoiseSources.',
        });
      }
      Atomics.wait(this.control, STATE, state, Math.min(remaining, 50));
    }
  }

  /** Asks the worker to stop and waits for its thread to end. */
  async stop(): Promise<void> {
    if (!this.#alive) return;
    // Held while stopping, so that the exit event arrives before the process may end.
    this.#worker.ref();
    if (Atomics.load(this.control, STATE) === IDLE) {
      this.#issue(STOP, 0);
    } else {
      await this.#worker.terminate();
    }
    await this.exited;
  }

  #issue(command: number, count: number): void {
    this.control[COMMAND] = command;
    this.control[COUNT] = count;
    Atomics.store(this.control, STATE, BUSY);
    Atomics.notify(this.control, STATE);
  }
}

/** A trajectory whose numbers come from a worker (see {@link createWorkerNoiseSources}). */
class WorkerTrajectory implements TrajectoryNoiseSource {
  readonly #worker: NoiseWorker;
  readonly #onRelease: () => void;
  #pending: readonly number[] | undefined;
  #released = false;

  constructor(worker: NoiseWorker, seed: number | bigint, onRelease: () => void) {
    this.#worker = worker;
    this.#onRelease = onRelease;
    worker.seed(seed);
  }

  prefetch(dims: readonly number[]): void {
    this.#assertLive();
    if (this.#pending) return;
    this.#worker.start(NORMAL, elementCount(dims));
    this.#pending = [...dims];
  }

  randn(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending && sameDims(pending, dims)) {
      this.#worker.wait();
      // The shared output itself: valid until the next prefetch (the TrajectoryNoiseSource contract).
      return createTensor('float32', dims, this.#worker.view(elementCount(dims)));
    }
    if (pending) this.#worker.start(REWIND);
    return this.#drawNow(NORMAL, dims);
  }

  rand(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    if (this.#pending) this.#worker.start(REWIND);
    this.#pending = undefined;
    return this.#drawNow(UNIFORM, dims);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#pending = undefined;
    this.#onRelease();
  }

  /** A draw the caller keeps: computed by the worker now, then copied out. */
  #drawNow(command: number, dims: readonly number[]): Tensor<'float32'> {
    const count = elementCount(dims);
    this.#worker.start(command, count);
    this.#worker.wait();
    return createTensor('float32', dims, this.#worker.view(count).slice());
  }

  #assertLive(): void {
    if (this.#released) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: 'This noise source was released; it cannot draw any more.',
        hint: 'Ask the factory for a new source (create(seed, dims)).',
      });
    }
  }
}

/**
 * A {@link NoiseSourceFactory} that draws each trajectory's noise on a worker thread, so the
 * next step's noise is computed while `session.run` occupies this thread (onnxruntime-node runs
 * synchronously on the calling thread). The numbers are exactly those of `TorchGenerator`
 * (PyTorch's stream): the worker runs the same code.
 *
 * Small samples (below `minimumElements`) and trajectories that find no worker ready draw
 * inline; the worker starts on the first large trajectory and serves the next ones (one at a
 * time; concurrent ones draw inline). It never keeps the process alive, and
 * {@link NoiseSourceFactory.dispose} (called by `Kandinsky3Pipeline.dispose()`) ends it.
 * ```ts
 * const pipeline = await Kandinsky3Pipeline.create({ backend, folder, tokenizer, noiseSources: createWorkerNoiseSources() });
 * ```
 */
export function createWorkerNoiseSources(options: WorkerNoiseSourcesOptions = {}): NoiseSourceFactory & {
  /** Worker threads running: 0 until a large trajectory starts one, and again once dispose() resolves. */
  readonly activeWorkers: number;
} {
  const minimumElements = options.minimumElements ?? 16384;
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (const [name, value] of [
    ['minimumElements', minimumElements],
    ['timeoutMs', timeoutMs],
  ] as const) {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `${name} must be a finite number ≥ 0, got ${String(value)}.`,
        hint: `Leave ${name} out for the default.`,
      });
    }
  }
  let corePath: string | undefined;
  let worker: NoiseWorker | undefined;
  let lent = false;
  let unavailable = false;
  /** Threads not yet exited (a disposed worker counts until its thread has ended). */
  const live = new Set<NoiseWorker>();

  const inline = (seed: number | bigint): TrajectoryNoiseSource =>
    new PrefetchingNoiseSource(new TorchGenerator(seed), { reuseBuffers: true });

  return {
    get activeWorkers() {
      return live.size;
    },
    create(seed, sampleDims) {
      torchSeedToUint32(seed); // INVALID_ARGUMENT for a seed manual_seed would reject, before any thread starts
      if (unavailable || elementCount(sampleDims) < minimumElements) return inline(seed);
      if (!worker) {
        try {
          corePath ??= createRequire(import.meta.url).resolve('@kandinsky/core');
        } catch {
          // No resolvable CommonJS build of the core for the worker: draw inline (same numbers).
          unavailable = true;
          return inline(seed);
        }
        const started = new NoiseWorker(corePath, timeoutMs);
        worker = started;
        live.add(started);
        void started.exited.then(() => {
          live.delete(started);
          if (worker === started) {
            worker = undefined;
            lent = false;
          }
        });
      }
      // Starting up (or serving another trajectory): this one draws inline, same numbers.
      if (lent || !worker.ready) return inline(seed);
      const current = worker;
      lent = true;
      return new WorkerTrajectory(current, seed, () => {
        if (worker === current) lent = false;
      });
    },
    async dispose() {
      const stopping = worker;
      worker = undefined;
      lent = false;
      await stopping?.stop();
    },
  };
}
