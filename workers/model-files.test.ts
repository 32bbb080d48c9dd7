import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkOnnxBytes, DETECTOR_FILES, fetchModelFile, ModelFileError } from './model-files.ts';

const front = new Uint8Array(readFileSync(new URL(`../public/${DETECTOR_FILES.front}`, import.meta.url)));
const respond = (body: BodyInit | null, status = 200) =>
  (async () => new Response(body, { status })) as unknown as typeof fetch;

describe('detector model files', () => {
  it('accepts the real BlazeFace model installed by the setup step', () => {
    expect(() => checkOnnxBytes(DETECTOR_FILES.front, front)).not.toThrow();
  });

  it('names the file and the restore command when the server answers 404', async () => {
    const err = await fetchModelFile('http://app.test/', DETECTOR_FILES.front, respond('not found', 404)).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.message).toContain('models/blazeface/face_detection_front_128.onnx');
    expect(err.message).toContain('HTTP 404');
    expect(err.message).toContain('npm run setup:models');
  });

  it('recognises an SPA fallback page served instead of the model', async () => {
    const html = '<!doctype html><html>' + ' '.repeat(2000) + '</html>';
    await expect(fetchModelFile('http://app.test/', DETECTOR_FILES.front, respond(html))).rejects.toThrow(
      /missing \(the server answered with a web page\)/,
    );
  });

  it('rejects truncated and corrupt bytes', () => {
    expect(() => checkOnnxBytes('m.onnx', front.slice(0, 100))).toThrow(/too small/);
    const corrupt = front.slice();
    corrupt[0] = 0xff;
    expect(() => checkOnnxBytes('m.onnx', corrupt)).toThrow(/not an ONNX model/);
  });
});
