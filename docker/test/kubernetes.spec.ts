import { loadConfig } from '@strata/platform/config';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { Ingress, type IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readCompose } from './support/compose';
import { all, readImageFacts } from './support/dockerfile';
import { renderKustomization, splitImage, type KubernetesObject } from './support/kustomize';
import {
  apiUnits,
  EDGE,
  hostsDataAccess,
  isReadByTheApp,
  peerVariable,
  publicEntry,
  readWorkspaceFile,
  secretStandIns,
  secretVariables,
  splitUnits,
  upstreamVariable,
  webpackBuild,
  workspaceRoot,
} from './support/workspace';

/**
 * Renders docker/k8s/base and each overlay and checks every object against the Kubernetes
 * schemas, the image (docker/Dockerfile) and the app it runs: the variables it reads and accepts,
 * the units of the split topology, the ports and health endpoints they serve, the programs the
 * build produces, the time a unit takes to shut down.
 */

const K8S = 'docker/k8s';
const RENDERINGS = ['base', 'overlays/local', 'overlays/production'];
const image = readImageFacts();
const unitNames = Object.keys(splitUnits);
const servesInternalCalls = unitNames.filter((unit) => splitUnits[unit].internalPort !== undefined);
/** The image compose builds and runs: every service of the compose files that builds one uses it. */
const composeImage = (() => {
  const images = new Set(
    ['docker/compose.yaml', 'docker/compose.split.yaml'].flatMap((file) =>
      Object.values(readCompose(file).services)
        .filter((service) => service.build)
        .map((service) => service.image),
    ),
  );
  if (images.size !== 1) throw new Error(`the compose files build ${images.size} images, expected one: ${[...images].join(', ')}`);
  return [...images][0]!;
})();
/** What Kubernetes waits after SIGTERM when a pod does not say, before SIGKILL. */
const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
/** The Secret the README tells you to create; every secret reaches a container from it. */
const SECRET_NAME = 'strata-secrets';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** The kubernetes-models class that validates each kind the manifests may contain. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};
/** What the public entry serves besides the API's routes, at the same address as the API. */
const PUBLIC_ENTRY_PATHS = ['/docs', '/docs-json', '/health'];

/** Objects in a canonical form (keys sorted), to compare renderings as sets of objects. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, inner]) => [key, canonical(inner)]),
        )
      : value;
const asSet = (objects: unknown[]) => objects.map((object) => JSON.stringify(canonical(object))).sort();

/** `100m` → 0.1, `1` → 1 (CPUs); `192Mi` → bytes. */
function quantity(value: string | number): number {
  const [, amount, suffix] = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(String(value)) ?? [];
  const factors: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  if (amount === undefined || !(suffix in factors)) throw new Error(`not a quantity the test reads: ${value}`);
  return Number(amount) * factors[suffix];
}

interface ContainerInPod {
  owner: string;
  podSpec: IPodSpec;
  container: IContainer;
  /** An init container: runs to completion before the pod's containers start. */
  init: boolean;
}

/** Every container of every pod template, init containers included. */
function containersOf(objects: KubernetesObject[]): ContainerInPod[] {
  return (objects.filter((object) => ['Deployment', 'Job'].includes(object.kind)) as unknown as (IDeployment | IJob)[]).flatMap(
    (workload) => {
      const podSpec = workload.spec!.template.spec!;
      const owner = `${workload.kind} ${workload.metadata!.name}`;
      return [
        ...(podSpec.initContainers ?? []).map((container) => ({ owner, podSpec, container, init: true })),
        ...podSpec.containers.map((container) => ({ owner, podSpec, container, init: false })),
      ];
    },
  );
}

describe.each(RENDERINGS)(`${K8S}/%s`, (rendering) => {
  const dir = join(workspaceRoot, K8S, rendering);
  const objects = renderKustomization(dir);
  const ofKind = <T>(kind: string) => objects.filter((object) => object.kind === kind) as unknown as (T & KubernetesObject)[];
  const deployments = ofKind<IDeployment>('Deployment');
  const jobs = ofKind<IJob>('Job');
  const services = ofKind<IService>('Service');
  const configMaps = ofKind<IConfigMap>('ConfigMap');
  const autoscalers = ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
  const ingresses = ofKind<IIngress>('Ingress');

  const containers = containersOf(objects);

  /** A container's environment: ConfigMap entries (envFrom), then its own `env`; secrets by reference. */
  const environmentOf = (container: IContainer) => {
    const values: Record<string, string> = {};
    const secrets: Record<string, { name: string; key: string }> = {};
    for (const source of container.envFrom ?? []) {
      // secretRef would hide which variables a Secret sets: every secret is named (secretKeyRef).
      expect({ configMapRef: source.configMapRef?.name, prefix: source.prefix, secretRef: source.secretRef }).toEqual({
        configMapRef: expect.any(String),
      });
      const configMap = configMaps.find((candidate) => candidate.metadata.name === source.configMapRef!.name);
      expect({ configMap: source.configMapRef!.name, rendered: Boolean(configMap) }).toEqual({
        configMap: source.configMapRef!.name,
        rendered: true,
      });
      Object.assign(values, configMap!.data);
    }
    for (const variable of container.env ?? []) {
      delete values[variable.name];
      if (variable.valueFrom) {
        // The only reference the manifests use; anything else would be a value the test cannot see.
        expect(Object.keys(variable.valueFrom)).toEqual(['secretKeyRef']);
        secrets[variable.name] = { name: variable.valueFrom.secretKeyRef!.name!, key: variable.valueFrom.secretKeyRef!.key };
      } else {
        values[variable.name] = variable.value ?? '';
      }
    }
    return { values, secrets, names: [...Object.keys(values), ...Object.keys(secrets)] };
  };
  /** The environment a container starts with, secrets standing in for the Secret's values. */
  const startEnvironmentOf = (container: IContainer) => {
    const { values, secrets } = environmentOf(container);
    return { ...values, ...Object.fromEntries(Object.keys(secrets).map((name) => [name, secretStandIns[name] ?? 'secret'])) };
  };
  /** The command line a container runs: its command and args, or the image's CMD (the image has no ENTRYPOINT). */
  const argvOf = (container: IContainer) =>
    container.command ? [...container.command, ...(container.args ?? [])] : (container.args ?? image.cmd);
  /** The webpack output a container runs with node, e.g. dist/apps/server/main.js, if the image carries it. */
  const programOf = (container: IContainer) => {
    const [executable, script] = argvOf(container);
    return executable === 'node' ? image.builtFileAt(posix.resolve(image.workdir, script)) : undefined;
  };
  const unitContainers = containers.filter(({ container, init }) => !init && programOf(container) === webpackBuild.outputs.main);
  const unitOf = (container: IContainer) => environmentOf(container).values.UNIT;
  const deploymentOf = (unit: string) =>
    deployments.find((deployment) => deployment.spec!.template.spec!.containers.some((container) => unitOf(container) === unit))!;
  const podLabelsOf = (deployment: IDeployment) => deployment.spec!.template.metadata?.labels ?? {};
  const selects = (service: IService, deployment: IDeployment) =>
    Object.entries(service.spec?.selector ?? {}).every(([label, value]) => podLabelsOf(deployment)[label] === value);
  const servicesSelecting = (unit: string) => services.filter((service) => selects(service, deploymentOf(unit)));
  /** The container port a probe or Service port names, by number or by name. */
  const containerPortNumber = (container: IContainer, port: number | string | undefined) =>
    typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;

  (hasKubectl ? it : it.skip)('renders as `kubectl kustomize` does', () => {
    const kubectl = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((document) => document.toJS());
    expect(asSet(objects)).toEqual(asSet(kubectl));
  });

  it('holds only objects of kinds it expects, each valid against the Kubernetes schema', () => {
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect({ object: `${object.apiVersion} ${object.kind}`, known: Boolean(Model) }).toEqual({
        object: `${object.apiVersion} ${object.kind}`,
        known: true,
      });
      expect(() => new Model(object as never).validate()).not.toThrow();
    }
  });

  it(`runs one image in every container: ${composeImage}, the image compose builds`, () => {
    const images = new Set(containers.map(({ container }) => container.image!));
    expect(images.size).toBe(1);
    const [runs] = images;
    if (rendering === 'base') expect(runs).toBe(composeImage);
    // An overlay may move it to a registry and pin a version.
    else expect(splitImage(runs).name).toMatch(new RegExp(`(^|/)${composeImage}$`));
    if (rendering.endsWith('production')) expect(splitImage(runs).reference).toMatch(/^(@sha256:[0-9a-f]{64}|:(?!latest$).+)$/);
  });

  it('runs one Deployment per unit of the split topology, each with a Service named after the unit', () => {
    const units = unitContainers.map(({ container }) => unitOf(container));
    expect([...units].sort()).toEqual([...unitNames].sort());
    for (const { owner, container } of unitContainers) {
      expect({ owner, topology: loadConfig(startEnvironmentOf(container)).unit.topology }).toEqual({ owner, topology: 'split' });
      expect(owner.startsWith('Deployment ')).toBe(true);
    }
    for (const unit of unitNames)
      expect({ unit, services: servicesSelecting(unit).map((service) => service.metadata.name) }).toEqual({ unit, services: [unit] });
    // …and no Service selects the pods of two units.
    for (const service of services) expect(deployments.filter((deployment) => selects(service, deployment))).toHaveLength(1);
  });

  it('runs only programs the webpack build produces and the image carries: units main.js, migrations migrate.js, the edge edge.js', () => {
    expect(all(image.runtime, 'ENTRYPOINT')).toHaveLength(0); // what argvOf assumes
    for (const { owner, container, init } of containers) {
      const program = programOf(container);
      const expected =
        init || owner.startsWith('Job ')
          ? webpackBuild.outputs.migrate
          : owner === `Deployment ${EDGE}`
            ? webpackBuild.outputs.edge
            : webpackBuild.outputs.main;
      expect({ owner, container: container.name, program }).toEqual({ owner, container: container.name, program: expected });
    }
  });

  it('migrates in one Job, and the unit hosting data access starts once the migrations are applied', () => {
    expect(jobs).toHaveLength(1);
    const migrations = jobs[0].spec!.template.spec!.containers;
    expect(migrations).toHaveLength(1);
    expect(argvOf(migrations[0])).toHaveLength(2); // node migrate.js: applies them (no --wait)
    for (const unit of unitNames.filter((name) => hostsDataAccess(splitUnits[name]))) {
      const waits = (deploymentOf(unit).spec!.template.spec!.initContainers ?? []).filter(
        (container) => programOf(container) === webpackBuild.outputs.migrate && argvOf(container).includes('--wait'),
      );
      expect({ unit, waits: waits.length }).toEqual({ unit, waits: 1 });
    }
    for (const { owner, container } of unitContainers)
      expect({ owner, migrationsRun: loadConfig(startEnvironmentOf(container)).database.runMigrations }).toEqual({
        owner,
        migrationsRun: false,
      });
  });

  it('sets only variables the app reads, with values it accepts', () => {
    for (const { owner, container } of containers) {
      for (const name of environmentOf(container).names)
        expect({ owner, name, read: isReadByTheApp(name) }).toEqual({ owner, name, read: true });
      expect(() => loadConfig(startEnvironmentOf(container))).not.toThrow();
    }
  });

  it(`takes secrets only from the Secret ${SECRET_NAME} by reference, which is not committed`, () => {
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    for (const configMap of configMaps)
      expect(Object.keys(configMap.data ?? {}).filter((name) => secretVariables.includes(name))).toEqual([]);
    for (const { owner, container } of containers) {
      const { values, secrets } = environmentOf(container);
      expect({ owner, secretsAsValues: Object.keys(values).filter((name) => secretVariables.includes(name)) }).toEqual({
        owner,
        secretsAsValues: [],
      });
      for (const [name, reference] of Object.entries(secrets))
        expect({ owner, name, reference }).toEqual({ owner, name, reference: { name: SECRET_NAME, key: name } });
    }
  });

  it('gives the unit hosting data access the database, units running workers a queue, every unit the internal secret', () => {
    for (const { owner, container } of unitContainers) {
      const unit = splitUnits[unitOf(container)];
      const { names } = environmentOf(container);
      if (hostsDataAccess(unit)) expect({ owner, names }).toEqual({ owner, names: expect.arrayContaining(['DATABASE_URL']) });
      if (unit.workers?.length)
        expect({ owner, queue: names.includes('REDIS_URL') || names.includes('DATABASE_URL') }).toEqual({ owner, queue: true });
      expect({ owner, names }).toEqual({ owner, names: expect.arrayContaining(['INTERNAL_AUTH_SECRET']) });
    }
  });

  it('has every unit listen on the ports the image exposes, and declare those it serves', () => {
    for (const { owner, container } of unitContainers) {
      const { values } = environmentOf(container);
      expect({ owner, PORT: values.PORT, INTERNAL_PORT: values.INTERNAL_PORT }).toEqual({
        owner,
        PORT: image.env.PORT,
        INTERNAL_PORT: image.env.INTERNAL_PORT,
      });
      const served = [Number(values.PORT), ...(servesInternalCalls.includes(unitOf(container)) ? [Number(values.INTERNAL_PORT)] : [])];
      expect({ owner, ports: (container.ports ?? []).map((port) => port.containerPort).sort() }).toEqual({ owner, ports: served.sort() });
    }
  });

  // Not /health: its database and Redis are every replica's, and readiness on them took every
  // replica out of its Service at once in an outage, reads that need neither included.
  it('probes readiness on /health/ready and liveness on /health/live, on the HTTP port', () => {
    for (const { owner, container } of unitContainers) {
      const port = Number(environmentOf(container).values.PORT);
      const { readinessProbe, livenessProbe } = container;
      expect({ owner, path: readinessProbe?.httpGet?.path, port: containerPortNumber(container, readinessProbe?.httpGet?.port) }).toEqual({
        owner,
        path: '/health/ready',
        port,
      });
      expect({ owner, path: livenessProbe?.httpGet?.path, port: containerPortNumber(container, livenessProbe?.httpGet?.port) }).toEqual({
        owner,
        path: '/health/live',
        port,
      });
    }
  });

  it("tells every unit where each unit that serves internal calls listens: that unit's Service, on the port to its INTERNAL_PORT", () => {
    expect(servesInternalCalls).not.toHaveLength(0);
    for (const { owner, container } of unitContainers) {
      const { values } = environmentOf(container);
      for (const peer of servesInternalCalls) {
        const [host, port] = (values[peerVariable(peer)] ?? '').split(':');
        const service = services.find((candidate) => candidate.metadata.name === host);
        const peerContainer = deploymentOf(peer).spec!.template.spec!.containers.find((candidate) => unitOf(candidate) === peer)!;
        const targetPort = service?.spec?.ports?.find((candidate) => candidate.port === Number(port))?.targetPort;
        expect({
          owner,
          peer,
          service: service?.metadata.name,
          targetsInternalPort: containerPortNumber(peerContainer, targetPort),
        }).toEqual({
          owner,
          peer,
          service: servicesSelecting(peer)[0]?.metadata.name,
          targetsInternalPort: Number(environmentOf(peerContainer).values.INTERNAL_PORT),
        });
      }
    }
  });

  it('gives every unit longer than its shutdown timeout (drain included) before the SIGKILL', () => {
    for (const { owner, container, podSpec } of unitContainers) {
      const { shutdown } = loadConfig(startEnvironmentOf(container));
      const graceMs = (podSpec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS) * 1000;
      expect({ owner, graceMs, covers: graceMs > shutdown.timeoutMs }).toEqual({ owner, graceMs, covers: true });
    }
  });

  it('requests and limits CPU and memory for every container, requests within limits', () => {
    for (const { owner, container } of containers) {
      const { requests, limits } = container.resources ?? {};
      for (const resource of ['cpu', 'memory']) {
        const request = requests?.[resource];
        const limit = limits?.[resource];
        expect({ owner, container: container.name, resource, set: request !== undefined && limit !== undefined }).toEqual({
          owner,
          container: container.name,
          resource,
          set: true,
        });
        expect(quantity(request!)).toBeLessThanOrEqual(quantity(limit!));
      }
    }
  });

  it("runs every container as the image's non-root user, unprivileged, on a read-only filesystem", () => {
    const [uid, gid] = image.user!.split(':').map(Number);
    for (const { owner, podSpec, container } of containers) {
      expect({ owner, pod: podSpec.securityContext }).toMatchObject({
        owner,
        pod: { runAsNonRoot: true, runAsUser: uid, ...(gid === undefined ? {} : { runAsGroup: gid }) },
      });
      expect({ owner, container: container.securityContext }).toMatchObject({
        owner,
        container: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      });
      // The app parses every PEER_* variable: service links (e.g. PEER_PORT=tcp://… for a Service
      // named "peer") must not add any. And it never talks to the Kubernetes API.
      expect({
        owner,
        enableServiceLinks: podSpec.enableServiceLinks,
        automountServiceAccountToken: podSpec.automountServiceAccountToken,
      }).toEqual({
        owner,
        enableServiceLinks: false,
        automountServiceAccountToken: false,
      });
    }
  });

  describe('the public address', () => {
    const ingress = () => {
      expect(ingresses.map((object) => object.metadata.name)).toEqual(['strata']);
      return ingresses[0];
    };
    const pathsOf = (object: IIngress) => (object.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []);
    const backendOf = (path: string) => pathsOf(ingress()).find((candidate) => candidate.path === path)?.backend.service?.name;
    const edgeDeployments = () => deployments.filter((deployment) => deployment.metadata.name === EDGE);

    it('routes by path prefix only, each path once, to a Service port that reaches the HTTP port of the pods it selects', () => {
      const paths = pathsOf(ingress());
      expect(paths).not.toHaveLength(0);
      expect(ingress().spec?.defaultBackend).toBeUndefined(); // a path of no rule is the controller's 404
      expect(new Set(paths.map((path) => path.path)).size).toBe(paths.length);
      for (const { path, pathType, backend } of paths) {
        expect({ path, pathType }).toEqual({ path, pathType: 'Prefix' });
        const service = services.find((candidate) => candidate.metadata.name === backend.service?.name);
        const servicePort = service?.spec?.ports?.find((port) =>
          backend.service?.port?.name !== undefined ? port.name === backend.service.port.name : port.port === backend.service?.port?.number,
        );
        const deployment = deployments.find((candidate) => service && selects(service, candidate));
        const container = deployment?.spec!.template.spec!.containers[0];
        expect({ path, targetsHttpPort: container && containerPortNumber(container, servicePort?.targetPort) }).toEqual({
          path,
          targetsHttpPort: container && Number(environmentOf(container).values.PORT),
        });
      }
    });

    it(`sends the API's routes (/api/...) to the units serving presentation tiers (${apiUnits.join(', ')}), every one of them`, () => {
      const api = pathsOf(ingress()).filter((path) => path.path === '/api' || path.path?.startsWith('/api/'));
      const backends = new Set(api.map((path) => path.backend.service!.name));
      // A prefix that two units' routes share can only go to the edge, which routes each route.
      expect([...backends].filter((name) => !apiUnits.includes(name) && !(name === EDGE && apiUnits.length > 1))).toEqual([]);
      for (const unit of apiUnits) expect({ unit, routed: backends.has(unit) }).toEqual({ unit, routed: true });
      const others = pathsOf(ingress()).filter((path) => !api.includes(path));
      expect(others.map((path) => path.path).sort()).toEqual([...PUBLIC_ENTRY_PATHS].sort());
    });

    it(`serves ${PUBLIC_ENTRY_PATHS.join(', ')} from the public entry: ${publicEntry}, as on :3000 locally`, () => {
      for (const path of PUBLIC_ENTRY_PATHS) expect({ path, backend: backendOf(path) }).toEqual({ path, backend: publicEntry });
    });

    it(
      apiUnits.length > 1
        ? `runs the edge (${EDGE}: edge.js, a Service) with the address of every API unit's Service`
        : 'runs no edge: the one API unit is the public entry',
      () => {
        const edgeContainers = containers.filter(({ container }) => programOf(container) === webpackBuild.outputs.edge);
        if (apiUnits.length <= 1) {
          expect(edgeContainers).toEqual([]);
          return;
        }
        expect(edgeDeployments()).toHaveLength(1);
        expect(edgeContainers.map(({ owner }) => owner)).toEqual([`Deployment ${EDGE}`]);
        const [{ container }] = edgeContainers;
        const { values } = environmentOf(container);
        expect(services.filter((service) => selects(service, edgeDeployments()[0])).map((service) => service.metadata.name)).toEqual([
          EDGE,
        ]);
        const upstreams = Object.fromEntries(Object.entries(values).filter(([name]) => name.startsWith('UPSTREAM_')));
        const expected = Object.fromEntries(
          apiUnits.map((unit) => {
            const service = servicesSelecting(unit)[0];
            const port = service.spec!.ports!.find((candidate) => candidate.name === 'http')!.port;
            return [upstreamVariable(unit), `http://${service.metadata.name}:${port}`];
          }),
        );
        expect(upstreams).toEqual(expected);
        // Its /health is 503 while any unit is down: readiness on it would take /docs down with one unit.
        expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
        expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
        expect(values.PORT).toBe(image.env.PORT);
      },
    );

    if (rendering.endsWith('production'))
      it('serves one host over TLS, through the ingress class named, its certificate from a Secret that is not committed', () => {
        const { ingressClassName, rules, tls } = ingress().spec!;
        expect(ingressClassName).toEqual(expect.any(String));
        const hosts = (rules ?? []).map((rule) => rule.host);
        expect(hosts).toEqual([expect.any(String)]);
        expect(tls).toEqual([{ hosts, secretName: expect.any(String) }]);
        expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
      });
  });

  it('autoscales only Deployments of its own, which leave their replica count to the autoscaler and request CPU', () => {
    for (const autoscaler of autoscalers) {
      const { kind, name } = autoscaler.spec!.scaleTargetRef;
      const target = deployments.find((deployment) => kind === 'Deployment' && deployment.metadata.name === name);
      expect({ autoscaler: autoscaler.metadata.name, target: target?.metadata.name, replicas: target?.spec?.replicas }).toEqual({
        autoscaler: autoscaler.metadata.name,
        target: name,
        replicas: undefined,
      });
      for (const container of target!.spec!.template.spec!.containers) expect(container.resources?.requests?.cpu).toBeDefined();
    }
  });
});

describe(`${K8S}/README.md`, () => {
  const readme = readWorkspaceFile(`${K8S}/README.md`);
  const referencedKeys = new Set(
    RENDERINGS.flatMap((rendering) =>
      containersOf(renderKustomization(join(workspaceRoot, K8S, rendering))).flatMap(({ container }) =>
        (container.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef?.key ?? []),
      ),
    ),
  );

  it(`creates the Secret ${SECRET_NAME} with every key the manifests read from it`, () => {
    const command = readme.split('\n').find((line) => line.includes(`create secret generic ${SECRET_NAME}`));
    expect(command).toBeDefined();
    // The command continues over the lines after it (`\`): every `--from-literal=KEY=` until the next blank line.
    const block = readme.slice(readme.indexOf(command!)).split('\n\n')[0];
    const created = [...block.matchAll(/--from-literal=([A-Z_]+)=/g)].map((match) => match[1]);
    expect(created.sort()).toEqual([...referencedKeys].sort());
  });

  it('names only paths that exist: in commands, from the repository root; in links, from the README', () => {
    const paths = [
      ...[...readme.matchAll(/\bdocker\/[\w./-]*\w/g)].map((match) => match[0]),
      ...[...readme.matchAll(/\]\((?!https?:)([^)]+)\)/g)].map((match) => posix.join(K8S, match[1])),
    ];
    expect(paths).not.toHaveLength(0);
    for (const path of paths) expect({ path, exists: existsSync(join(workspaceRoot, path)) }).toEqual({ path, exists: true });
  });
});
