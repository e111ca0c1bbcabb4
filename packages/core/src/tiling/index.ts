export {
  planAxis,
  planViews,
  scaleView,
  type AxisLayout,
  type PlanViewsOptions,
  type TileView,
  type ViewLayoutRule,
} from './view-planner.js';
export { canvasLayout, type CanvasLayout } from './canvas-layout.js';
export { extractViews, selectView } from './view-crops.js';
export { featheredViewWeights, type FeatheredViewWeightsOptions } from './view-weights.js';
export {
  MultiDiffusionBlender,
  type BlendAccumulator,
  type MultiDiffusionBlenderOptions,
} from './multidiffusion-blender.js';
export { ViewStates } from './view-states.js';
