/**
 * A snapshot of the live video: the current frame as a lossless PNG file, which then goes through the photo path
 * (every enabled task, the 512 ones included, on exactly this frame) and becomes a card in the gallery.
 */
export async function grabSnapshot(video: HTMLVideoElement, at = new Date()): Promise<File> {
  const { videoWidth: width, videoHeight: height } = video;
  if (width === 0 || height === 0) throw new Error('the video has no frame yet');
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot copy the frame (no 2D canvas)');
  ctx.drawImage(video, 0, 0, width, height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the frame could not be encoded');
  return new File([blob], `${snapshotName(at)}.png`, { type: 'image/png' });
}

/** "snapshot 2026-12-01 18.30.05" in local time (no ':' — not allowed in file names on every system). */
export function snapshotName(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `snapshot ${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}.${p(at.getMinutes())}.${p(at.getSeconds())}`;
}
