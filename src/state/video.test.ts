import { describe, expect, it } from 'vitest';
import { isVideoFile } from './video.ts';

describe('isVideoFile', () => {
  it('goes by the type, or by the extension when the browser gives none', () => {
    expect(isVideoFile({ name: 'a.bin', type: 'video/webm' })).toBe(true);
    expect(isVideoFile({ name: 'clip.MP4', type: '' })).toBe(true);
    expect(isVideoFile({ name: 'photo.jpg', type: 'image/jpeg' })).toBe(false);
    expect(isVideoFile({ name: 'clip.mp4', type: 'image/png' })).toBe(false);
  });
});
