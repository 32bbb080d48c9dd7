/**
 * One analysing session of the CLI: a Faceptor (detector + optional model package) on onnxruntime-node with ONE
 * intra-op thread, and the per-file step `analyzeFile`. The main thread runs one (`--workers 1`, the default); each
 * worker thread of `--workers N` runs its own (analyze-worker.ts), so N sessions share the cores as N single-threaded
 * processes would, without ORT's thread pools fighting over them.
 *
 * Kept apart from analyze.ts, whose module body starts the CLI: a worker thread importing it would start a second CLI.
 */
import { performance } from 'node:perf_hooks';
import { createFaceptor, type Faceptor, type DetectorChoice } from '../../src/lib/index.ts';
import { toImageEntry, type ImageEntry, type ModelJson } from '../../src/pipeline/analysis-json.ts';
import {
  createNodeBackend,
  decodeOnOneThread,
  folderPackageSource,
  loadBlazeFaceModels,
  loadAnalysisImage,
} from '../node-host/index.ts';

/** What a session needs to analyse like the CLI was asked (structured-clone safe: it is sent to worker threads). */
export interface SessionSettings {
  readonly detector: DetectorChoice;
  readonly minScore?: number;
  readonly maxFaces?: number;
  readonly modelDir?: string;
  readonly tasks: readonly string[];
  readonly denseCrops: 'shared' | 'exact';
}

/** Opening failed: `exitCode` 1 (a file cannot be loaded) or 2 (a usage error, e.g. an unknown task). */
export class SessionOpenError extends Error {
  override readonly name = 'SessionOpenError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface AnalyzeSession {
  readonly faceptor: Faceptor;
  /** The document's `model` (provenance, resolved tasks, provider), when a package was given. */
  readonly model?: ModelJson;
}

export async function openSession(settings: SessionSettings): Promise<AnalyzeSession> {
  decodeOnOneThread(); // one image at a time per session: one core per session, the decode included
  let faceptor: Faceptor;
  try {
    faceptor = await createFaceptor({
      backend: createNodeBackend({ threads: 1 }),
      detectorModels: await loadBlazeFaceModels(),
      ...(settings.modelDir && { model: folderPackageSource(settings.modelDir) }),
    });
  } catch (e) {
    throw new SessionOpenError((e as Error).message, 1);
  }
  if (!faceptor.model) return { faceptor };
  try {
    return {
      faceptor,
      model: {
        ...faceptor.model.info,
        tasks: faceptor.model.resolveTasks(settings.tasks),
        provider: faceptor.provider,
      },
    };
  } catch (e) {
    await faceptor.dispose();
    throw new SessionOpenError((e as Error).message, 2);
  }
}

export async function analyzeFile(faceptor: Faceptor, file: string, settings: SessionSettings): Promise<ImageEntry> {
  try {
    const t0 = performance.now();
    const { image, source } = await loadAnalysisImage(file);
    const decodeMs = performance.now() - t0;
    const analysis = await faceptor.analyze(image, {
      detector: settings.detector,
      minScore: settings.minScore,
      maxFaces: settings.maxFaces,
      decodeMs,
      sourceSize: source,
      tasks: settings.tasks,
      denseCrops: settings.denseCrops,
    });
    return toImageEntry(file, analysis);
  } catch (err) {
    return { file, error: err instanceof Error ? err.message : String(err) };
  }
}
