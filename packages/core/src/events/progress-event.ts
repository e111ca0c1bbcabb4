import type { RgbImage } from '../image/rgb-image.js';
import type { TileView } from '../tiling/view-planner.js';
import type { WarningCode } from './warning-codes.js';

/**
 * Names of the stages a call goes through. The listed names are the ones core and the
 * first-party packages emit; other strings are allowed so that third-party components can add
 * stages without a core release.
 */
export type StageName =
  | 'load-model'
  | 'encode-prompt'
  | 'encode-image'
  | 'detect-edges'
  | 'denoise'
  | 'decode'
  | 'upscale'
  | 'refine'
  | 'beautify'
  | (string & {});

/** A stage started or ended. Every `start` is matched by one `end`, also on error or abort. */
export interface StageProgressEvent {
  readonly type: 'stage';
  /** Which stage. */
  readonly stage: StageName;
  /** `start` before the stage's first model call, `end` after its last one. */
  readonly status: 'start' | 'end';
  /** The model component involved (`"unet"`, `"movq_decoder"`, ...), when there is one. */
  readonly component?: string;
  /** Milliseconds the stage took; only on `end`. */
  readonly elapsedMs?: number;
  /** How the stage ended; only on `end`. */
  readonly outcome?: 'completed' | 'failed' | 'aborted';
}

/** One denoising step finished. Emitted after the step, so `index + 1` steps of `total` are done. */
export interface StepProgressEvent {
  readonly type: 'step';
  /** The loop this step belongs to (`denoise`, `upscale`, `refine`). */
  readonly stage: StageName;
  /** Zero-based index of the step that just finished. */
  readonly index: number;
  /** Number of steps in this loop. */
  readonly total: number;
  /** The scheduler timestep of this step (e.g. 999 … 0 on the 1000-step grid). */
  readonly timestep: number;
}

/**
 * One MultiDiffusion view of one step finished (spec §4.8.2). Emitted after the view, so
 * `index + 1` views of `total` are done for step `step`.
 */
export interface TileProgressEvent {
  readonly type: 'tile';
  /** Zero-based index of the view that just finished, within the current step. */
  readonly index: number;
  /** Number of views per step. */
  readonly total: number;
  /** Zero-based index of the current step. */
  readonly step: number;
  /** Number of steps. */
  readonly totalSteps: number;
  /** Where the view lies in the canvas, in the canvas's units (pixels or latent cells). */
  readonly view: TileView;
}

/** Bytes of a model file arrived (or were found in a cache). */
export interface DownloadProgressEvent {
  readonly type: 'download';
  /** The file, as named in the model folder (`"unet/model.onnx"`) or its URL. */
  readonly file: string;
  /** Bytes of `file` received so far. */
  readonly loadedBytes: number;
  /** Size of `file`, or `undefined` when the server did not say. */
  readonly totalBytes: number | undefined;
  /** True when the bytes came from a local cache rather than the network. */
  readonly fromCache?: boolean;
  /**
   * Sums over every file of the current load, for a single progress bar. `totalBytes` is
   * `undefined` while any file's size is unknown.
   */
  readonly overall?: { readonly loadedBytes: number; readonly totalBytes: number | undefined };
}

/** A low-cost look at the image being generated, decoded from the current x0 estimate. */
export interface PreviewProgressEvent {
  readonly type: 'preview';
  /** The loop the preview belongs to. */
  readonly stage: StageName;
  /** Zero-based index of the step the preview was taken after. */
  readonly step: number;
  /** The preview, usually much smaller than the final image. */
  readonly image: RgbImage;
}

/** Something the app may want to know that did not stop the call. */
export interface WarningProgressEvent {
  readonly type: 'warning';
  /** Stable code, one of `WarningCodes`. */
  readonly code: WarningCode;
  /** What happened, naming the value involved. */
  readonly message: string;
  /** Structured facts (the value, the limit, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Everything a long call reports through `onProgress`, discriminated by `type`:
 * ```ts
 * onProgress: (event) => {
 *   if (event.type === 'step') bar.update((event.index + 1) / event.total);
 * }
 * ```
 * New event types may be added in minor releases: switch on `type` with a default branch.
 * Event types are single nouns (`step`, `tile`) and stage names kebab-case verb-noun
 * (`encode-prompt`), so the two never collide.
 */
export type ProgressEvent =
  | StageProgressEvent
  | StepProgressEvent
  | TileProgressEvent
  | DownloadProgressEvent
  | PreviewProgressEvent
  | WarningProgressEvent;

/** The `type` values of {@link ProgressEvent}. */
export type ProgressEventType = ProgressEvent['type'];

/**
 * Receives progress events. It is called synchronously in the middle of the work, so keep it
 * short; a returned promise is not awaited. What happens when it throws: see `emitProgress`.
 */
export type ProgressCallback = (event: ProgressEvent) => void;
