import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  KandinskyError,
  createTensor,
  elementCount,
  inlineNoiseSources,
  sameDims,
  torchSeedToUint32,
  type NoiseSourceFactory,
  type Tensor,
  type TrajectoryNoiseSource,
} from '@kandinsky/core';

/** Options of {@link createWorkerNoiseSources}. */
export interface WorkerNoiseSourcesOptions {
  /**
   * Trajectories whose samples have fewer elements draw inline on the calling thread. For small
   * samples the hand-over costs about what the draw saves: on the 2-vCPU development VM the tiny
   * 64² model (256 elements) ran no faster with the worker (docs/benchmarks.md).
   * @default 16384 (a 512² latent; 1024² has 65,536)
   */
  minimumElements?: number;
  /**
   * Memory for draws made ahead, per worker: a trajectory keeps up to this many bytes of future
   * step noise (at least 2 and at most 128 draws).
   * @default 1048576 (1 MiB: 4 draws of a 1024² latent, 128 of a 64² one)
   */
  lookaheadBytes?: number;
  /**
   * How long a draw may wait for the worker before failing with RUNTIME_ERROR.
   * @default 30000
   */
  timeoutMs?: number;
}

// The control block shared with a worker. This thread posts a request (its arguments, then a new
// REQUEST number, then a wake-up); the worker answers DONE with that number. Waking a sleeping
// thread is the expensive part (a system call; ~23 µs of this thread's time on a small VM), so
// a trajectory costs one wake-up: its whole ring of step noise is drawn ahead and handed over
// through the PRODUCED and RELEASED counters, which neither thread sleeps on in the usual case.
const STATE = 0;
const REQUEST = 1;
const DONE = 2;
const COMMAND = 3;
const COUNT = 4;
const SEED_LOW = 5;
const SEED_HIGH = 6;
/** 1: the AHEAD run starts a new stream from SEED_LOW/HIGH; 0: it continues the current one. */
const RESEED = 7;
/** Ring size of an AHEAD run. */
const SLOTS = 8;
/** The worker draws no further than this many draws of the run (raised by this thread on need). */
const LIMIT = 9;
/** Draws whose slots the worker may overwrite (written by this thread). */
const RELEASED = 10;
/** Draws this thread took from the run; a request that ends the run rewinds to just after them. */
const TAKEN = 11;
/** Draws of run RUN the worker has finished. */
const PRODUCED = 12;
/** The REQUEST number of the AHEAD run that PRODUCED counts. */
const RUN = 13;
/** 1 while the worker sleeps. */
const WAITING = 14;
/** Bumped by this thread to wake the worker (it sleeps on this word). */
const WAKE = 15;
const CONTROL_WORDS = 16;

// The state word starts at 0 (starting) until the worker reports READY.
const READY = 1;
const FAILED = 3;
const STOPPED = 4;

const NORMAL = 1;
const UNIFORM = 2;
const AHEAD = 3;
const BUFFER = 4;
const STOP = 5;

const MAX_SLOTS = 128;

/**
 * The worker: sleeps on WAKE; handles each new REQUEST against its generator (a TorchGenerator
 * from @kandinsky/core, so the numbers are those of the calling thread). An AHEAD run stays
 * active after its DONE: the worker fills a ring of SLOTS draws of COUNT normals, at most SLOTS
 * ahead of RELEASED and up to LIMIT draws, sleeping when there is nothing to draw. Before each
 * draw it keeps the generator's state, so that the next request can rewind it to just after the
 * TAKEN draws: the stream then continues exactly as if nothing had been drawn ahead. A plain
 * CommonJS script, so it runs the same from the built package and under the test runner.
 */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const port = workerData.port;
const fail = (error) => {
  port.postMessage(String((error && error.stack) || error));
  Atomics.store(control, ${STATE}, ${FAILED});
  Atomics.notify(control, ${STATE});
  Atomics.notify(control, ${DONE});
  Atomics.notify(control, ${PRODUCED});
};
try {
  const { TorchGenerator } = require(workerData.core);
  let data = new Float32Array(0);
  let generator;
  const before = [];
  let handled = 0;
  let run; // { count, slots, produced } of the active AHEAD run
  Atomics.store(control, ${STATE}, ${READY});
  Atomics.notify(control, ${STATE});
  outer: for (;;) {
    // Read WAKE first: a wake-up sent after this read makes the wait below return at once.
    const wake = Atomics.load(control, ${WAKE});
    const request = Atomics.load(control, ${REQUEST});
    if (request !== handled) {
      if (run) {
        const taken = control[${TAKEN}];
        if (taken < run.produced) generator.copyStateFrom(before[taken % run.slots]);
        run = undefined;
      }
      handled = request;
      const command = control[${COMMAND}];
      if (command === ${STOP}) break outer;
      if (command === ${BUFFER}) {
        data = new Float32Array(receiveMessageOnPort(port).message);
      } else if (command === ${AHEAD}) {
        if (control[${RESEED}] === 1) {
          generator = new TorchGenerator(BigInt(control[${SEED_LOW}] >>> 0) | (BigInt(control[${SEED_HIGH}] >>> 0) << 32n));
        }
        run = { count: control[${COUNT}], slots: control[${SLOTS}], produced: 0 };
        Atomics.store(control, ${PRODUCED}, 0);
        Atomics.store(control, ${RUN}, request);
      } else {
        const out = data.subarray(0, control[${COUNT}]);
        if (command === ${NORMAL}) generator.fillNormal(out);
        else generator.fillUniform(out);
      }
      Atomics.store(control, ${DONE}, request);
      Atomics.notify(control, ${DONE});
      continue;
    }
    if (run && run.produced < Math.min(Atomics.load(control, ${RELEASED}) + run.slots, Atomics.load(control, ${LIMIT}))) {
      const slot = run.produced % run.slots;
      if (before[slot]) before[slot].copyStateFrom(generator);
      else before[slot] = generator.clone();
      generator.fillNormal(data.subarray(slot * run.count, slot * run.count + run.count));
      run.produced += 1;
      Atomics.store(control, ${PRODUCED}, run.produced);
      Atomics.notify(control, ${PRODUCED});
      continue;
    }
    Atomics.store(control, ${WAITING}, 1);
    Atomics.wait(control, ${WAKE}, wake);
    Atomics.store(control, ${WAITING}, 0);
  }
} catch (error) {
  fail(error);
}
if (Atomics.load(control, ${STATE}) !== ${FAILED}) {
  Atomics.store(control, ${STATE}, ${STOPPED});
  Atomics.notify(control, ${STATE});
  Atomics.notify(control, ${DONE});
  Atomics.notify(control, ${PRODUCED});
}
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
  /** The last REQUEST number posted. */
  #request = 0;

  constructor(corePath: string, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { control: this.control.buffer, port: port2, core: corePath },
      transferList: [port2],
    });
    // Never keep the process alive for a worker that only waits for requests.
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

  /** Started and alive. */
  get ready(): boolean {
    return this.#alive && Atomics.load(this.control, STATE) === READY;
  }

  /** `count` numbers of the shared output from `offset`. */
  view(offset: number, count: number): Float32Array {
    return this.#data.subarray(offset, offset + count);
  }

  /**
   * Draws `randn` or `rand` of `count` elements now (into the start of the shared output), after
   * rewinding to just after the `taken` draws of an active AHEAD run.
   */
  draw(command: typeof NORMAL | typeof UNIFORM, count: number, taken: number): Float32Array {
    // Arguments are written only once the worker has taken up the previous request.
    this.#wait(DONE, this.#request);
    this.#reserve(count, taken);
    this.control[COUNT] = count;
    this.#wait(DONE, this.#post(command, taken));
    return this.view(0, count);
  }

  /**
   * Starts an AHEAD run of `randn` draws of `count` elements into a ring of `slots`, from a new
   * stream for `seed` (validated as PyTorch does) or, without one, continuing the current stream
   * after the `taken` draws of the previous run; at most `limit` draws unless {@link take} asks
   * for more. Returns the run's number for {@link take}. Does not wait for the worker.
   */
  startAhead(seed: number | bigint | undefined, count: number, slots: number, limit: number, taken: number): number {
    const control = this.control;
    this.#wait(DONE, this.#request);
    let low = 0;
    let high = 0;
    if (seed !== undefined) {
      torchSeedToUint32(seed); // throws INVALID_ARGUMENT for what manual_seed would reject
      const value = BigInt.asUintN(64, BigInt(seed));
      low = Number(value & 0xffffffffn) | 0;
      high = Number(value >> 32n) | 0;
    }
    this.#reserve(count * slots, taken);
    control[RESEED] = seed === undefined ? 0 : 1;
    control[SEED_LOW] = low;
    control[SEED_HIGH] = high;
    control[COUNT] = count;
    control[SLOTS] = slots;
    Atomics.store(control, RELEASED, 0);
    Atomics.store(control, LIMIT, Math.max(1, limit));
    return this.#post(AHEAD, taken);
  }

  /**
   * Waits (if needed) for draw `index` of AHEAD run `run` and marks the draws before it as free
   * to overwrite; returns the draw's offset in the shared output.
   */
  take(run: number, index: number, count: number, slots: number): number {
    const control = this.control;
    Atomics.store(control, RELEASED, index);
    let produced = Atomics.load(control, RUN) === run ? Atomics.load(control, PRODUCED) : 0;
    if (produced > index) {
      // A worker asleep on a full ring is woken once half of it is free, if more may be drawn.
      if (produced - index <= slots >> 1 && produced < Atomics.load(control, LIMIT) && Atomics.load(control, WAITING) === 1) this.#wake();
    } else {
      if (index >= Atomics.load(control, LIMIT)) Atomics.store(control, LIMIT, index + slots);
      this.#wake();
      const deadline = performance.now() + this.#timeoutMs;
      while (produced <= index) {
        const seen = Atomics.load(control, PRODUCED);
        if (Atomics.load(control, RUN) === run && seen > index) break;
        this.#throwIfStopped();
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw this.#timeoutError();
        Atomics.wait(control, PRODUCED, seen, Math.min(remaining, 50));
        produced = Atomics.load(control, RUN) === run ? Atomics.load(control, PRODUCED) : 0;
      }
    }
    return (index % slots) * count;
  }

  /** Asks the worker to stop and waits for its thread to end. */
  async stop(): Promise<void> {
    if (!this.#alive) return;
    // Held while stopping, so that the exit event arrives before the process may end.
    this.#worker.ref();
    if (Atomics.load(this.control, STATE) === READY) this.#post(STOP, 0);
    else await this.#worker.terminate();
    await this.exited;
  }

  /** Grows the shared output to `count` if needed (the worker takes the new buffer from the port). */
  #reserve(count: number, taken: number): void {
    if (count <= this.#data.length) return;
    this.#data = new Float32Array(new SharedArrayBuffer(count * 4));
    this.#port.postMessage(this.#data.buffer);
    this.#wait(DONE, this.#post(BUFFER, taken));
  }

  /**
   * Posts a request and wakes the worker; returns its number. Requests are not queued: the
   * previous one must have been taken up first (DONE; almost always already so, since each
   * trajectory posts one and the next comes after a whole denoising loop).
   */
  #post(command: number, taken: number): number {
    this.#wait(DONE, this.#request);
    const control = this.control;
    control[COMMAND] = command;
    control[TAKEN] = taken;
    const request = ++this.#request;
    Atomics.store(control, REQUEST, request);
    this.#wake();
    return request;
  }

  /** Blocks until `word` reaches `value` (DONE of a request); throws RUNTIME_ERROR on failure or timeout. */
  #wait(word: number, value: number): void {
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.control, word);
      if (seen === value) return;
      this.#throwIfStopped();
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw this.#timeoutError();
      Atomics.wait(this.control, word, seen, Math.min(remaining, 50));
    }
  }

  #wake(): void {
    Atomics.add(this.control, WAKE, 1);
    Atomics.notify(this.control, WAKE);
  }

  #throwIfStopped(): void {
    const state = Atomics.load(this.control, STATE);
    if (state === FAILED || state === STOPPED || !this.#alive) {
      const message = receiveMessageOnPort(this.#port)?.message;
      throw new KandinskyError({
        code: 'RUNTIME_ERROR',
        message: `The noise worker ${state === FAILED ? 'failed' : 'has stopped'}${message ? `: ${String(message)}` : '.'}`,
        hint: 'Generate again; pass noiseSources: inlineNoiseSources to draw noise on the calling thread.',
      });
    }
  }

  #timeoutError(): KandinskyError {
    return new KandinskyError({
      code: 'RUNTIME_ERROR',
      message: `The noise worker did not answer within ${this.#timeoutMs} ms.`,
      hint: 'The machine may be overloaded; raise timeoutMs or use inlineNoiseSources.',
    });
  }
}

/**
 * A trajectory whose numbers come from a worker (see {@link createWorkerNoiseSources}). The
 * worker draws `randn(sampleDims)` ahead from the moment the trajectory is created; any other
 * request ends that run (the worker rewinds to just after the draws taken) and is drawn on
 * demand, after which a prefetch of the sample dims starts drawing ahead again.
 */
class WorkerTrajectory implements TrajectoryNoiseSource {
  readonly #worker: NoiseWorker;
  readonly #onRelease: () => void;
  readonly #slotsFor: (count: number) => number;
  /** The active AHEAD run, or undefined after another kind of draw. */
  #ahead: { run: number; dims: number[]; count: number; slots: number; taken: number } | undefined;
  /** Draws expected (the create hint); later runs expect what is left. */
  #expected: number;
  #prefetched = false;
  #released = false;
  /** Where prefetched draws are copied to (see randn); one tensor, returned for each of them. */
  #bufferTensor: Tensor<'float32'> | undefined;

  constructor(
    worker: NoiseWorker,
    seed: number | bigint,
    sampleDims: readonly number[],
    expected: number,
    slotsFor: (count: number) => number,
    onRelease: () => void,
  ) {
    this.#worker = worker;
    this.#onRelease = onRelease;
    this.#slotsFor = slotsFor;
    this.#expected = expected;
    this.#startAhead(sampleDims, seed);
  }

  prefetch(dims: readonly number[]): void {
    this.#assertLive();
    this.#prefetched = true;
    const ahead = this.#ahead;
    if (ahead !== undefined && sameDims(ahead.dims, dims)) return;
    this.#startAhead(dims, undefined);
  }

  randn(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    const prefetched = this.#prefetched;
    this.#prefetched = false;
    const ahead = this.#ahead;
    if (ahead !== undefined && sameDims(ahead.dims, dims)) {
      const offset = this.#worker.take(ahead.run, ahead.taken, ahead.count, ahead.slots);
      ahead.taken += 1;
      const view = this.#worker.view(offset, ahead.count);
      if (!prefetched) return createTensor('float32', dims, view.slice()); // the caller's to keep
      // After a prefetch: valid until the next draw (the TrajectoryNoiseSource contract), so one
      // buffer serves every step; a copy in this thread's memory rather than a view of the ring,
      // which the worker may rewrite once the next draw releases it.
      let tensor = this.#bufferTensor;
      if (tensor === undefined || !sameDims(tensor.dims, dims)) {
        tensor = this.#bufferTensor = createTensor('float32', dims, new Float32Array(ahead.count));
      }
      tensor.data.set(view);
      return tensor;
    }
    return this.#drawNow(NORMAL, dims);
  }

  rand(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    this.#prefetched = false;
    return this.#drawNow(UNIFORM, dims);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    // Nothing is posted: the worker may finish its ring, and the next trajectory's request
    // (which reseeds) ends the run. No wake-up is spent on an ending.
    this.#ahead = undefined;
    this.#onRelease();
  }

  #startAhead(dims: readonly number[], seed: number | bigint | undefined): void {
    const count = elementCount(dims);
    const slots = this.#slotsFor(count);
    const taken = this.#endAhead();
    this.#expected = Math.max(1, this.#expected - taken);
    const run = this.#worker.startAhead(seed, count, slots, this.#expected, taken);
    this.#ahead = { run, dims: [...dims], count, slots, taken: 0 };
  }

  /** Forgets the active run; returns how many of its draws were taken (0 without one). */
  #endAhead(): number {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    return ahead?.taken ?? 0;
  }

  /** A draw the caller keeps: computed by the worker now (after ending any run), then copied out. */
  #drawNow(command: typeof NORMAL | typeof UNIFORM, dims: readonly number[]): Tensor<'float32'> {
    const count = elementCount(dims);
    const taken = this.#endAhead();
    const data = this.#worker.draw(command, count, taken);
    return createTensor('float32', dims, data.slice());
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
 * The worker draws each trajectory's step noise ahead into shared memory (up to the `draws` the
 * pipeline announces, within `lookaheadBytes`), so a step takes its noise without waking either
 * thread: one wake-up per trajectory. On a machine with a core to spare this takes the noise off
 * the denoising loop's critical path. Trajectories that find no worker ready (the first one,
 * while it starts, and concurrent ones) and samples below `minimumElements` draw inline; the
 * worker serves one trajectory at a time. It never keeps the process alive, and
 * {@link NoiseSourceFactory.dispose} (called by `Kandinsky3Pipeline.dispose()`) ends it.
 * ```ts
 * const pipeline = await Kandinsky3Pipeline.create({ backend, folder, tokenizer, noiseSources: createWorkerNoiseSources() });
 * ```
 */
export function createWorkerNoiseSources(options: WorkerNoiseSourcesOptions = {}): NoiseSourceFactory & {
  /** Worker threads running: 0 until a trajectory starts one, and again once dispose() resolves. */
  readonly activeWorkers: number;
} {
  const minimumElements = options.minimumElements ?? 16384;
  const lookaheadBytes = options.lookaheadBytes ?? 1 << 20;
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (const [name, value] of [
    ['minimumElements', minimumElements],
    ['lookaheadBytes', lookaheadBytes],
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

  /** Ring size for draws of `count` elements: what fits in lookaheadBytes, within [2, 128]. */
  const slotsFor = (count: number): number => Math.max(2, Math.min(MAX_SLOTS, Math.floor(lookaheadBytes / (4 * Math.max(1, count)))));

  return {
    get activeWorkers() {
      return live.size;
    },
    create(seed, sampleDims, trajectory) {
      torchSeedToUint32(seed); // INVALID_ARGUMENT for a seed manual_seed would reject, before any thread starts
      // Inline trajectories draw on this thread: small ones all at once, others step by step.
      if (unavailable || elementCount(sampleDims) < minimumElements) return inlineNoiseSources.create(seed, sampleDims, trajectory);
      if (!worker) {
        try {
          corePath ??= createRequire(import.meta.url).resolve('@kandinsky/core');
        } catch {
          // No resolvable CommonJS build of the core for the worker: draw inline (same numbers).
          unavailable = true;
          return inlineNoiseSources.create(seed, sampleDims, trajectory);
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
      if (lent || !worker.ready) return inlineNoiseSources.create(seed, sampleDims, trajectory);
      const current = worker;
      lent = true;
      const draws = trajectory?.draws;
      const expected = typeof draws === 'number' && Number.isInteger(draws) && draws > 0 ? draws : MAX_SLOTS;
      return new WorkerTrajectory(current, seed, sampleDims, expected, slotsFor, () => {
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
