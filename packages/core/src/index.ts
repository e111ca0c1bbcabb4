/**
 * @kandinsky/core — the backend-agnostic heart of Kandinsky TS: the Kandinsky 3 pipelines over one
 * denoising loop, PyTorch-identical seeded noise, schedulers, MultiDiffusion tiling, guidance,
 * image conversion, the backend contract, typed errors and progress events. No runtime
 * dependencies. Test doubles (`MockBackend`) live in `@kandinsky/core/testing`.
 *
 * Every name here is exported on purpose; the exports snapshot test (`index.test.ts`) makes each
 * change to this list deliberate.
 */

// Errors (DESIGN.md §5): one class with a stable code, a message naming the bad value, a hint.
export { ErrorCodes, type ErrorCode } from './errors/error-codes.js';
export { KandinskyError, describeValue, type KandinskyErrorOptions } from './errors/kandinsky-error.js';
export {
  dtypeMismatch,
  invalidArgument,
  invalidSchedulerConfig,
  kandinskyError,
  shapeMismatch,
} from './errors/error-constructors.js';

// Cancellation and progress.
export type { AbortSignalLike } from './abort/abort-signal-like.js';
export { isAbortError } from './abort/abort-error.js';
export { throwIfAborted } from './abort/throw-if-aborted.js';
export { abortable, type AbortableOptions } from './abort/abortable.js';
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
} from './events/progress-event.js';
export { WarningCodes, type WarningCode } from './events/warning-codes.js';
export { emitProgress, type ProgressCallbackErrorHandler } from './events/emit-progress.js';
export { runStage, type RunStageOptions } from './events/run-stage.js';
export { DownloadProgress, type PlannedDownload } from './events/download-progress.js';

// Tensors: plain `{ dtype, dims, data }` over typed arrays; float16 as raw bits.
export {
  assertDims,
  assertDtype,
  createTensor,
  elementCount,
  sameDims,
  type DataType,
  type Tensor,
  type TensorDataMap,
} from './tensor/tensor.js';
export { float16ToFloat32Array, float32ToFloat16Array, toFloat16, toFloat32 } from './tensor/float16.js';
export { concatChannels } from './tensor/concat-channels.js';

// Seeded noise equal to PyTorch's CPU `torch.randn` (spec §4.2).
export { TorchGenerator } from './noise/torch-generator.js';

// Schedulers (spec §3).
export type {
  NoiseSource,
  Scheduler,
  SchedulerState,
  SchedulerStepOptions,
  SchedulerStepResult,
} from './schedulers/scheduler.js';
export { createScheduler, type SchedulerClassName } from './schedulers/create-scheduler.js';
export { DDPMScheduler, type DDPMConfig, type DDPMVarianceType } from './schedulers/ddpm-scheduler.js';
export {
  DDIMScheduler,
  type DDIMConfig,
  type DDIMSamplingOptions,
  type DDIMStepOptions,
} from './schedulers/ddim-scheduler.js';
export {
  EulerDiscreteScheduler,
  type EulerChurnOptions,
  type EulerDiscreteConfig,
  type EulerStepOptions,
} from './schedulers/euler-discrete-scheduler.js';
export { DPMSolverMultistepScheduler, type DPMSolverMultistepState } from './schedulers/dpm-solver-multistep.js';
export {
  EulerAncestralDiscreteScheduler,
  type EulerAncestralDiscreteConfig,
} from './schedulers/euler-ancestral-discrete-scheduler.js';
export {
  HeunDiscreteScheduler,
  type HeunDiscreteConfig,
  type HeunDiscreteState,
} from './schedulers/heun-discrete-scheduler.js';
export { LCMScheduler, type LCMConfig } from './schedulers/lcm-scheduler.js';
export { UniPCMultistepScheduler, type UniPCMultistepState } from './schedulers/unipc-multistep.js';
export type { UniPCConfig } from './schedulers/unipc-config.js';
export {
  SCHEDULER_ALIASES,
  SCHEDULER_NAMES,
  resolveSchedulerChoice,
  swapSchedulerClass,
  type SchedulerAlias,
  type SchedulerChoice,
  type SchedulerName,
} from './schedulers/scheduler-choice.js';
export type { DPMSolverConfig } from './schedulers/dpm-solver-config.js';
export type { PredictionType, SchedulerConfigInput } from './schedulers/scheduler-config.js';
export type { TimestepSpacing } from './schedulers/timestep-spacing.js';
export {
  INPAINTING_PERCENTILE,
  Kandinsky3Sampler,
  TEXT_TO_IMAGE_PERCENTILE,
  type Kandinsky3SamplerOptions,
} from './schedulers/kandinsky-sampler.js';
export {
  FLASH_TIMESTEPS,
  FlashSampler,
  type FlashPrediction,
  type FlashSamplerOptions,
} from './schedulers/flash-sampler.js';
export { alphasCumprod, betaSchedule, type BetaScheduleName, type BetaScheduleOptions } from './schedulers/beta-schedule.js';
export { strengthTimesteps, type StrengthTimesteps } from './schedulers/strength.js';

// Guidance (spec §3.8, §4.6).
export {
  classifierFreeGuidance,
  classifierFreeGuidanceBatched,
  type BatchedClassifierFreeGuidanceOptions,
  type ClassifierFreeGuidanceOptions,
  type GuidanceBatchOrder,
} from './guidance/classifier-free-guidance.js';
export { mixImageEmbeddings, type MixImageEmbeddingsOptions } from './guidance/image-embedding-mix.js';

// MultiDiffusion tiling for KandiSuperRes (spec §4.8).
export { planViews, type PlanViewsOptions, type TileView, type ViewLayoutRule } from './tiling/view-planner.js';
export { extractViews, selectView } from './tiling/view-crops.js';
export { featheredViewWeights, type FeatheredViewWeightsOptions } from './tiling/view-weights.js';
export {
  MultiDiffusionBlender,
  type BlendAccumulator,
  type MultiDiffusionBlenderOptions,
} from './tiling/multidiffusion-blender.js';
export { ViewStates } from './tiling/view-states.js';

// Images on plain RGB buffers (spec §5).
export { createRgbImage, type RgbImage } from './image/rgb-image.js';
export { createImageMask, type ImageMask } from './image/image-mask.js';
export {
  imagesToTensor,
  maskToTensor,
  tensorToImages,
  type ImagesToTensorOptions,
  type PixelRange,
  type PixelRounding,
  type TensorToImagesOptions,
} from './image/image-tensor.js';
export type { Resizable, TargetSize } from './image/resizable.js';
export { interpolate, type InterpolateOptions, type InterpolationMode } from './image/interpolate.js';
export { resizeLikePillow, type PillowFilter, type PillowResizeOptions } from './image/pillow-resize.js';
export { centerCrop, crop, pad, type CropRectangle, type PadOptions, type PaddingMode } from './image/crop-pad.js';
export { prepareClipPixelValues, type ClipPreprocessOptions } from './image/clip-preprocess.js';
export { cannyEdges, type CannyOptions } from './image/canny-edges.js';
export { hedEdgeMap } from './image/hed-edge-map.js';
export {
  maskFromAlpha,
  maskFromImage,
  rectangleMask,
  toInpaintingMask,
  type InpaintingMaskInput,
  type MaskRectangle,
} from './image/inpainting-mask.js';
export { dilateMask } from './image/mask-dilation.js';
export { pasteBack, type PasteBackOptions } from './image/paste-back.js';

// Generation parameters in PNG text chunks.
export { readPngText, type PngTextEntry } from './metadata/png-text-chunks.js';
export {
  embedGenerationMetadata,
  extractGenerationMetadata,
  type GenerationMetadata,
} from './metadata/generation-metadata.js';
export { toGenerationMetadata, type ToGenerationMetadataOptions } from './metadata/generation-parameters-metadata.js';

// The backend contract (DESIGN.md §3): backends supply a RawSession, core wraps it.
export type { Backend } from './backend/backend.js';
export type { BackendCapabilities } from './backend/backend-capabilities.js';
export type { Device } from './backend/device.js';
export type { GraphOptimizationLevel, LoadModelOptions } from './backend/load-model-options.js';
export type { ModelSession, RunOptions, TensorMap } from './backend/model-session.js';
export type { RawSession } from './backend/raw-session.js';
export {
  OrtRawSession,
  openOrtSession,
  type OpenOrtSessionOptions,
  type OrtSessionLike,
  type OrtTensorDataType,
  type OrtTensorFactory,
  type OrtTensorLike,
  type OrtValueMetadata,
} from './backend/ort-raw-session.js';
export { createModelSession, type ModelSessionOptions } from './backend/create-model-session.js';
export {
  normalizeModelSource,
  type ExternalDataEntry,
  type ModelFiles,
  type ModelSource,
  type NormalizedModelSource,
} from './backend/model-source.js';
export type { Dimension, TensorSpec } from './backend/tensor-spec.js';
export { normalizeRuntimeError, type RuntimeErrorContext } from './backend/normalize-runtime-error.js';
export {
  checkSessionContract,
  type ComponentContract,
  type ContractProblem,
  type TensorContract,
} from './backend/component-contract.js';

// Model folders (docs/model-format.md) and the ONNX contract of every component.
export { parseModelIndex, type ModelIndex, type PromptConvention } from './model/model-index.js';
export { ModelFolder, type ComponentConfig, type ModelFileSource } from './model/model-folder.js';
export { loadFolderTokenizer, type TokenizerFactory } from './model/folder-tokenizer.js';
export {
  causalLanguageModelContract,
  COMPONENT_CONTRACTS,
  CONTROLLED_UNET_CONTRACT,
  CONTROLNET_UNET_CONTRACT,
  CONTROLNET_V2_CONTRACT,
  EDGE_DETECTOR_CONTRACT,
  IMAGE_ENCODER_CONTRACT,
  INPAINTING_UNET_CONTRACT,
  IP_ADAPTER_UNET_CONTRACT,
  MOVQ_DECODER_CONTRACT,
  MOVQ_ENCODER_CONTRACT,
  SUPER_RESOLUTION_UNET_CONTRACT,
  TEXT_ENCODER_CONTRACT,
  TEXT_PROJECTION_CONTRACT,
  UNET_CONTRACT,
} from './model/component-contracts.js';

// Pipelines (spec §4): one small pipeline per task over one denoising loop.
export { MAX_PROMPT_TOKENS, tokenizePrompt, type PromptTokens, type TextTokenizer } from './pipelines/prompt-tokens.js';
export {
  encodePrompt,
  type EncodedPrompt,
  type EncodePromptOptions,
  type PromptContexts,
  type PromptEncoderModels,
} from './pipelines/prompt-encoder.js';
export { denoise, guidedStep, type DenoiseOptions, type DenoiseStep, type Guidance } from './pipelines/denoise.js';
export { UnetFeeds, type UnetConditioning } from './pipelines/unet-feeds.js';
export type { BeautifiedPrompt, BeautifyOptions, PromptBeautifier } from './pipelines/prompt-beautifier.js';
export { PIXEL_MULTIPLE } from './pipelines/generation-options.js';
export {
  DEFAULT_MAX_JOB_PIXELS,
  DEFAULT_MAX_PIXELS,
  checkPixelLimits,
  type PixelLimits,
} from './pipelines/pixel-limits.js';
export { Kandinsky3Components, type Kandinsky3ComponentsOptions } from './pipelines/kandinsky3-components.js';
export { TextToImagePipeline } from './pipelines/text-to-image-pipeline.js';
export { ImageToImagePipeline } from './pipelines/image-to-image-pipeline.js';
export { FlashPipeline } from './pipelines/flash-pipeline.js';
export { INPAINTING_GUIDANCE_SCALE, InpaintingPipeline } from './pipelines/inpainting-pipeline.js';
export type { InpaintingOptions } from './pipelines/inpainting-options.js';
export { inpaintingSize, prepareInpaintingInputs, type InpaintingInputs } from './pipelines/inpainting-inputs.js';
export { Kandinsky3 } from './pipelines/kandinsky3.js';
export { encodeK3dPrompt, type K3dPromptModels, type K3dPromptOptions, type K3dPromptVariant } from './pipelines/k3d-prompt-encoder.js';
export {
  IpAdapterPipeline,
  type IpAdapterMixOptions,
  type IpAdapterOptions,
  type IpAdapterParameters,
  type IpAdapterResult,
  type IpAdapterVariationOptions,
} from './pipelines/ip-adapter-pipeline.js';
export {
  ControlNetPipeline,
  type ControlNetOptions,
  type ControlNetParameters,
  type ControlNetResult,
  type EdgeDetector,
} from './pipelines/controlnet-pipeline.js';
export type {
  BaseGenerationOptions,
  FlashOptions,
  GenerationParameters,
  GenerationResult,
  ImageToImageOptions,
  TextToImageOptions,
} from './pipelines/generation-types.js';
