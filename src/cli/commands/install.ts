// install / upgrade: one path, `helm upgrade --install`, after local
// validation and the client-node pre-flight. An invalid values file never
// reaches the cluster.
import { checkHelmVersion, helmFailed, locateHelm, startHelm } from '../../adapters/helm.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Ctx } from '../context.js';
import { overlayHelmArgs, requireValidValues } from '../values-file.js';
import { requireValidDicomConfig } from '../dicom-file.js';
import { checkClusterFlags, connect, helmClusterArgs, preflight, type ClusterFlags } from '../cluster.js';



export async function install(ctx: Ctx, f: ClusterFlags): Promise<number> {
  checkClusterFlags(f);
  const { values } = requireValidValues(ctx, 'nothing was sent to the cluster', f, { helm: true });
  // The catalog renders the DICOM configuration: its mappings must name workflows of these values.
  if (fs.existsSync(ctx.dicomConfigFile)) requireValidDicomConfig(ctx, values, 'nothing was sent to the cluster');
  const release = f.release ?? 'clara-workflow';
  const helm = locateHelm(ctx.io.env);
  const version = checkHelmVersion(helm, ctx.io.env);
  const cluster = await connect(ctx, f);
  const pre = await preflight(ctx, cluster, release, f);
  await version;
  ctx.info(
    `${cluster.server} (context ${cluster.context}) runs ${pre.serverVersion}; release ${release} in ${cluster.namespace}: ${pre.release ? `revision ${pre.release.revision}, ${pre.release.status}` : 'not installed yet'}${f.dryRun ? ' [dry run]' : ''}`,
  );
  const args = ['upgrade', '--install', release, ctx.chartDir, ...helmClusterArgs(cluster, f), ...overlayHelmArgs(ctx, f)];
  if (f.createNamespace) args.push('--create-namespace');
  if (f.timeout) args.push('--timeout', f.timeout);
  if (f.wait) args.push('--wait');
  if (f.atomic) args.push('--atomic');
  if (f.dryRun) args.push('--dry-run');
  // A dry run is summarised by clara-wf (helm's text says "has been upgraded").
  if (ctx.json || f.dryRun) args.push('--output', 'json');
  const r = await startHelm(helm.bin, args, { env: ctx.io.env, cwd: ctx.io.cwd }).done;
  if (r.code !== 0) helmFailed(`helm upgrade --install ${release}`, r);
  if (ctx.json) {
    const rel = JSON.parse(r.stdout);
    ctx.printJson({ ok: true, release: rel.name, namespace: rel.namespace, revision: rel.version, status: rel.info?.status, dryRun: !!f.dryRun, ...(f.dryRun ? { manifest: rel.manifest } : {}) });
  } else if (f.dryRun) {
    const rel = JSON.parse(r.stdout);
    // helm applies crds/ itself, before the templates, and only what is missing.
    const crdDir = path.join(ctx.chartDir, 'crds');
    const crds = fs.existsSync(crdDir) ? fs.readdirSync(crdDir).sort().flatMap((f) => manifestObjects(fs.readFileSync(path.join(crdDir, f), 'utf8')).map((o) => `${o} (crds/${f}: created only if missing)`)) : [];
    const objects = [...crds, ...manifestObjects(String(rel.manifest ?? ''))];
    const now = pre.release ? `now revision ${pre.release.revision}, ${pre.release.status}` : 'not installed now';
    ctx.out(`dry run: nothing was changed on the cluster.`);
    ctx.out(`${pre.release ? 'upgrade' : 'install'} would make release ${release} in ${cluster.namespace} revision ${rel.version} (${now}), with ${objects.length} object${objects.length === 1 ? '' : 's'}:`);
    for (const o of objects) ctx.out(`  ${o}`);
  } else {
    ctx.io.stdout.write(r.stdout);
  }
  return 0;
}

/** "Kind name" of each document of a rendered manifest. */
export function manifestObjects(manifest: string): string[] {
  const out: string[] = [];
  for (const doc of manifest.split(/^---\s*$/m)) {
    const kind = /^kind:\s*(\S+)/m.exec(doc)?.[1];
    const name = /^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*["']?([^"'\s]+)/m.exec(doc)?.[1];
    if (kind) out.push(`${kind} ${name ?? '(unnamed)'}`);
  }
  return out;
}

export async function uninstall(ctx: Ctx, f: ClusterFlags): Promise<number> {
  checkClusterFlags(f);
  const release = f.release ?? 'clara-workflow';
  const helm = locateHelm(ctx.io.env);
  const cluster = await connect(ctx, f);
  await cluster.version();
  const args = ['uninstall', release, ...helmClusterArgs(cluster, f)];
  if (f.timeout) args.push('--timeout', f.timeout);
  if (f.wait) args.push('--wait');
  if (f.dryRun) args.push('--dry-run');
  const r = await startHelm(helm.bin, args, { env: ctx.io.env, cwd: ctx.io.cwd }).done;
  if (r.code !== 0) helmFailed(`helm uninstall ${release}`, r);
  if (ctx.json) ctx.printJson({ ok: true, release, namespace: cluster.namespace, uninstalled: !f.dryRun });
  else ctx.io.stdout.write(r.stdout);
  return 0;
}
