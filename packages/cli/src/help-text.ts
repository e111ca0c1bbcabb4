import { LLM_OPTIONS_HELP } from './beautify-command.js';
import { SCHEDULER_HELP } from './scheduler-option.js';
import { DEVICE_AND_OUTPUT_HELP, RUN_OPTIONS_HELP } from './common-options-help.js';

export const MAIN_HELP = `kandinsky — Kandinsky 3.1 image generation on ONNX Runtime

Usage:
  kandinsky generate "PROMPT" [options]     text → image (or --flash)
  kandinsky img2img IMAGE "PROMPT" [options] image → image
  kandinsky inpaint IMAGE MASK "PROMPT"     repaint the white part of MASK
  kandinsky beautify "PROMPT" [options]     expand a short prompt with an LLM (spec §4.9)
  kandinsky variation IMAGE [IMAGE …] [options]  IP-Adapter: variation, mix, image + text
  kandinsky controlnet IMAGE "PROMPT" [options]  ControlNet: follow IMAGE's edges (HED or Canny)
  kandinsky upscale IMAGE [options]         KandiSuperRes ×4 super-resolution, up to 8192²
  kandinsky <command> --help                options of a command

Without --model the tiny model of the @kandinsky/tiny-models package (coloured shapes, 64×64)
is used; install that package, or pass --model DIR.
`;

const COMMON = `  --size WxH           image size, sides multiple of 64 (default: the model's, 64 for tiny)
  --seed N             seed of the first image; image i uses N+i (default: random)
  --count N            number of images, 1–64 (default 1)
  --model DIR          model folder (default: kandinsky3-tiny from @kandinsky/tiny-models)
${DEVICE_AND_OUTPUT_HELP}  --upscale 4|2        then upscale with KandiSuperRes (see kandinsky upscale); the PNG records both
  --upscale-model DIR  KandiSuperRes folder for --upscale (default: kandisuperres-x4, tiny)
${RUN_OPTIONS_HELP}`;

export const GENERATE_HELP = `kandinsky generate "PROMPT" [options]

Text → image with the Kandinsky 3.1 sampler (spec §4.2), or the 4-step Flash model (--flash).

Options:
  --negative TEXT      negative prompt (not with --flash)
  --flash              4-step Flash model, no guidance: takes no --guidance or --negative; with
                       --scheduler lcm, --steps N picks the step count (default 4)
  --steps N            denoising steps, 1–1000 (default 50 for the original sampler)
  --guidance W         guidance weight w ≥ 0 of (w+1)·cond − w·uncond (default 3)
  --beautify           expand the prompt with an LLM first (see kandinsky beautify --help);
                       the PNG keeps both prompts
${LLM_OPTIONS_HELP}${SCHEDULER_HELP}${COMMON}
Example:
  kandinsky generate "a red circle on a white background" --seed 42 --out out/
`;

export const IMG2IMG_HELP = `kandinsky img2img IMAGE "PROMPT" [options]

Image → image (spec §4.4): the image is encoded, noised to the strength, and denoised.

Options:
  --strength S         0 keeps the image, 1 ignores it (default 0.3)
                       Without --size the image's own size is used; another size (sides not
                       multiples of 64, over 1024² pixels) is scaled/floored to fit, with a note.
  --negative TEXT      negative prompt
  --steps N            steps of the full schedule (default 50; strength picks the tail)
  --guidance W         guidance weight (default 3)
${SCHEDULER_HELP}${COMMON}
Example:
  kandinsky img2img photo.png "a blue square" --strength 0.6 --out edited.png
`;
