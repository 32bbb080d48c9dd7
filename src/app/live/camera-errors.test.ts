import { describe, expect, it } from 'vitest';
import { cameraErrorMessage } from './camera-errors.ts';

const domError = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('cameraErrorMessage', () => {
  it('explains a denied permission and how to fix it', () => {
    const m = cameraErrorMessage(domError('NotAllowedError', 'Permission denied'));
    expect(m).toMatch(/permission was denied/i);
    expect(m).toMatch(/Start again/);
  });
  it('explains a missing camera', () => {
    expect(cameraErrorMessage(domError('NotFoundError'))).toMatch(/No camera was found/);
  });
  it('explains a busy camera', () => {
    expect(cameraErrorMessage(domError('NotReadableError'))).toMatch(/another application/);
  });
  it('keeps the original text of unknown errors', () => {
    expect(cameraErrorMessage(domError('WeirdError', 'driver said no'))).toContain('driver said no');
  });
});
