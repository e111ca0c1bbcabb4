export {
  assertImageSize,
  assertRgbImage,
  createRgbImage,
  RGB_CHANNELS,
  type RgbImage,
} from './rgb-image.js';
export { createImageMask, type ImageMask } from './image-mask.js';
export {
  imagesToTensor,
  maskToTensor,
  normalizeChannels,
  tensorToImages,
  type ImagesToTensorOptions,
  type PixelRange,
  type PixelRounding,
  type TensorToImagesOptions,
} from './image-tensor.js';
export type { Resizable, TargetSize } from './resizable.js';
export {
  interpolate,
  type InterpolateOptions,
  type InterpolationMode,
} from './interpolate.js';
export {
  resizeLikePillow,
  type PillowFilter,
  type PillowResizeOptions,
} from './pillow-resize.js';
export {
  centerCrop,
  crop,
  pad,
  type CropRectangle,
  type PadOptions,
  type PaddingMode,
} from './crop-pad.js';
export {
  CLIP_IMAGE_MEAN,
  CLIP_IMAGE_SIZE,
  CLIP_IMAGE_STANDARD_DEVIATION,
  clipResizeSize,
  prepareClipPixelValues,
  type ClipPreprocessOptions,
} from './clip-preprocess.js';
