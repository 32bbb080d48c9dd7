/**
 * The Kubernetes example (examples/k8s/analyze-indexed-job.yaml) is checked against Kubernetes' own schema, not a
 * home-made one: `kubernetes-models` ships validators generated from the Kubernetes OpenAPI definitions (types,
 * enums such as completionMode, required fields such as a container's name). That schema allows unknown fields (the
 * API server rejects them only under strict field validation), so a typo such as `completionsMode` would pass it:
 * every key of the manifest is also looked up in the same package's generated type declarations. Then what the
 * example relies on: an Indexed Job, shards = completions, one output file per index, --resume, and arguments that the
 * CLI accepts for every index.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { parseArgs } from './analyze.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MANIFEST = join(ROOT, 'examples', 'k8s', 'analyze-indexed-job.yaml');
const MODELS = join(ROOT, 'node_modules');

/**
 * Keys of `value` that the generated declaration (`dts`, a .d.ts file of kubernetes-models) does not declare, as
 * paths. Fields typed by another declaration are followed through its import; `{ [key: string]: T }` maps take any
 * key; primitives, unions and aliases (Quantity, IntOrString) end the walk.
 */
function unknownFields(value: unknown, dts: string, path: string): string[] {
  const text = readFileSync(dts, 'utf8');
  const start = text.search(/^export interface I\w+/m);
  if (start < 0 || value === null || typeof value !== 'object') return []; // an alias (Quantity…): no fields
  const body = text.slice(start, text.indexOf('\n}', start));
  const fields = new Map<string, string>();
  for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) fields.set(m[1], m[2]);
  if (/extends TypeMeta/.test(body.split('\n')[0])) {
    fields.set('apiVersion', 'string');
    fields.set('kind', 'string');
  }
  const resolveType = (name: string): string | undefined => {
    const imp = new RegExp(`import \\{ ${name} \\} from "([^"]+)"`).exec(text);
    if (!imp) return undefined;
    const spec = imp[1].replace(/\.js$/, '');
    return `${spec.startsWith('.') ? join(dirname(dts), spec) : join(MODELS, spec)}.d.ts`;
  };
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const type = fields.get(key);
    if (type === undefined) {
      problems.push(`${path}.${key}`);
      continue;
    }
    const ref = /^(?:Array<)?(I\w+)>?$/.exec(type.trim());
    const file = ref && resolveType(ref[1]);
    if (!file) continue;
    for (const [i, item] of (Array.isArray(v) ? v : [v]).entries()) {
      problems.push(...unknownFields(item, file, Array.isArray(v) ? `${path}.${key}[${i}]` : `${path}.${key}`));
    }
  }
  return problems;
}

const JOB_DTS = join(MODELS, 'kubernetes-models', 'batch', 'v1', 'Job.d.ts');

describe('examples/k8s/analyze-indexed-job.yaml', () => {
  const manifest = parse(readFileSync(MANIFEST, 'utf8'));

  it('is a valid batch/v1 Job by the Kubernetes OpenAPI schema, with no field the schema does not declare', () => {
    expect(() => new Job(manifest).validate()).not.toThrow();
    expect(unknownFields(manifest, JOB_DTS, 'Job')).toEqual([]);
    // the two checks are live: a wrong enum value, a wrong type, a missing required field and a misspelt field fail
    const broken = (edit: (m: typeof manifest) => void) => {
      const m = structuredClone(manifest);
      edit(m);
      return m;
    };
    expect(() =>
      new Job(
        broken((m) => {
          m.spec.completionMode = 'Indexd';
        }),
      ).validate(),
    ).toThrow(/completionMode/);
    expect(() =>
      new Job(
        broken((m) => {
          m.spec.completions = '8';
        }),
      ).validate(),
    ).toThrow(/completions must be integer/);
    expect(() =>
      new Job(
        broken((m) => {
          delete m.spec.template.spec.containers[0].name;
        }),
      ).validate(),
    ).toThrow(/name/);
    expect(
      unknownFields(
        broken((m) => {
          m.spec.template.spec.containers[0].volumeMount = [];
        }),
        JOB_DTS,
        'Job',
      ),
    ).toEqual(['Job.spec.template.spec.containers[0].volumeMount']);
    expect(
      unknownFields(
        broken((m) => {
          m.spec.template.spec.volumes[2].persistentVolumeClaim.claimNam = 'x';
          m.spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldpath = 'x';
          m.metadata.labels.anything = 'x'; // labels are a map: any key
        }),
        JOB_DTS,
        'Job',
      ),
    ).toEqual([
      'Job.spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldpath',
      'Job.spec.template.spec.volumes[2].persistentVolumeClaim.claimNam',
    ]);
  });

  it('runs shard i/N of the photos for every index i of an Indexed Job with N completions, each into its own file', () => {
    expect(manifest.apiVersion).toBe('batch/v1');
    expect(manifest.kind).toBe('Job');
    const spec = manifest.spec;
    expect(spec.completionMode).toBe('Indexed');
    const n: number = spec.completions;
    expect(Number.isInteger(n) && n >= 1).toBe(true);
    expect(spec.parallelism).toBeGreaterThanOrEqual(1);
    expect(spec.parallelism).toBeLessThanOrEqual(n);
    // a Job's pods may not restart Always; backoffLimitPerIndex needs Never
    expect(spec.template.spec.restartPolicy).toBe('Never');
    const [container] = spec.template.spec.containers;
    expect(container.command).toEqual(['node', '--import', 'tsx', 'tools/cli/analyze.ts']);
    const env = container.env.find((e: { name: string }) => e.name === 'JOB_COMPLETION_INDEX');
    expect(env.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
    const outputs = new Set<string>();
    for (let i = 0; i < n; i++) {
      // what the kubelet passes: $(VAR) replaced by the container's variable
      const args = (container.args as string[]).map((a) => a.replaceAll('$(JOB_COMPLETION_INDEX)', String(i)));
      const options = parseArgs(args);
      expect(options.shard).toEqual({ index: i, count: n });
      expect(options.resume).toBe(true);
      expect(options.jsonlOut).toBeDefined();
      outputs.add(options.jsonlOut!);
      expect(options.workers).toBeLessThanOrEqual(Number(container.resources.requests.cpu));
    }
    expect(outputs.size).toBe(n); // no two pods write one file
  });
});
