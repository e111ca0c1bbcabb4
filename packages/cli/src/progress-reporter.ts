import type { ProgressEvent } from '@kandinsky/core';
import type { CliStream } from './cli-io.js';

/**
 * Turns progress events into terminal output: a redrawn bar on a TTY, one plain line per stage
 * and every tenth step otherwise (logs and CI stay readable).
 */
export function createProgressReporter(stream: CliStream, quiet: boolean): (event: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  let barOpen = false;
  const closeBar = () => {
    if (barOpen) stream.write('\n');
    barOpen = false;
  };
  return (event) => {
    if (quiet) return;
    switch (event.type) {
      case 'stage':
        if (event.status === 'end' && event.stage !== 'denoise') {
          closeBar();
          stream.write(`${event.stage}${event.component ? ` (${event.component})` : ''}: ${event.elapsedMs?.toFixed(0)} ms\n`);
        }
        break;
      case 'step': {
        const done = event.index + 1;
        if (tty) {
          const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 40));
          const filled = Math.round((done / event.total) * width);
          stream.write(`\r${event.stage} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${event.total} t=${event.timestep}`);
          barOpen = true;
          if (done === event.total) closeBar();
        } else if (done === event.total || done % 10 === 0 || done === 1) {
          stream.write(`${event.stage} step ${done}/${event.total} (t=${event.timestep})\n`);
        }
        break;
      }
      case 'warning':
        closeBar();
        // With --device auto (the default) on a machine without a GPU, the CPU is the expected
        // outcome: say which device runs, not a warning that reads like an error.
        if (event.code === 'DEVICE_FALLBACK') stream.write(`device: ${event.message}\n`);
        else stream.write(`warning [${event.code}]: ${event.message}\n`);
        break;
      default:
        break;
    }
  };
}
