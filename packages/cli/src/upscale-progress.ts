import type { ProgressEvent } from '@kandinsky/core';
import type { CliStream } from './cli-io.js';

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  return whole >= 60 ? `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/**
 * Progress of `kandinsky upscale` over every view of every step (steps × views UNet items): a
 * redrawn bar with percentage and ETA on a terminal, one plain line per step otherwise.
 * @param now clock in milliseconds (tests pass a fake). @default performance.now
 */
export function createUpscaleProgress(
  stream: CliStream,
  quiet: boolean,
  now: () => number = () => performance.now(),
): (event: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  let started: number | undefined;
  let barOpen = false;
  return (event) => {
    if (quiet) return;
    if (event.type === 'stage' && event.stage === 'upscale' && event.status === 'start') started = now();
    if (event.type === 'tile') {
      const all = event.total * event.totalSteps;
      const done = event.step * event.total + event.index + 1;
      const elapsed = (now() - (started ?? now())) / 1000;
      const eta = (elapsed / done) * (all - done);
      if (tty) {
        const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 50));
        const filled = Math.round((done / all) * width);
        const percent = Math.floor((done / all) * 100);
        stream.write(
          `\rupscale [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% step ${event.step + 1}/${event.totalSteps} view ${event.index + 1}/${event.total} ETA ${formatSeconds(eta)}`,
        );
        barOpen = true;
      } else if (event.index + 1 === event.total) {
        stream.write(
          `upscale step ${event.step + 1}/${event.totalSteps}: ${event.total} views, ${Math.floor((done / all) * 100)}%, ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}\n`,
        );
      }
    }
    if (event.type === 'stage' && event.status === 'end') {
      if (barOpen) stream.write('\n');
      barOpen = false;
      stream.write(`${event.stage}${event.component ? ` (${event.component})` : ''}: ${event.elapsedMs?.toFixed(0)} ms\n`);
    }
    if (event.type === 'warning') stream.write(`warning [${event.code}]: ${event.message}\n`);
  };
}
