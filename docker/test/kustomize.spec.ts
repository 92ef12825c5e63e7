import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { renderKustomization, UnsupportedKustomizationError } from './support/kustomize';

/**
 * The test renderer of kustomizations (support/kustomize.ts) on small fixtures: it refuses what it
 * does not implement, and renders what it does as `kubectl kustomize` would (what the real
 * manifests exercise is also compared with kubectl in kubernetes.spec.ts).
 */

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'unit' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'unit' } },
    template: { metadata: { labels: { app: 'unit' } }, spec: { containers: [{ name: 'server', image: 'strata/server:1.0' }] } },
  },
};

let fixture: string;
/** Writes `fields` as a kustomization.yaml, and `resource` as unit.yaml, in `dir` of the fixture; returns the directory. */
function kustomization(dir: string, fields: Record<string, unknown>, resource: object = deployment): string {
  const path = join(fixture, dir);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'unit.yaml'), stringify(resource));
  writeFileSync(join(path, 'kustomization.yaml'), stringify(fields));
  return path;
}

beforeEach(() => {
  fixture = mkdtempSync(join(tmpdir(), 'strata-kustomize-'));
});

afterEach(() => rmSync(fixture, { recursive: true, force: true }));

describe('the test kustomize renderer', () => {
  it.each([
    ['a field it does not implement', { resources: ['unit.yaml'], commonLabels: { a: 'b' } }],
    ['a strategic merge patch', { resources: ['unit.yaml'], patches: [{ target: { kind: 'Deployment' }, patch: 'spec:\n  replicas: 3' }] }],
    ['a patch from a file', { resources: ['unit.yaml'], patches: [{ target: { kind: 'Deployment' }, path: 'patch.yaml' }] }],
    ['a patch target by label', { resources: ['unit.yaml'], patches: [{ target: { labelSelector: 'app=unit' }, patch: '[]' }] }],
    ['labels that change selectors', { resources: ['unit.yaml'], labels: [{ pairs: { a: 'b' }, includeSelectors: true }] }],
  ])('refuses %s', (_, fields) => {
    expect(() => renderKustomization(kustomization('.', fields))).toThrow(UnsupportedKustomizationError);
  });

  it('refuses a kind whose pod template it does not know', () => {
    const dir = kustomization('.', { resources: ['unit.yaml'] }, { ...deployment, kind: 'StatefulSet' });
    expect(() => renderKustomization(dir)).toThrow(UnsupportedKustomizationError);
  });

  it.each([
    ['a patch target', { patches: [{ target: { kind: 'Deployment', name: 'typo' }, patch: '- {op: remove, path: /spec/replicas}' }] }],
    ['a replicas name', { replicas: [{ name: 'typo', count: 2 }] }],
    ['an image name', { images: [{ name: 'typo', newTag: '2.0' }] }],
  ])('fails on %s that matches nothing, which kustomize would skip silently', (_, fields) => {
    expect(() => renderKustomization(kustomization('.', { resources: ['unit.yaml'], ...fields }))).toThrow(
      /matches no|no Deployment|no container/,
    );
  });

  it('renders an overlay of a base: patches, namespace, labels, replicas, then images', () => {
    kustomization('base', { resources: ['unit.yaml'] });
    const overlay = kustomization('overlay', {
      resources: ['../base'],
      namespace: 'ns',
      labels: [{ pairs: { tier: 'all' }, includeTemplates: true }],
      replicas: [{ name: 'unit', count: 3 }],
      images: [{ name: 'strata/server', newName: 'registry.example.com/strata/server', digest: `sha256:${'a'.repeat(64)}` }],
      patches: [
        {
          target: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'unit' },
          patch: '- {op: add, path: /spec/paused, value: true}',
        },
      ],
    });
    const expected = {
      ...deployment,
      metadata: { name: 'unit', namespace: 'ns', labels: { tier: 'all' } },
      spec: {
        ...deployment.spec,
        replicas: 3,
        paused: true,
        template: {
          metadata: { labels: { app: 'unit', tier: 'all' } },
          spec: { containers: [{ name: 'server', image: `registry.example.com/strata/server@sha256:${'a'.repeat(64)}` }] },
        },
      },
    };
    expect(renderKustomization(overlay)).toEqual([expected]);
    // Where kubectl is installed, it agrees.
    const kubectl = spawnSync('kubectl', ['kustomize', overlay], { encoding: 'utf8' });
    if (!kubectl.error) expect(parse(kubectl.stdout)).toEqual(expected);
  });
});
