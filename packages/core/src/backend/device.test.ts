import { describe, expect, it } from 'vitest';
import { Devices, isDevice } from './device.js';

describe('isDevice', () => {
  it('accepts exactly the four devices', () => {
    expect([...Devices].sort()).toEqual(['cpu', 'cuda', 'wasm', 'webgpu']);
    for (const device of Devices) expect(isDevice(device)).toBe(true);
    for (const other of ['gpu', 'CPU', 'webgl', '', undefined, 0]) expect(isDevice(other)).toBe(false);
  });
});
