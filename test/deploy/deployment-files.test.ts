import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { repoRoot } from '../helpers/paths.ts';
import { importGraph, reachableFrom, repositoryFiles } from '../helpers/import-graph.ts';

const run = promisify(execFile);

/** The first compose tool on this machine: the Docker CLI plugin (v2), else docker-compose (v1). */
async function composeCommand(): Promise<string[] | undefined> {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(command[0]!, [...command.slice(1), 'version'], { cwd: repoRoot });
      return command;
    } catch {
      // not installed
    }
  }
  return undefined;
}

async function hasKubectl(): Promise<boolean> {
  return run('kubectl', ['version', '--client'], { cwd: repoRoot }).then(() => true, () => false);
}

const compose = await composeCommand();
const kubectl = await hasKubectl();

describe.skipIf(!compose)(`compose.yaml (${compose ? compose.join(' ') : 'skipped: neither `docker compose` nor `docker-compose` is installed'})`, () => {
  it('is valid, and runs two APIs without workers, one worker, a proxy and the three stores', async () => {
    const [command, ...prefix] = compose!;
    const secrets = { POSTGRES_PASSWORD: 'from-env', MINIO_ROOT_PASSWORD: 'root-from-env', S3_ACCESS_KEY_ID: 'app-user', S3_SECRET_ACCESS_KEY: 'app-secret' };
    const { stdout } = await run(command!, [...prefix, '-f', 'compose.yaml', 'config'], { cwd: repoRoot, env: { ...process.env, ...secrets } });
    const resolved = parse(stdout) as { services: Record<string, any> };
    expect(Object.keys(resolved.services).sort()).toEqual(['api-1', 'api-2', 'minio', 'minio-bucket', 'postgres', 'proxy', 'redis', 'worker']);
    for (const name of ['api-1', 'api-2']) {
      expect(resolved.services[name].environment).toMatchObject({ RUN_WORKERS: 'false', REDIS_URL: 'redis://redis:6379', STORAGE_BACKEND: 's3' });
      expect(resolved.services[name].environment.DATABASE_URL).toBe('postgres://ai:from-env@postgres:5432/ai');
    }
    // The app reaches storage as its own user, never as MinIO's root.
    expect(resolved.services['api-1'].environment).toMatchObject({ S3_ACCESS_KEY_ID: 'app-user', S3_SECRET_ACCESS_KEY: 'app-secret' });
    for (const name of ['api-1', 'api-2', 'worker']) {
      expect(resolved.services[name].stop_grace_period).toBe('45s');
      expect(resolved.services[name].deploy.resources.limits.memory).toBeDefined();
    }
    // No secret falls back to a default: without one, compose refuses and names it.
    for (const missing of Object.keys(secrets)) {
      const { [missing]: _left, ...others } = secrets as Record<string, string>;
      const env = { ...process.env, ...others };
      delete env[missing];
      await expect(run(command!, [...prefix, '-f', 'compose.yaml', 'config'], { cwd: repoRoot, env })).rejects.toThrow(new RegExp(`set ${missing}`));
    }
    expect(resolved.services.worker.command).toEqual(['node', 'server/worker-main.ts']);
    expect(resolved.services.worker.environment.RUN_WORKERS).toBeUndefined();
    expect(resolved.services.worker.healthcheck.test.join(' ')).toContain('http://127.0.0.1:8788/healthz');

    // The proxy balances exactly the API services and upgrades websockets.
    const nginx = await readFile(path.join(repoRoot, 'deploy/nginx/nginx.conf'), 'utf8');
    const upstreams = [...nginx.matchAll(/^\s*server (\S+):8787\b/gm)].map((match) => match[1]);
    expect(upstreams).toEqual(['api-1', 'api-2']);
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_buffering off;/);
  });
});

/** Each manifest kind, validated against the Kubernetes JSON schemas (kubernetes-models). */
const models: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'batch/v1/Job': Job,
};

async function manifests(): Promise<any[]> {
  const kustomization = parse(await readFile(path.join(repoRoot, 'deploy/k8s/kustomization.yaml'), 'utf8')) as { resources: string[] };
  const documents = await Promise.all(
    kustomization.resources.map(async (file) => parseAllDocuments(await readFile(path.join(repoRoot, 'deploy/k8s', file), 'utf8')).map((document) => document.toJS())),
  );
  return documents.flat();
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('validate against the Kubernetes schemas of their kinds', async () => {
    const all = await manifests();
    expect(all.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort()).toEqual([
      'ConfigMap/ai-primitives',
      'Deployment/ai-primitives-api',
      'Deployment/ai-primitives-worker',
      'HorizontalPodAutoscaler/ai-primitives-api',
      'HorizontalPodAutoscaler/ai-primitives-worker',
      'Job/ai-primitives-first-key',
      'PodDisruptionBudget/ai-primitives-api',
      'PodDisruptionBudget/ai-primitives-worker',
      'Secret/ai-primitives',
      'Service/ai-primitives-api',
    ]);
    for (const manifest of all) {
      const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
      expect(Model, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest).validate(), `${manifest.kind}/${manifest.metadata.name}`).not.toThrow();
    }
  });

  it('wire together: probes on real routes, the Secret and ConfigMap they read, the Deployments the autoscalers scale, the pods the Service selects', async () => {
    const all = await manifests();
    const named = (kind: string, name: string) => all.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
    const api = named('Deployment', 'ai-primitives-api');
    const worker = named('Deployment', 'ai-primitives-worker');
    const apiContainer = api.spec.template.spec.containers[0];
    expect(apiContainer.readinessProbe.httpGet.path).toBe('/readyz');
    expect(apiContainer.livenessProbe.httpGet.path).toBe('/healthz');
    expect(apiContainer.env).toContainEqual({ name: 'RUN_WORKERS', value: 'false' });
    const workerContainer = worker.spec.template.spec.containers[0];
    expect(workerContainer.args).toEqual(['node', 'server/worker-main.ts']);
    // The worker's probes are on its health port (WORKER_HEALTH_PORT's default), the routes server/worker-health.ts serves.
    const healthPort = workerContainer.ports.find((port: { name: string }) => port.name === 'health');
    expect(healthPort.containerPort).toBe(8788);
    expect(workerContainer.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(workerContainer.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    // The worker autoscaler scales on the operations queue's depth, a metric the API exports.
    const workerHpa = named('HorizontalPodAutoscaler', 'ai-primitives-worker');
    expect(workerHpa.spec.metrics[0].external.metric).toEqual({ name: 'ai_operation_jobs', selector: { matchLabels: { queue: 'ai-operations', state: 'created' } } });
    // The first key: a one-shot Job that bootstraps an empty database and prints the key to its log.
    const firstKey = named('Job', 'ai-primitives-first-key');
    expect(firstKey.spec.template.spec.containers[0].args).toEqual(['node', 'server/admin-cli.ts', 'projects:bootstrap']);
    for (const deployment of [api, worker, firstKey]) {
      const container = deployment.spec.template.spec.containers[0];
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      for (const source of container.envFrom) {
        if (source.secretRef) expect(named('Secret', source.secretRef.name)).toBeDefined();
        if (source.configMapRef) expect(named('ConfigMap', source.configMapRef.name)).toBeDefined();
      }
    }
    for (const hpa of all.filter((manifest) => manifest.kind === 'HorizontalPodAutoscaler')) {
      expect(named('Deployment', hpa.spec.scaleTargetRef.name)).toBeDefined();
    }
    // At the autoscalers' maximums, the processes' connections fit the max_connections the ConfigMap names.
    const poolSize = Number(named('ConfigMap', 'ai-primitives').data.DATABASE_POOL_SIZE);
    // (and the first-key Job's one process while it runs)
    const pods = named('HorizontalPodAutoscaler', 'ai-primitives-api').spec.maxReplicas + named('HorizontalPodAutoscaler', 'ai-primitives-worker').spec.maxReplicas + 1;
    expect(pods * (3 * poolSize + 2)).toBeLessThanOrEqual(300);
    // Every Deployment has a disruption budget and spreads over nodes.
    for (const deployment of [api, worker]) {
      const budget = all.find((manifest) => manifest.kind === 'PodDisruptionBudget' && manifest.spec.selector.matchLabels['app.kubernetes.io/component'] === deployment.spec.template.metadata.labels['app.kubernetes.io/component']);
      expect(budget?.spec.maxUnavailable).toBe(1);
      expect(deployment.spec.template.spec.topologySpreadConstraints.map((constraint: { topologyKey: string }) => constraint.topologyKey)).toContain('kubernetes.io/hostname');
    }
    const service = named('Service', 'ai-primitives-api');
    expect(api.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(worker.spec.template.metadata.labels).not.toMatchObject(service.spec.selector);
  });

  it.skipIf(!kubectl)(`build with kubectl's kustomize${kubectl ? '' : ' (skipped: kubectl is not installed)'}`, async () => {
    const { stdout } = await run('kubectl', ['kustomize', 'deploy/k8s'], { cwd: repoRoot });
    expect(parseAllDocuments(stdout).map((document) => document.toJS().kind)).toContain('Job');
    expect(parseAllDocuments(stdout)).toHaveLength(10);
  });
});

describe('Dockerfile', () => {
  /** Every repository file the API and the worker import, worker threads' modules included. */
  function importedFiles(): Set<string> {
    return reachableFrom(importGraph(repoRoot, repositoryFiles(repoRoot)), ['server/main.ts', 'server/worker-main.ts']);
  }

  it('is multi-stage on Node 24, runs as a non-root user with a health check, and copies every folder the processes import', async () => {
    const dockerfile = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM node:24-\S+ AS \w+$/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    const copied = [...dockerfile.matchAll(/^COPY (?:--chown=\S+ )?(\S+) \.\/\S*$/gm)].map((match) => match[1]!);
    expect(copied).toContain('models');
    const folders = new Set([...importedFiles()].map((file) => file.split('/')[0]!));
    for (const folder of folders) expect(copied, `${folder}/ is imported but not copied into the image`).toContain(folder);
    expect(folders.has('test')).toBe(false);
  });
});
