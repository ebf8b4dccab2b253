// The local DICOM loop with real dcmtk peers: storescu → dicom serve → the
// example workflow → storescp (seed 000, steps 12.5-12.10).
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { auth, dicomProject, finished, freePort, hasDcmtk, startServe, startStorescp, storescu, waitForPort, type Serve } from './dicom-loop.js';

if (!hasDcmtk) throw new Error('dcmtk is not installed: .ci/run installs it (apt-get install dcmtk)');

let project: Awaited<ReturnType<typeof dicomProject>>;
let serve: Serve;
let pacs: ChildProcess;

beforeAll(async () => {
  const pacsPort = await freePort();
  project = await dicomProject({ pacsPort, downPort: await freePort() });
  pacs = startStorescp(project.pacs, pacsPort);
  await waitForPort(pacsPort);
  serve = await startServe(project.chart, project.data, ['--export-retry-for', '0s']);
});

afterAll(async () => {
  serve?.child.kill('SIGINT');
  expect(await serve.exited).toBe(0);
  pacs?.kill();
});

/** Files in serve's instances folder with something in them (the empty ones are spares made ahead of need). */
const storedInstances = (dir: string) => fs.readdirSync(dir).filter((f) => (fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 0);

const jobFor = async (ae: string, n = 1) => {
  const t0 = Date.now();
  for (;;) {
    const jobs = (await serve.jobs()).filter((j) => j.calledAe === ae);
    if (jobs.length >= n && ['done', 'failed', 'stored'].includes(jobs[0].state)) return jobs[0];
    if (Date.now() - t0 > 30_000) throw new Error(`no finished job for ${ae}: ${JSON.stringify(jobs)}\n${serve.events.map((e) => e.message).join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('dicom serve', () => {
  it('storescu → serve → example workflow → storescp receives the derived series', async () => {
    const send = await finished(storescu(serve.port, 'THRESH_AI', project.series));
    expect(send.code, send.output).toBe(0);
    const job = await jobFor('THRESH_AI');
    expect(job).toMatchObject({ state: 'done', instances: 12, callingAe: 'DCM4CHEE', target: { name: 'threshold-example' }, export: { state: 'sent', sent: 12, failed: 0, destination: 'MYPACS' } });
    expect(job.stages.map((s: any) => s.status)).toEqual(['done', 'done', 'done']);
    // The instances were stored under names from their UIDs, at the workflow's first input folder.
    const input = path.join(project.data, job.id, 'dicom-reader', 'input');
    expect(fs.readdirSync(input).every((f) => /^[0-9.]+\.dcm$/.test(f))).toBe(true);
    const received = fs.readdirSync(project.pacs);
    expect(received).toHaveLength(12);
    const dump = spawnSync('dcmdump', [path.join(project.pacs, received[0] as string)], { encoding: 'utf8' });
    expect(dump.stdout).toContain('Threshold mask (HU >= 300)');
    expect(dump.stdout).toContain('DERIVED\\SECONDARY\\MASK');
    expect(serve.events.some((e) => e.type === 'export' && /attempt 1: 12 sent, 0 failed/.test(e.message))).toBe(true);
    // Every job of the study ended: the gateway's own copies are gone (the job folder keeps its input).
    expect(storedInstances(path.join(project.data, '.gateway', 'instances'))).toEqual([]);
  });

  it('a wrong called AE title is rejected, and storescu says so', async () => {
    const r = await finished(storescu(serve.port, 'NOT_CLARA', project.series));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Called AE Title Not Recognized/);
    await serve.waitFor((e) => /to NOT_CLARA rejected: called AE title "NOT_CLARA" is not one of dicom.scp.ae-titles/.test(e.message));
  });

  it('an unknown source is rejected when reject-unknown-sources is on', async () => {
    const r = await finished(storescu(serve.port, 'THRESH_AI', project.series, { callingAe: 'STRANGER' }));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Calling AE Title Not Recognized/);
    await serve.waitFor((e) => /STRANGER@127\.0\.0\.1 to THRESH_AI rejected: reject-unknown-sources is on/.test(e.message));
  });

  it('a sender killed mid-transfer: every acknowledged instance is kept and becomes the job, the one in flight is discarded', async () => {
    const big = path.join(project.dir, 'big-series');
    spawnSync(process.execPath, [path.join(project.dir, 'examples', 'make-test-series.mjs'), big, '--slices', '400', '--size', '64']);
    const before = (await serve.jobs()).length;
    const instances = path.join(project.data, '.gateway', 'instances');
    // Nagle on: storescu is slow enough to be caught mid-transfer.
    const child = storescu(serve.port, 'THRESH_AI', big, { nodelay: false });
    const done = finished(child);
    const t0 = Date.now();
    const count = () => storedInstances(instances).length;
    while (count() < 5 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 10));
    expect(count()).toBeGreaterThanOrEqual(5);
    child.kill('SIGKILL');
    await done;
    const aborted = await serve.waitFor((e) => e.aborted === true && /aborted after \d+ instances? \(.*\); \d+ acknowledged instances? kept/.test(e.message));
    const job = await jobFor('THRESH_AI', before + 1);
    // Every acknowledged one; plus, possibly, the one whose Success the sender
    // never read (it was complete and durable when the connection dropped).
    expect(job.instances).toBeGreaterThanOrEqual(aborted.instances);
    expect(job.instances).toBeLessThanOrEqual(aborted.instances + 1);
    const input = path.join(project.data, job.id, 'dicom-reader', 'input');
    const files = fs.readdirSync(input);
    expect(files).toHaveLength(job.instances);
    // Every kept instance is complete: dcmdump reads each to its pixel data.
    for (const f of files.slice(0, 5)) expect(spawnSync('dcmdump', ['-q', '+P', '7fe0,0010', path.join(input, f)]).status).toBe(0);
    expect(storedInstances(instances)).toEqual([]);
  });

  it('a failing stage sends nothing, and the job shows failed with the stage', async () => {
    const pacsBefore = fs.readdirSync(project.pacs).length;
    const send = await finished(storescu(serve.port, 'BROKEN_AI', project.series));
    expect(send.code).toBe(0);
    const job = await jobFor('BROKEN_AI');
    expect(job).toMatchObject({ state: 'failed', reason: 'stage threshold failed (exit code 2)', export: { state: 'skipped', sent: 0 } });
    expect(job.stages.map((s: any) => s.status)).toEqual(['done', 'failed', 'skipped']);
    expect(fs.readdirSync(project.pacs).length).toBe(pacsBefore);
    const log = await (await fetch(`${serve.dashboard}/api/jobs/${job.id}/stages/threshold/log`, auth(serve))).text();
    expect(log).toMatch(/--min takes a number of Hounsfield units, not not-a-number/);
  });

  it('a destination that is down: retries with backoff, then the export is reported failed', async () => {
    const send = await finished(storescu(serve.port, 'DOWN_AI', project.series));
    expect(send.code).toBe(0);
    const job = await jobFor('DOWN_AI');
    expect(job).toMatchObject({ state: 'failed', export: { state: 'failed', attempts: 3, sent: 0, failed: 12, destination: 'DOWNPACS' } });
    expect(job.reason).toMatch(/export to DOWNPACS failed for 12 of 12 instances: network error/);
    const attempts = serve.events.filter((e) => e.type === 'export' && e.job === job.id);
    expect(attempts.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it('dicom echo and dicom route', async () => {
    const e = await cli(['--chart', project.chart, 'dicom', 'echo', 'MYPACS']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/C-ECHO ClaraSCU → MYPACS \(MYPACS@127\.0\.0\.1:\d+\): success in \d+ ms/);
    const down = await cli(['--chart', project.chart, 'dicom', 'echo', 'DOWNPACS']);
    expect(down.code).toBe(4);
    const ok = await cli(['--chart', project.chart, 'dicom', 'route', '--called', 'THRESH_AI', '--calling', 'DCM4CHEE', '--host', '127.0.0.1']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^accepted: THRESH_AI is a Clara AE title; DCM4CHEE is a known source; workflow threshold-example \(5f1c8d2e-3b4a-4c6d-9e8f-0a1b2c3d4e5f\) → MYPACS/);
    const no = await cli(['--chart', project.chart, 'dicom', 'route', '--called', 'THRESH_AI', '--calling', 'STRANGER']);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/^rejected: reject-unknown-sources is on and STRANGER is not one of dicom.scp.sources/);
  });
});

describe('dicom serve start-up', () => {
  it('a port it cannot bind is an error with exit 2, never a silent exit', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await cli(['--chart', project.chart, 'dicom', 'serve', '--port', String(port), '--data', path.join(project.dir, 'other-data')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      taken.close();
    }
  });
});
