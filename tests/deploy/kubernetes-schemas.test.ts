import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * No Kubernetes cluster runs here: every manifest in deploy/kubernetes is validated against the
 * Kubernetes API's own OpenAPI schemas (the kubernetes-models package generates one validator
 * per API type from them), as `kubectl apply --dry-run=server` would reject it.
 */
const dir = path.resolve(__dirname, '..', '..', 'deploy', 'kubernetes');

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  body: Record<string, unknown>;
}

function manifests(): Manifest[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((document) => {
        const body = document.toJS() as Record<string, unknown>;
        return { file, apiVersion: String(body.apiVersion), kind: String(body.kind), body };
      }),
    );
}

/** kubernetes-models has a module per API group version: `apps/v1`, core `v1`, `policy/v1`. */
function validationError(manifest: Manifest): string | undefined {
  const module = require(`kubernetes-models/${manifest.apiVersion}`) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[manifest.kind];
  if (!Model) return `${manifest.apiVersion} has no kind ${manifest.kind}`;
  try {
    new Model(manifest.body).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('Kubernetes manifests against the API schemas (no cluster ran)', () => {
  const all = manifests();

  it('finds the Deployment, Service, PodDisruptionBudget, migration Job and Secret example', () => {
    expect(all.map((manifest) => manifest.kind).sort()).toEqual([
      'Deployment',
      'Job',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
  });

  it.each(manifests().map((manifest) => [`${manifest.file} (${manifest.kind})`, manifest]))(
    '%s is valid for its apiVersion and kind',
    (_name, manifest) => {
      expect(validationError(manifest as Manifest)).toBeUndefined();
    },
  );

  it('rejects a manifest the API would reject (the check can fail)', () => {
    const deployment = all.find((manifest) => manifest.kind === 'Deployment') as Manifest;
    const broken = structuredClone(deployment.body) as {
      spec: { template: { spec: { containers: { ports?: unknown[] }[] } } };
    };
    broken.spec.template.spec.containers[0].ports = [{ containerPort: 'http-port' }];
    expect(validationError({ ...deployment, body: broken as never })).toMatch(
      /containerPort must be integer/,
    );
  });

  it('lists in kustomization.yaml only files that exist, never the Job template', () => {
    const kustomization = parseAllDocuments(
      fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
    )[0].toJS() as { resources: string[] };
    for (const file of kustomization.resources) {
      expect(fs.existsSync(path.join(dir, file))).toBe(true);
    }
    expect(kustomization.resources).not.toContain('migration-job.yaml');
  });
});
