import { describe, expect, it, vi } from 'vitest';
import { seekFrame } from './analyse-video.ts';

/** A <video> stand-in: setting currentTime schedules 'seeked'; the test decides when (or whether) the frame is presented. */
function fakeVideo(frameCallback: boolean) {
  const target = new EventTarget();
  let present: (() => void) | null = null;
  const video = {
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    set currentTime(_: number) {
      setTimeout(() => target.dispatchEvent(new Event('seeked')), 5);
    },
    ...(frameCallback && {
      requestVideoFrameCallback: (cb: () => void) => {
        present = cb;
        return 1;
      },
      cancelVideoFrameCallback: () => {
        present = null;
      },
    }),
  };
  return { video: video as unknown as HTMLVideoElement, present: () => present?.() };
}

describe('seekFrame', () => {
  it("waits past 'seeked' for the new frame to be presented (Chromium may still draw the old one at 'seeked')", async () => {
    vi.useFakeTimers();
    const { video, present } = fakeVideo(true);
    let done = false;
    const p = seekFrame(video, 1.5).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10); // 'seeked' has fired
    expect(done).toBe(false);
    present();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    await p;
    vi.useRealTimers();
  });
  it('reads after a short grace when no new frame comes (a seek to the frame already shown), or at once without the API', async () => {
    vi.useFakeTimers();
    const a = fakeVideo(true);
    let done = false;
    void seekFrame(a.video, 0).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(400);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(done).toBe(true);
    const b = fakeVideo(false);
    let plain = false;
    void seekFrame(b.video, 0).then(() => {
      plain = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(plain).toBe(true);
    vi.useRealTimers();
  });
});
