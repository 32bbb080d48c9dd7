/**
 * Test media made on the fly from the shared face photos (nothing binary is committed):
 * a one-frame y4m for Chromium's fake camera (it loops forever), and the same frame as PNG for the Node reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** 640×480 frame (the photo scaled to 480 high, centred, black bars) as y4m + the decoded frame as PNG. */
export function makeFakeCamera(photo: string, dir: string): { y4m: string; png: string } {
  const y4m = join(dir, 'camera.y4m');
  const png = join(dir, 'camera-frame.png');
  ffmpeg(['-i', photo, '-vf', 'scale=-2:480,pad=640:480:(ow-iw)/2:0,format=yuv420p', '-frames:v', '1', y4m]);
  // Decode the y4m itself so the Node reference sees the same YUV→RGB round trip as the browser's camera.
  ffmpeg(['-i', y4m, '-frames:v', '1', '-pix_fmt', 'rgb24', png]);
  return { y4m, png };
}

/** A huge JPEG (default 12000×12000) of a face photo, for the "never crash the tab" test. */
export function makeHugeJpeg(photo: string, dir: string, side = 12000): string {
  const out = join(dir, `huge-${side}.jpg`);
  ffmpeg(['-i', photo, '-vf', `scale=${side}:${side}:flags=bilinear`, '-q:v', '8', '-frames:v', '1', out]);
  return out;
}

/**
 * Grey 640×480 at `fps`, Grace Hopper's photo (320 px high) sliding right at 40 px/s for `seconds`; VP9 in WebM (no
 * patents, Chromium plays it). The face's true motion is known, so tracks and boxes can be checked against it.
 */
export function makeMovingFaceVideo(photo: string, dir: string, options: { seconds: number; fps: number }): string {
  const out = join(dir, 'moving-face.webm');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=gray:s=640x480:d=${options.seconds}:r=${options.fps}`,
    '-loop',
    '1',
    '-i',
    photo,
    '-filter_complex',
    '[1]scale=-2:320[f];[0][f]overlay=x=60+40*t:y=80:shortest=1,format=yuv420p',
    '-c:v',
    'libvpx-vp9',
    '-b:v',
    '0',
    '-crf',
    '20',
    '-deadline',
    'realtime',
    '-an',
    out,
  ]);
  return out;
}
