// The gateway under faults that are not a full disk (issue 24): an outbound
// outage (the PACS down for longer than the quick retries, a PACS that aborts
// mid-association), and a damaged or lost state (the database deleted,
// truncated or bit-flipped; an old journal.jsonl with torn, glued and
// wrong-shape lines). Each start succeeds or stops naming the file and the next
// step; `dicom recover` rebuilds the state from the instance files' headers;
// no acknowledged instance is deleted, no partial study is exported as done.
// dcmtk's storescu and storescp are the peers. Runnable alone:
// npx vitest run test/gateway-faults.test.ts
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dicomProject, finished, freePort, hasDcmtk, startServe, storescu, until, waitForPort, type Serve } from './dicom-loop.js';
import { cli, repoRoot, runCli } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'clara-wf');

let project: Awaited<ReturnType<typeof dicomProject>>;
let pacsPort: number;
const serves: Serve[] = [];
const peers: ChildProcess[] = [];

beforeAll(async () => {
  if (!hasDcmtk) return;
  pacsPort = await freePort();
  project = await dicomProject({ pacsPort, downPort: await freePort() });
  // HOLD_AI: a quiet period long enough to stop serve with the study still held, short enough to run after a start.
  for (const args of [
    ['dicom', 'ae', 'add', 'HOLD_AI', '--timeout', '4'],
    ['dicom', 'map', 'HOLD_AI', '--workflow', 'threshold-example', '--destination', 'MYPACS'],
  ]) {
    const r = await cli(['--chart', project.chart, ...args]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}, 60_000);

afterAll(async () => {
  for (const s of serves) {
    s.child.kill('SIGKILL');
    await s.exited;
  }
  for (const p of peers) p.kill('SIGKILL');
});

async function serveOn(data: string, extra: string[] = []): Promise<Serve> {
  const s = await startServe(project.chart, data, ['--min-free', '0B', '--export-retries', '1', '--export-backoff', '50', '--export-retry-max-interval', '1s', ...extra]);
  serves.push(s);
  return s;
}

async function stop(s: Serve): Promise<number | null> {
  s.child.kill('SIGTERM');
  return s.exited;
}

/** Every PACS of these tests stopped (and its port free) before the next one starts. */
async function stopPeers(): Promise<void> {
  await Promise.all(peers.splice(0).map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => (p.on('exit', r), p.kill('SIGKILL'))))));
}

function pacs(dir: string, extra: string[] = []): ChildProcess {
  fs.mkdirSync(dir, { recursive: true });
  const p = spawn('storescp', ['-od', dir, '-aet', 'MYPACS', ...extra, String(pacsPort)], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
  peers.push(p);
  return p;
}

const jobOf = (s: Serve, ae: string, pred: (j: any) => boolean, ms = 60_000) => until(`a ${ae} job`, async () => (await s.jobs()).find((j) => j.calledAe === ae && pred(j)), ms);
const pacsFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0);

describe.skipIf(!hasDcmtk)('an outbound outage', () => {
  it('the PACS down for longer than the quick retries, then up: delivered with no manual step; down again: dicom retry sends it at once', async () => {
    const data = path.join(project.dir, 'data-outage');
    const dir = path.join(project.dir, 'pacs-outage');
    // Waits of 1, 2, 4, ... s between attempts: the second study below waits long enough for a retry asked to come first.
    const s = await serveOn(data, ['--export-retry-for', '1h', '--export-retry-max-interval', '30s']);
    expect((await finished(storescu(s.port, 'THRESH_AI', project.series))).code).toBe(0);
    // Quick retries spent; the job waits for its next attempt, it is not failed.
    const waiting = await jobOf(s, 'THRESH_AI', (j) => j.export.state === 'retrying' && j.export.attempts >= 2);
    expect(waiting.state).toBe('exporting');
    expect(waiting.reason).toMatch(/12 of 12 instances not acknowledged yet .*next attempt .*retrying until/);
    const listed = await runCli(['--chart', project.chart, 'dicom', 'jobs', '--data', data]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${waiting.id}  exporting .* export retrying 0/12 \\(\\d+ attempts, next `));
    const up = pacs(dir);
    await waitForPort(pacsPort);
    const done = await jobOf(s, 'THRESH_AI', (j) => j.id === waiting.id && j.state === 'done', 30_000);
    expect(done.export).toMatchObject({ state: 'sent', sent: 12, failed: 0, duplicates: 0 });
    expect(done.export.attempts).toBeGreaterThan(2);
    expect(done.export.history.at(-1)).toMatchObject({ sent: 12, failed: 0, error: null });
    expect(pacsFiles(dir)).toBe(12);

    // Down again; this time the retry is asked for.
    up.kill();
    await new Promise((r) => up.on('exit', r));
    expect((await finished(storescu(s.port, 'THRESH_AI', project.series))).code).toBe(0);
    // Its next scheduled attempt at least 3 s away, so that what sends it is the retry asked for (on a busy machine too).
    const second = await jobOf(s, 'THRESH_AI', (j) => j.id !== done.id && j.export.state === 'retrying' && Date.parse(j.export.nextAttemptAt) - Date.now() > 3_000);
    pacs(dir);
    await waitForPort(pacsPort);
    const asked = await runCli(['--chart', project.chart, 'dicom', 'retry', second.id, '--data', data]);
    expect(asked.code, asked.stderr).toBe(0);
    // Queued now, or (the scheduled attempt came first) under way already.
    expect(asked.stdout).toMatch(/export of job .* queued \(what it did not acknowledge is sent\)|an export attempt of job .* is under way now/);
    const t0 = Date.now();
    const sentAgain = await jobOf(s, 'THRESH_AI', (j) => j.id === second.id && j.state === 'done', 30_000);
    // Sent at the retry, not at the next scheduled attempt.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(Date.parse(sentAgain.finishedAt)).toBeLessThan(Date.parse(second.export.nextAttemptAt));
    expect(sentAgain.export).toMatchObject({ sent: 12, duplicates: 0 });
    expect(pacsFiles(dir)).toBe(24);
    // Nothing left to retry: said, exit 2.
    const again = await runCli(['--chart', project.chart, 'dicom', 'retry', second.id, '--data', data]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is done: nothing to retry/);
    // The dashboard's button: a POST with a header no cross-site form can send.
    const post = (headers: Record<string, string>) => fetch(`${s.dashboard}/api/jobs/${second.id}/retry`, { method: 'POST', headers: { Authorization: `Bearer ${s.token}`, ...headers } });
    expect((await post({})).status).toBe(403);
    const answered = await post({ 'X-Clara-WF': 'retry' });
    expect(answered.status).toBe(409);
    expect(await answered.json()).toMatchObject({ ok: false, message: expect.stringMatching(/is done: nothing to retry/) });
    expect(await stop(s)).toBe(0);
  }, 120_000);

  it('a PACS that aborts mid-association: said as an abort; only the unanswered instance is sent again, recorded as a possible duplicate', async () => {
    const data = path.join(project.dir, 'data-abort');
    const dir = path.join(project.dir, 'pacs-abort');
    await stopPeers();
    // storescp --abort-after: receives the first C-STORE, then aborts before answering it.
    const bad = pacs(dir, ['--abort-after']);
    await waitForPort(pacsPort);
    // Waits of 1, 2, 4, ... s between attempts: the second study below waits long enough for a retry asked to come first.
    const s = await serveOn(data, ['--export-retry-for', '1h', '--export-retry-max-interval', '30s']);
    expect((await finished(storescu(s.port, 'THRESH_AI', project.series))).code).toBe(0);
    const waiting = await jobOf(s, 'THRESH_AI', (j) => j.export.state === 'retrying');
    expect(waiting.export.error).toMatch(/^no response: the peer aborted the association \(A-ABORT source \d+, reason \d+\)$/);
    bad.kill();
    await new Promise((r) => bad.on('exit', r));
    const before = pacsFiles(dir);
    pacs(dir);
    await waitForPort(pacsPort);
    const done = await jobOf(s, 'THRESH_AI', (j) => j.id === waiting.id && j.state === 'done', 30_000);
    // Each aborted attempt sent the same first instance without an answer, and each send after
    // such a one is a possible duplicate: one per aborted attempt. The other 11 went once.
    const aborted = done.export.history.filter((h: any) => /peer aborted/.test(h.error ?? '')).length;
    expect(aborted).toBeGreaterThanOrEqual(1);
    expect(done.export).toMatchObject({ state: 'sent', sent: 12, duplicates: aborted });
    // The PACS holds every instance, and at most the possible duplicates more.
    expect(pacsFiles(dir) - before).toBeGreaterThanOrEqual(12);
    expect(pacsFiles(dir) - before).toBeLessThanOrEqual(12 + done.export.duplicates);
    expect(await stop(s)).toBe(0);
  }, 120_000);
});

/** Serve started where it must refuse: its exit code and what it said. */
async function refusedStart(data: string): Promise<{ code: number | null; output: string }> {
  const r = await runCli(['--chart', project.chart, 'dicom', 'serve', '--port', String(await freePort()), '--data', data, '--runtime', 'process', '--min-free', '0B']);
  return { code: r.code, output: r.stdout + r.stderr };
}

/** A study held by the gateway (its group still open) when serve stopped: the data folder and its instance files. */
async function heldStudy(name: string): Promise<{ data: string; instances: string; files: string[] }> {
  const data = path.join(project.dir, name);
  const s = await serveOn(data);
  expect((await finished(storescu(s.port, 'HOLD_AI', project.series))).code).toBe(0);
  expect(await stop(s)).toBe(0);
  const instances = path.join(data, '.gateway', 'instances');
  const files = fs.readdirSync(instances).filter((f) => fs.statSync(path.join(instances, f)).size > 0);
  expect(files).toHaveLength(12);
  return { data, instances, files };
}

/** After recovery: the study runs whole (12 instances) and is delivered, or nothing is done. */
async function runsWhole(data: string): Promise<void> {
  const s = await serveOn(data);
  const job = await jobOf(s, 'HOLD_AI', (j) => ['done', 'failed'].includes(j.state), 60_000).catch((e) => {
    throw new Error(`${e.message}; serve said:\n${s.events.map((x) => x.message).join('\n')}`);
  });
  expect(job.state, JSON.stringify(job)).toBe('done');
  expect(job.instances).toBe(12);
  expect(fs.readdirSync(path.join(data, job.id, 'dicom-reader', 'input'))).toHaveLength(12);
  expect(await stop(s)).toBe(0);
}

const recover = (data: string) => runCli(['--chart', project.chart, 'dicom', 'recover', '--data', data, '--called-ae', 'HOLD_AI']);

describe.skipIf(!hasDcmtk)('a damaged or lost state', () => {
  beforeAll(async () => {
    // A PACS of their own that answers: the recovered studies are delivered.
    await stopPeers();
    pacs(path.join(project.dir, 'pacs-recovered'));
    await waitForPort(pacsPort);
  });

  it('the database deleted: the start stops naming it and dicom recover; recover files the 12 instances again and the study runs whole', async () => {
    const { data, instances, files } = await heldStudy('data-deleted');
    for (const f of ['gateway.db', 'gateway.db-wal', 'gateway.db-shm']) fs.rmSync(path.join(data, '.gateway', f), { force: true });
    const r = await refusedStart(data);
    expect(r.code).toBe(5);
    expect(r.output).toMatch(/gateway\.db: is missing, but 12 instance files are in .*: the state that names them is lost; stop here; run clara-wf dicom recover/);
    expect(fs.readdirSync(instances).sort()).toEqual(files.sort());
    // Without the old state, recover cannot tell the AE title: it asks, and changes nothing.
    const ask = await runCli(['--chart', project.chart, 'dicom', 'recover', '--data', data]);
    expect(ask.code).toBe(2);
    expect(ask.stderr).toMatch(/12 instance files were sent to an AE title the old state cannot tell .*give --called-ae/);
    const rec = await recover(data);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/12 instance files filed again into 1 study/);
    await runsWhole(data);
  }, 120_000);

  it('the database truncated: the start stops naming it; recover keeps the damaged file in quarantine/ and the study runs whole', async () => {
    const { data, instances, files } = await heldStudy('data-truncated');
    const db = path.join(data, '.gateway', 'gateway.db');
    const bytes = fs.readFileSync(db);
    fs.writeFileSync(db, bytes.subarray(0, Math.floor(bytes.length * 0.3)));
    const r = await refusedStart(data);
    expect(r.code).toBe(5);
    expect(r.output).toMatch(/gateway\.db: .*; stop here; run clara-wf dicom recover/);
    expect(fs.readdirSync(instances).sort()).toEqual(files.sort());
    const rec = await recover(data);
    expect(rec.code, rec.stderr).toBe(0);
    const kept = /old state kept as (\S+gateway\.db)/.exec(rec.stdout)?.[1] as string;
    expect(fs.statSync(kept).size).toBe(Math.floor(bytes.length * 0.3));
    await runsWhole(data);
  }, 120_000);

  it('bits flipped in the database, 12 trials: every start runs the study whole or stops naming the file; no instance file is deleted before its job is done', async () => {
    const { data } = await heldStudy('data-flipped');
    const db = path.join(data, '.gateway', 'gateway.db');
    const pristine = fs.readFileSync(db);
    const instances = path.join(data, '.gateway', 'instances');
    const originals = new Map(fs.readdirSync(instances).map((f) => [f, fs.readFileSync(path.join(instances, f))]));
    let seed = 24;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const outcomes: string[] = [];
    for (let trial = 0; trial < 12; trial++) {
      // The same held study every trial: the pristine database and its instance files.
      const trialData = path.join(project.dir, `data-flipped-${trial}`);
      fs.cpSync(data, trialData, { recursive: true });
      const bad = Buffer.from(pristine);
      for (let k = 0; k < 3; k++) {
        // Past SQLite's 100-byte header, where the rows are.
        const at = 100 + Math.floor(rnd() * (bad.length - 100));
        bad[at]! ^= 1 << Math.floor(rnd() * 8);
      }
      fs.writeFileSync(path.join(trialData, '.gateway', 'gateway.db'), bad);
      const port = await freePort();
      const child = spawn(bin, ['--chart', project.chart, '--json', 'dicom', 'serve', '--port', String(port), '--data', trialData, '--runtime', 'process', '--min-free', '0B'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out = finished(child);
      const trialInstances = path.join(trialData, '.gateway', 'instances');
      const q = path.join(trialData, '.gateway', 'quarantine');
      const finalJob = () => {
        const r = spawnSync(bin, ['--chart', project.chart, '--json', 'dicom', 'jobs', '--data', trialData], { encoding: 'utf8' });
        const jobs = r.status === 0 ? (JSON.parse(r.stdout).jobs as any[]) : [];
        return jobs.find((x) => x.calledAe === 'HOLD_AI' && ['done', 'failed'].includes(x.state));
      };
      // Every acknowledged instance file is in instances/ or quarantine/, as it was.
      const allKept = () => {
        const present = [...(fs.existsSync(trialInstances) ? fs.readdirSync(trialInstances).map((f) => path.join(trialInstances, f)) : []), ...(fs.existsSync(q) ? fs.readdirSync(q).map((f) => path.join(q, f)) : [])];
        // A file may go between the listing and the read (its job ended and released it): not counted.
        const bytes = present.flatMap((f) => {
          try {
            return fs.statSync(f).isFile() ? [fs.readFileSync(f)] : [];
          } catch {
            return [];
          }
        });
        return [...originals.values()].every((b) => bytes.some((x) => x.equals(b)));
      };
      const t0 = Date.now();
      let end: string | null = null;
      while (!end && Date.now() - t0 < 40_000) {
        await new Promise((r) => setTimeout(r, 250));
        if (child.exitCode !== null) {
          end = `exit ${child.exitCode}`;
          break;
        }
        const j = finalJob();
        if (j) {
          // Never a partial study delivered as done.
          if (j.state === 'done') expect(j.instances, JSON.stringify(j)).toBe(12);
          end = `${j.state} ${j.instances}`;
        } else if (!allKept()) {
          // The job may have ended (and released the files) between the two looks.
          expect(finalJob(), `trial ${trial}: an acknowledged instance file is gone while no job ended`).toBeTruthy();
        }
      }
      child.kill('SIGTERM');
      const { output } = await out;
      if (end?.startsWith('exit')) {
        expect(end).toBe('exit 5');
        expect(output).toMatch(/gateway\.db: .*clara-wf dicom recover/);
      }
      expect(end, output).not.toBeNull();
      outcomes.push(end as string);
    }
    console.log(`bit flips, 12 trials: ${outcomes.join('; ')}`);
  }, 600_000);

  it('an old journal.jsonl with torn, glued and wrong-shape lines: the start stops naming it and the lines; recover runs the study whole', async () => {
    const data = path.join(project.dir, 'data-journal');
    const instances = path.join(data, '.gateway', 'instances');
    fs.mkdirSync(instances, { recursive: true });
    const group = randomUUID();
    const files = fs.readdirSync(project.series).sort();
    const dump = (file: string, key: string) => spawnSync('dcmdump', ['+P', key, file], { encoding: 'utf8' }).stdout.match(/\[([^\]]*)\]/)?.[1] ?? '';
    const study = dump(path.join(project.series, files[0]!), 'StudyInstanceUID');
    const at = new Date().toISOString();
    const records: string[] = [JSON.stringify({ t: 'run', id: randomUUID(), pid: 1, at }), JSON.stringify({ t: 'group', id: group, calledAe: 'HOLD_AI', tag: '0020,000D', value: study, at })];
    for (const f of files) {
      const id = randomUUID();
      // The file as serve wrote it: a Part 10 file named by its record's id.
      const b = fs.readFileSync(path.join(project.series, f));
      fs.writeFileSync(path.join(instances, `${id}.dcm`), b);
      records.push(JSON.stringify({ t: 'instance', id, group, assoc: 'a', sopInstanceUid: dump(path.join(project.series, f), 'SOPInstanceUID'), sopClassUid: '1.2.840.10008.5.1.4.1.1.2', studyInstanceUid: study, seriesInstanceUid: '1.2.3', patientId: 'P', transferSyntaxUid: '1.2.840.10008.1.2.1', bytes: b.length, fileBytes: b.length, crc32: crc32(b), callingAe: 'DCM4CHEE', host: '127.0.0.1', at }));
    }
    const lines = [...records];
    lines[3] = lines[3]!.slice(0, 40); // torn
    lines[5] = lines[5]! + lines[6]!; // glued
    lines.splice(6, 1);
    lines.push(JSON.stringify({ t: 'closed', group, at, jobr: [] })); // wrong shape
    lines.push('null');
    fs.writeFileSync(path.join(data, '.gateway', 'journal.jsonl'), lines.join('\n') + '\n');
    const r = await refusedStart(data);
    expect(r.code).toBe(5);
    expect(r.output).toMatch(/journal\.jsonl: 4 lines cannot be read \(line 4, 6, 14, 15; kept in \S+quarantine\/journal-unreadable-lines-\S+\.jsonl\): the state it describes may be incomplete, so it is not imported; stop here; run clara-wf dicom recover/);
    expect(fs.readdirSync(instances)).toHaveLength(12);
    // Not imported means not half-imported: no database was left for the next start to trust.
    expect(fs.existsSync(path.join(data, '.gateway', 'gateway.db'))).toBe(false);
    // The readable lines name the AE title: recover needs no --called-ae.
    const rec = await runCli(['--chart', project.chart, 'dicom', 'recover', '--data', data]);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/12 instance files filed again into 1 study/);
    await runsWhole(data);
  }, 120_000);
});
