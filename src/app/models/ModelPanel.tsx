/**
 * The Faceptor model manager: which package is loaded (with its provenance), a picker over the listed packages, a
 * drop area for an exported folder, load progress, the worker's refusal when a package is bad, and the model cache.
 * Untrained weights get a permanent banner: their outputs must never pass for predictions.
 */
import { useState, type DragEvent } from 'react';
import { OFFICIAL_CHECKPOINT_URL, VARIANT_TITLES } from '../../core/faceptor/tasks.ts';
import {
  droppedChoices,
  filesChoice,
  listedChoice,
  noticeState,
  pickerGroups,
  precisionOf,
  storedChoice,
  untrainedLabel,
  useModels,
  type ModelChoice,
} from '../../state/models.ts';
import type { ModelStatus } from '../../../workers/perception-api.ts';
import { fromDataTransfer, fromFiles, type PickedPackage } from './dropped-files.ts';
import { droppedPackages } from './dropped-packages.ts';
import { formatBytes, shortHash } from './format.ts';
import { TaskControls } from './TaskControls.tsx';
import { CheckpointExport } from './CheckpointExport.tsx';
import { StoredModels } from './StoredModels.tsx';
import { FilePickerButton } from '../common/FilePickerButton.tsx';
import { useModelLoader, useModelStartup } from './useModelLoader.ts';
import { useEngine } from '../../state/engine.ts';
import './test-sections.ts';
import './models.css';

export function ModelPanel() {
  useModelStartup();
  const loader = useModelLoader();
  const models = useModels();
  const engineFailed = useEngine((e) => e.phase === 'error');
  const state = noticeState(models, engineFailed);
  const untrained = untrainedLabel(models);
  const { current, load } = models;

  const loadPicked = async (picked: PickedPackage) => {
    if (!picked.files.length) return;
    // Several packages in one folder (e.g. one checkpoint at several precisions): offer them, load none yet.
    const several = await droppedPackages(picked);
    if (several) models.offerDropped(droppedChoices(picked.name, several));
    else void loader.load(filesChoice(picked.name, picked.files, picked.paths));
  };

  return (
    <section className="model-panel" data-testid="model-notice" data-state={state}>
      {untrained !== null && (
        <p className="banner-untrained" data-testid="untrained-banner">
          <strong>Untrained model — outputs are meaningless:</strong> {untrained}
        </p>
      )}
      <ModelPicker onChoose={(c) => void loader.load(c)} />
      {models.dropped.length > 0 && !models.dropped.some((c) => c.key === models.currentChoice?.key) && (
        <p className="model-drop-choices" role="status" data-testid="model-drop-choices">
          The dropped folder holds {models.dropped.length} model packages: choose one in the Faceptor model list above.
        </p>
      )}
      {load.state === 'loading' && <LoadProgress />}
      {load.state === 'error' && (
        <p className="model-error" role="alert" data-testid="model-error" data-code={load.code}>
          Could not load {load.choice.title}: {load.message}
          {current ? ` Still using ${current.info.label}.` : ''}
        </p>
      )}
      {state === 'error' && load.state !== 'error' && (
        <p className="model-error" role="alert" data-testid="model-error">
          The Faceptor model cannot be loaded while the engine is not running (see the message above).
        </p>
      )}
      {current && (
        // Provenance and "add a model" fold away once a model runs: the video and photos are what the page is for.
        <details className="model-details" data-testid="model-details">
          <summary>{current.info.label} — details, add another model</summary>
          <Provenance status={current} />
          <CheckpointExport onStored={(c) => loader.load(c)} onRecorded={(id) => loader.recordProvenance(id)} />
          <StoredModels onChoose={(c) => void loader.load(c)} />
          <DropArea onPicked={(p) => void loadPicked(p)} disabled={load.state === 'loading'} />
        </details>
      )}
      {state === 'none' && (
        <p data-testid="model-none">
          <strong>No Faceptor model installed.</strong> Face detection (BlazeFace) works meanwhile.
        </p>
      )}
      {!current && (
        <CheckpointExport onStored={(c) => loader.load(c)} onRecorded={(id) => loader.recordProvenance(id)} />
      )}
      {!current && <StoredModels onChoose={(c) => void loader.load(c)} />}
      {!current && (
        // The checkpoint is the newcomer's path; the other ways fold, so the camera and photos stay near the top.
        <details className="model-details" data-testid="model-more">
          <summary>Other ways to add a model: an exported folder, or `npm run export`</summary>
          {state !== 'loading' && <HowToAdd />}
          <DropArea onPicked={(p) => void loadPicked(p)} disabled={load.state === 'loading'} />
          <CacheInfo onClear={() => void loader.clearCache()} />
        </details>
      )}
      {current && <CacheInfo onClear={() => void loader.clearCache()} />}
      {current && <TaskControls />}
    </section>
  );
}

function HowToAdd() {
  return (
    <p className="model-howto" data-testid="model-howto">
      To add Faceptor's landmarks, face parsing, age, expression, attributes and identity: download an official
      checkpoint (
      <a href={OFFICIAL_CHECKPOINT_URL} target="_blank" rel="noreferrer">
        Faceptor model zoo
      </a>
      ) and drop it above; or run <code>npm run export -- &lt;checkpoint.pth.tar&gt;</code> (the package lands in{' '}
      <code>public/models</code> and in this list), or drop an exported package folder below.
    </p>
  );
}

/** Listed packages, plus the current/`?model=`/dropped choice when it is not one of them. Choosing loads. */
function ModelPicker({ onChoose }: { onChoose: (choice: ModelChoice) => void }) {
  const listing = useModels((s) => s.listing);
  const indexUrl = useModels((s) => s.indexUrl);
  const currentChoice = useModels((s) => s.currentChoice);
  const load = useModels((s) => s.load);
  const stored = useModels((s) => s.stored);
  const dropped = useModels((s) => s.dropped);
  const listed = [
    ...(listing.state === 'found' ? listing.packages.map((p) => listedChoice(p, indexUrl)) : []),
    ...stored.map(storedChoice),
    ...dropped,
  ];
  const shown = load.state === 'loading' ? load.choice : currentChoice;
  const extra = [currentChoice, shown].filter(
    (c, i, all): c is ModelChoice =>
      !!c &&
      c.kind !== 'listed' &&
      !listed.some((l) => l.key === c.key) &&
      all.findIndex((d) => d?.key === c.key) === i,
  );
  const choices = [...listed, ...extra];
  if (!choices.length) return null;
  return (
    <label className="model-picker">
      Faceptor model{' '}
      <select
        data-testid="model-select"
        value={shown?.key ?? ''}
        disabled={load.state === 'loading'}
        onChange={(e) => {
          const c = choices.find((x) => x.key === e.target.value);
          if (c) onChoose(c);
        }}
      >
        {!shown && <option value="">— none loaded —</option>}
        {pickerGroups(choices).map((g) =>
          g.title === null ? (
            <ChoiceOption key={g.choices[0]!.key} choice={g.choices[0]!} />
          ) : (
            <optgroup
              key={g.choices[0]!.key}
              label={`${g.title} — ${g.choices.length} ${g.choices[0]!.kind === 'files' ? 'packages' : 'precisions'}`}
              data-testid={g.choices[0]!.kind === 'files' ? 'model-dropped' : 'model-precisions'}
            >
              {g.choices.map((c) => (
                <ChoiceOption key={c.key} choice={c} />
              ))}
            </optgroup>
          ),
        )}
      </select>
    </label>
  );
}

/** One package in the picker: label, variant, precision and its download (weights) size when known. */
function ChoiceOption({ choice: c }: { choice: ModelChoice }) {
  const size = (bytes: number | undefined) => (bytes === undefined ? '' : `, ${formatBytes(bytes)}`);
  const dropped = c.kind === 'files' ? c.drop?.summary : undefined;
  return (
    <option value={c.key} data-precision={precisionOf(c) || undefined}>
      {c.kind === 'listed'
        ? `${c.entry.label} (${variantTitle(c.entry.variant)}, ${c.entry.precision}${size(c.entry.weightsBytes)})${c.entry.untrained ? ' — untrained' : ''}`
        : c.kind === 'stored'
          ? `${c.stored.label} (${variantTitle(c.stored.variant)}, ${c.stored.precision}${size(c.stored.weightsBytes)}) — stored in this browser${c.stored.untrained ? ' — untrained' : ''}`
          : dropped
            ? `${dropped.label} (${variantTitle(dropped.variant)}, ${dropped.precision}${size(dropped.weightsBytes)}) — ${c.title}${dropped.untrained ? ' — untrained' : ''}`
            : c.title}
    </option>
  );
}

function LoadProgress() {
  const load = useModels((s) => s.load);
  if (load.state !== 'loading') return null;
  const p = load.progress;
  return (
    <div
      className="model-progress"
      role="status"
      aria-live="polite"
      data-testid="model-progress"
      data-loaded={p?.loaded ?? 0}
      data-total={p?.total ?? 0}
      data-from-cache={p?.fromCache ? 'true' : 'false'}
      data-phase={p?.phase ?? 'reading'}
    >
      <progress max={p?.total || 1} value={p ? p.loaded : undefined} />
      <span>
        Loading {load.choice.title}
        {!p && ' — reading its manifest…'}
        {p && p.phase !== 'verifying' && ` — ${p.file}: ${formatBytes(p.loaded)} of ${formatBytes(p.total)}`}
        {p?.phase === 'verifying' && ` — checking ${p.file} (sha256; a large file takes a few seconds)…`}
        {p?.fromCache && ' (from cache)'}
      </span>
    </div>
  );
}

function Provenance({ status }: { status: ModelStatus }) {
  const { info } = status;
  return (
    <dl
      className="model-provenance"
      data-testid="model-provenance"
      data-label={info.label}
      data-variant={info.variant}
      data-precision={info.precision}
      data-untrained={info.untrained ? 'true' : 'false'}
      data-sha256={info.sourceSha256}
      data-tasks={info.tasks.length}
      data-bytes={status.bytes}
      data-origin={status.origin}
    >
      <dt>Model</dt>
      <dd>
        {info.label} — {variantTitle(info.variant)}, {info.precision}
      </dd>
      <dt>Source</dt>
      <dd>
        {info.sourceFile}{' '}
        {info.sourceSha256 ? (
          <code title={info.sourceSha256}>{shortHash(info.sourceSha256)}</code>
        ) : (
          <span data-testid="model-sha256-missing">sha256 not recorded yet</span>
        )}
        {info.step !== null && `, step ${info.step}`}
      </dd>
      <dt>Exporter</dt>
      <dd>{info.exporterVersion}</dd>
      <dt>Package</dt>
      <dd>
        {info.tasks.length} tasks, {formatBytes(status.bytes)} — {status.origin}
      </dd>
    </dl>
  );
}

function DropArea({ onPicked, disabled }: { onPicked: (p: PickedPackage) => void; disabled: boolean }) {
  const [over, setOver] = useState(false);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    void fromDataTransfer(e.dataTransfer).then(onPicked);
  };
  return (
    <div
      className={`model-drop${over ? ' over' : ''}`}
      data-testid="model-drop"
      data-over={over ? 'true' : 'false'}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      Drop an exported model folder here, or{' '}
      <FilePickerButton
        directory
        multiple
        testId="model-pick"
        disabled={disabled}
        className="model-pick"
        onFiles={(files) => onPicked(fromFiles(files))}
      >
        choose a folder…
      </FilePickerButton>
    </div>
  );
}

function CacheInfo({ onClear }: { onClear: () => void }) {
  const cache = useModels((s) => s.cache);
  const cacheError = useModels((s) => s.cacheError);
  return (
    <p
      className="model-cache"
      data-testid="model-cache"
      data-entries={cache?.entries ?? ''}
      data-bytes={cache?.bytes ?? ''}
    >
      Model cache: {cache ? `${formatBytes(cache.bytes)} (${cache.entries} files)` : 'unknown'}{' '}
      <button type="button" data-testid="model-clear-cache" onClick={onClear} disabled={!cache || cache.entries === 0}>
        Clear model cache
      </button>
      {cacheError && <span className="model-error"> {cacheError}</span>}
    </p>
  );
}

function variantTitle(variant: string): string {
  return (VARIANT_TITLES as Readonly<Record<string, string>>)[variant] ?? variant;
}
