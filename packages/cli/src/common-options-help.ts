import { PIXEL_LIMITS_HELP } from './pixel-limit-options.js';
import { PROMPT_FILE_HELP } from './prompt-file.js';

/** Help lines of the device and output options every generating command shares. */
export const DEVICE_AND_OUTPUT_HELP = `  --device D           auto | cpu | cuda | webgpu (default auto)
  --out PATH           folder (PREFIX-SEED.png files), or a .png, .jpg or .webp file name:
                       the format follows the extension (default: current folder)
  --force              overwrite existing files (without it, the command stops before generating)
`;

/** Help lines that close every generating command's options: memory, limits, prompt file, output. */
export const RUN_OPTIONS_HELP = `  --low-memory         release each stage's models after use
${PIXEL_LIMITS_HELP}${PROMPT_FILE_HELP}  --json               print a JSON summary on stdout (progress goes to stderr)
  --quiet              no progress output
  -h, --help           this help
`;
