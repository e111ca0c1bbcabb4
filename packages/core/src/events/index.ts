export type {
  DownloadProgressEvent,
  PreviewProgressEvent,
  ProgressCallback,
  ProgressEvent,
  ProgressEventType,
  StageName,
  StageProgressEvent,
  StepProgressEvent,
  TileProgressEvent,
  WarningProgressEvent,
} from './progress-event.js';
export { WarningCodes, type WarningCode } from './warning-codes.js';
export { emitProgress, type ProgressCallbackErrorHandler } from './emit-progress.js';
export { monotonicNow } from './monotonic-now.js';
export { runStage, type RunStageOptions } from './run-stage.js';
export { DownloadProgress, type PlannedDownload } from './download-progress.js';
