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
   * Trajectories whose samples have fewer elements draw inline on the calling thread.
   * @default 0 (every trajectory uses the worker; the tiny 64² model's 256-element samples too,
   * since the worker draws many steps ahead and hands them over without waking either thread)
   */
  minimumElements?: number;
  /**
   * Memory for draws made ahead, per worker: a trajectory keeps up to this many bytes of future
   * step noise (at least 2 and at most 32 draws).
   * @default 1048576 (1 MiB: 4 draws of a 1024² latent, 32 of a 64² one)
   */
  lookaheadBytes?: number;
  /**
   * How long a draw may wait for the worker before failing with RUNTIME_ERROR.
   * @default 30000
   */
  timeoutMs?: number;
}

// The control block shared with a worker: a state word, a command with its arguments, and the
// counters of the draw-ahead ring.
const STATE = 0;
const COMMAND = 1;
const COUNT = 2;
const SEED_LOW = 3;
const SEED_HIGH = 4;
/** Ring size of an AHEAD command. */
const SLOTS = 5;
/** Draws the worker has finished in the current AHEAD run (written by the worker). */
const PRODUCED = 6;
/** Draws whose slots the worker may overwrite (written by this thread). */
const RELEASED = 7;
/** Non-zero asks the worker to end the AHEAD run (written by this thread). */
const CANCEL = 8;
/** Draws this thread took; the worker rewinds its generator to just after them on CANCEL. */
const TAKEN = 9;
/** 1 while the worker sleeps on a full ring. */
const WAITING = 10;
/** 1: the AHEAD run starts a new stream from SEED_LOW/HIGH; 0: it continues the current one. */
const RESEED = 11;
/** Bumped by this thread to wake a worker sleeping on a full ring (it sleeps on this word). */
const WAKE = 12;
const CONTROL_WORDS = 16;

const STARTING = 0;
const IDLE = 1;
const BUSY = 2;
const FAILED = 3;
const STOPPED = 4;

const NORMAL = 2;
const UNIFORM = 3;
const BUFFER = 5;
const STOP = 6;
const AHEAD = 7;

const MAX_SLOTS = 32;

/**
 * The worker: sleeps on the state word; on BUSY runs the command against its generator (a
 * TorchGenerator from @kandinsky/core, so the numbers are those of the calling thread), then
 * goes back to IDLE.
 *
 * AHEAD seeds a new stream and fills a ring of SLOTS draws of COUNT normals each, staying at most
 * SLOTS draws ahead of RELEASED and sleeping when the ring is full. Before each draw it keeps the
 * generator's state, so that on CANCEL it can rewind to just after the TAKEN draws: the stream
 * then continues exactly as if nothing had been drawn ahead. A plain CommonJS script, so it runs
 * the same from the built package and under the test runner.
 */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const port = workerData.port;
try {
  const { TorchGenerator } = require(workerData.core);
  let data = new Float32Array(0);
  let generator;
  const before = [];
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
      if (command === ${BUFFER}) {
        data = new Float32Array(receiveMessageOnPort(port).message);
      } else if (command === ${AHEAD}) {
        if (control[${RESEED}] === 1) {
          generator = new TorchGenerator(BigInt(control[${SEED_LOW}] >>> 0) | (BigInt(control[${SEED_HIGH}] >>> 0) << 32n));
        }
        const count = control[${COUNT}];
        const slots = control[${SLOTS}];
        let produced = 0;
        for (;;) {
          // Read WAKE first: a wake-up sent after this read makes the wait below return at once.
          const wake = Atomics.load(control, ${WAKE});
          if (Atomics.load(control, ${CANCEL}) !== 0) break;
          const released = Atomics.load(control, ${RELEASED});
          if (produced < released + slots) {
            const slot = produced % slots;
            if (before[slot]) before[slot].copyStateFrom(generator);
            else before[slot] = generator.clone();
            generator.fillNormal(data.subarray(slot * count, slot * count + count));
            produced += 1;
            Atomics.store(control, ${PRODUCED}, produced);
            Atomics.notify(control, ${PRODUCED});
          } else {
            Atomics.store(control, ${WAITING}, 1);
            Atomics.wait(control, ${WAKE}, wake);
            Atomics.store(control, ${WAITING}, 0);
          }
        }
        // The state before draw TAKEN is the state after the draws the caller took.
        const taken = control[${TAKEN}];
        if (taken < produced) generator.copyStateFrom(before[taken % slots]);
        Atomics.store(control, ${CANCEL}, 0);
      } else {
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

  /** `count` numbers of the shared output from `offset`. */
  view(offset: number, count: number): Float32Array {
    return this.#data.subarray(offset, offset + count);
  }

  /** Sends `command` and returns at once; the next {@link wait} blocks until it is done. */
  start(command: number, count = 0): void {
    this.#reserve(count);
    this.#issue(command, count);
  }

  /**
   * Starts drawing `randn` of `count` elements ahead into a ring of `slots`, from a new stream
   * for `seed` (validated as PyTorch does) or, without one, continuing the current stream;
   * {@link take} hands the draws over in order.
   */
  startAhead(seed: number | bigint | undefined, count: number, slots: number): void {
    const control = this.control;
    let low = 0;
    let high = 0;
    if (seed !== undefined) {
      torchSeedToUint32(seed); // throws INVALID_ARGUMENT for what manual_seed would reject
      const value = BigInt.asUintN(64, BigInt(seed));
      low = Number(value & 0xffffffffn) | 0;
      high = Number(value >> 32n) | 0;
    }
    this.#reserve(count * slots);
    control[RESEED] = seed === undefined ? 0 : 1;
    control[SEED_LOW] = low;
    control[SEED_HIGH] = high;
    control[SLOTS] = slots;
    control[PRODUCED] = 0;
    control[RELEASED] = 0;
    control[TAKEN] = 0;
    control[CANCEL] = 0;
    this.#issue(AHEAD, count);
  }

  /**
   * Waits (if needed) for draw `index` of the running AHEAD ring and marks the draws before it
   * as free to overwrite; returns the draw's offset in the shared output.
   */
  take(index: number, count: number, slots: number): number {
    const control = this.control;
    Atomics.store(control, RELEASED, index);
    let produced = Atomics.load(control, PRODUCED);
    // Wake a worker that sleeps on a full ring once half of it is free (not on every draw: a
    // wake-up is a system call), and always when this thread is about to wait for it.
    if (produced <= index || (index % (slots >> 1 || 1) === 0 && Atomics.load(control, WAITING) === 1)) this.#wake();
    if (produced <= index) {
      const deadline = performance.now() + this.#timeoutMs;
      while (produced <= index) {
        this.#throwIfStopped(Atomics.load(control, STATE));
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw this.#timeoutError();
        Atomics.wait(control, PRODUCED, produced, Math.min(remaining, 50));
        produced = Atomics.load(control, PRODUCED);
      }
    }
    return (index % slots) * count;
  }

  /** Ends the AHEAD run; the worker rewinds to just after the `taken` draws (no waiting here). */
  cancelAhead(taken: number): void {
    const control = this.control;
    control[TAKEN] = taken;
    Atomics.store(control, CANCEL, 1);
    this.#wake();
  }

  /** Wakes the worker if it sleeps on a full ring. */
  #wake(): void {
    Atomics.add(this.control, WAKE, 1);
    Atomics.notify(this.control, WAKE);
  }

  /** Blocks until the worker is idle; throws RUNTIME_ERROR if it failed or took too long. */
  wait(): void {
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      const state = Atomics.load(this.control, STATE);
      if (state === IDLE) return;
      this.#throwIfStopped(state);
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw this.#timeoutError();
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

  /** Waits for the running command, then grows the shared output to `count` if needed. */
  #reserve(count: number): void {
    this.wait();
    if (count > this.#data.length) {
      // The worker takes the new buffer from the port.
      this.#data = new Float32Array(new SharedArrayBuffer(count * 4));
      this.#port.postMessage(this.#data.buffer);
      this.#issue(BUFFER, 0);
      this.wait();
    }
  }

  #throwIfStopped(state: number): void {
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

  #issue(command: number, count: number): void {
    this.control[COMMAND] = command;
    this.control[COUNT] = count;
    Atomics.store(this.control, STATE, BUSY);
    Atomics.notify(this.control, STATE);
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
  /** The running AHEAD ring, or undefined when the worker is idle or drawing on demand. */
  #ahead: { dims: number[]; count: number; slots: number; taken: number } | undefined;
  /** The seed until the first AHEAD run (which seeds the worker's generator). */
  #seed: number | bigint | undefined;
  #prefetched = false;
  #released = false;

  constructor(worker: NoiseWorker, seed: number | bigint, sampleDims: readonly number[], slotsFor: (count: number) => number, onRelease: () => void) {
    this.#worker = worker;
    this.#onRelease = onRelease;
    this.#slotsFor = slotsFor;
    this.#seed = seed;
    this.#startAhead(sampleDims);
  }

  prefetch(dims: readonly number[]): void {
    this.#assertLive();
    const ahead = this.#ahead;
    if (ahead !== undefined && sameDims(ahead.dims, dims)) {
      this.#prefetched = true;
      return;
    }
    this.#endAhead();
    this.#startAhead(dims);
    this.#prefetched = true;
  }

  randn(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    const prefetched = this.#prefetched;
    this.#prefetched = false;
    const ahead = this.#ahead;
    if (ahead !== undefined && sameDims(ahead.dims, dims)) {
      const offset = this.#worker.take(ahead.taken, ahead.count, ahead.slots);
      ahead.taken += 1;
      const view = this.#worker.view(offset, ahead.count);
      // After a prefetch: the ring's own memory, valid until the next draw (the
      // TrajectoryNoiseSource contract). Otherwise the caller's to keep: a copy.
      return createTensor('float32', dims, prefetched ? view : view.slice());
    }
    this.#endAhead();
    return this.#drawNow(NORMAL, dims);
  }

  rand(dims: readonly number[]): Tensor<'float32'> {
    this.#assertLive();
    this.#prefetched = false;
    this.#endAhead();
    return this.#drawNow(UNIFORM, dims);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#endAhead();
    this.#onRelease();
  }

  #startAhead(dims: readonly number[]): void {
    const count = elementCount(dims);
    const slots = this.#slotsFor(count);
    // The first run seeds the stream; later ones continue it where the last one was rewound to.
    this.#worker.startAhead(this.#seed, count, slots);
    this.#seed = undefined;
    this.#ahead = { dims: [...dims], count, slots, taken: 0 };
  }

  #endAhead(): void {
    if (this.#ahead === undefined) return;
    this.#worker.cancelAhead(this.#ahead.taken);
    this.#ahead = undefined;
  }

  /** A draw the caller keeps: computed by the worker now, then copied out. */
  #drawNow(command: number, dims: readonly number[]): Tensor<'float32'> {
    const count = elementCount(dims);
    this.#worker.start(command, count);
    this.#worker.wait();
    return createTensor('float32', dims, this.#worker.view(0, count).slice());
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
 * The worker draws each trajectory's step noise several steps ahead into shared memory (see
 * `lookaheadBytes`), so a step takes its noise without waking either thread; on a machine with
 * a core to spare this removes the noise from the denoising loop's critical path.
 * Trajectories that find no worker ready (the first one, while it starts, and concurrent ones)
 * and samples below `minimumElements` draw inline; the worker serves one trajectory at a time. It never keeps the process alive, and
 * {@link NoiseSourceFactory.dispose} (called by `Kandinsky3Pipeline.dispose()`) ends it.
 * ```ts
 * const pipeline = await Kandinsky3Pipeline.create({ backend, folder, tokenizer, noiseSources: createWorkerNoiseSources() });
 * ```
 */
export function createWorkerNoiseSources(options: WorkerNoiseSourcesOptions = {}): NoiseSourceFactory & {
  /** Worker threads running: 0 until a trajectory starts one, and again once dispose() resolves. */
  readonly activeWorkers: number;
} {
  const minimumElements = options.minimumElements ?? 0;
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

  /** Ring size for draws of `count` elements: what fits in lookaheadBytes, within [2, 32]. */
  const slotsFor = (count: number): number => Math.max(2, Math.min(MAX_SLOTS, Math.floor(lookaheadBytes / (4 * Math.max(1, count)))));
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
      return new WorkerTrajectory(current, seed, sampleDims, slotsFor, () => {
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
