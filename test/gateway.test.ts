// The DICOM gateway under the conditions a hospital network gives it: restarts,
// kill -9, aborts, hostile and idle peers. Real dcmtk peers (storescu,
// storescp), raw sockets for what no well-behaved peer sends, and
// `clara-wf dicom serve` as a real process that the tests kill.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from './helpers.js';
import { auth, dicomProject, finished, freePort, hasDcmtk, startServe, startStorescp, until, waitForPort, type Serve } from './dicom-loop.js';

if (!hasDcmtk) throw new Error('dcmtk is not installed: .ci/run installs it (apt-get install dcmtk)');

let project: Awaited<ReturnType<typeof dicomProject>>;
let pacs: ChildProcess;
let pacsPort: number;
let downPort: number;
const running: Serve[] = [];

const run = async (...args: string[]) => {
  const r = await cli(['--chart', project.chart, ...args]);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
};

/** A series of one study of one patient. */
function series(name: string, slices: number, patient: string): string {
  const dir = path.join(project.dir, 'studies', name);
  spawnSync(process.execPath, [path.join(repoRoot, 'examples', 'make-test-series.mjs'), dir, '--slices', String(slices), '--size', '32', '--patient', patient]);
  return dir;
}

/** storescu -v: which files the SCP acknowledged with Success. */
function sendStudy(port: number, calledAe: string, what: string[], extra: string[] = []): Promise<{ code: number | null; output: string; acknowledged: string[] }> {
  const child = spawn('storescu', ['-v', '+sd', '+r', ...extra, '-aet', 'DCM4CHEE', '-aec', calledAe, '127.0.0.1', String(port), ...what], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return finished(child).then((r) => {
    const acknowledged: string[] = [];
    let current: string | null = null;
    for (const line of r.output.split('\n')) {
      const m = /^I: Sending file: (.+)$/.exec(line);
      if (m) current = m[1] as string;
      if (/Received Store Response \(Success\)/.test(line) && current) acknowledged.push(current);
    }
    return { ...r, acknowledged };
  });
}

/** A Part 10 file's dataset: what follows its group 0002 (explicit VR little endian). */
function datasetOf(file: string): Buffer {
  const b = fs.readFileSync(file);
  let off = 132;
  while (off + 8 <= b.length && b.readUInt16LE(off) === 0x0002) {
    const vr = b.toString('latin1', off + 4, off + 6);
    off += ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr) ? 12 + b.readUInt32LE(off + 8) : 8 + b.readUInt16LE(off + 6);
  }
  return b.subarray(off);
}
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

const dump = (file: string, tag: string) => /\[([^\]]*)\]/.exec(spawnSync('dcmdump', ['+P', tag, file], { encoding: 'utf8' }).stdout)?.[1] ?? '';

async function serveOn(data: string, port?: number, extra: string[] = []): Promise<Serve> {
  const s = await startServe(project.chart, data, ['--export-retries', '40', '--export-backoff', '100', ...extra], true, port);
  running.push(s);
  return s;
}

async function stop(s: Serve, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  s.child.kill(signal);
  return s.exited;
}

const jobsOf = async (s: Serve, ae: string) => (await s.jobs()).filter((j) => j.calledAe === ae);

beforeAll(async () => {
  pacsPort = await freePort();
  downPort = await freePort();
  project = await dicomProject({ pacsPort, downPort });
  // Tight network limits so the hostile-peer cases are quick.
  const cfg = path.join(project.chart, 'files', 'dicom-server-config.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('    max-associations: 2\n', '    max-associations: 2\n    artim-timeout: 1\n    idle-timeout: 2\n    max-pdu-length: 65536\n'));
  await run('workflow', 'create', '--name', 'slow-threshold', '--stages', 'dicom-reader,threshold,dicom-writer', '--arg', 'threshold=--min', '--arg', 'threshold=300', '--arg', 'threshold=--delay', '--arg', 'threshold=4000');
  for (const [ae, wf, dest, opts] of [
    ['QUIET_AI', 'threshold-example', 'MYPACS', ['--timeout', '1']],
    ['SLOW_AI', 'slow-threshold', 'MYPACS', ['--trigger', 'release']],
    ['LATER_AI', 'threshold-example', 'DOWNPACS', ['--trigger', 'release']],
  ] as const) {
    await run('dicom', 'ae', 'add', ae, ...opts);
    await run('dicom', 'map', ae, '--workflow', wf, '--destination', dest);
  }
  pacs = startStorescp(project.pacs, pacsPort);
  await waitForPort(pacsPort);
});

afterAll(async () => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  pacs?.kill();
});

describe('intake groups instances by study', () => {
  it('two studies on one association are two jobs; one study over two associations is one job', async () => {
    const data = path.join(project.dir, 'data-grouping');
    const s = await serveOn(data);
    const a = series('g-a', 4, 'PAT-A');
    const b = series('g-b', 3, 'PAT-B');
    const one = await sendStudy(s.port, 'QUIET_AI', [a, b]);
    expect(one.acknowledged).toHaveLength(7);
    const c = series('g-c', 6, 'PAT-C');
    const files = fs.readdirSync(c).sort().map((f) => path.join(c, f));
    expect((await sendStudy(s.port, 'QUIET_AI', files.slice(0, 3))).acknowledged).toHaveLength(3);
    expect((await sendStudy(s.port, 'QUIET_AI', files.slice(3))).acknowledged).toHaveLength(3);
    const jobs = await until('three jobs done', async () => {
      const j = await jobsOf(s, 'QUIET_AI');
      return j.length === 3 && j.every((x) => x.state === 'done') && j;
    });
    const byPatient = new Map<string, number>();
    for (const j of jobs) {
      const input = path.join(data, j.id, 'dicom-reader', 'input');
      const patients = new Set(fs.readdirSync(input).map((f) => dump(path.join(input, f), 'PatientID')));
      expect(patients.size).toBe(1);
      byPatient.set([...patients][0] as string, j.instances);
      expect(j.groupKey.tag).toBe('0020,000D');
    }
    expect(Object.fromEntries(byPatient)).toEqual({ 'PAT-A': 4, 'PAT-B': 3, 'PAT-C': 6 });
    expect(await stop(s)).toBe(0);
  });

  it('A-ABORT after Success responses keeps every acknowledged instance (storescu --abort)', async () => {
    const data = path.join(project.dir, 'data-abort');
    const s = await serveOn(data);
    const study = series('abort', 5, 'PAT-ABORT');
    const r = await sendStudy(s.port, 'QUIET_AI', [study], ['--abort']);
    expect(r.acknowledged).toHaveLength(5);
    await s.waitFor((e) => e.aborted === true && /5 acknowledged instances kept/.test(e.message));
    const job = await until('job done', async () => (await jobsOf(s, 'QUIET_AI')).find((j) => j.state === 'done'));
    expect(job.instances).toBe(5);
    expect(await stop(s)).toBe(0);
  });
});

describe('what is stored', () => {
  it('every instance is stored byte for byte as sent, also when it spans many PDUs and socket reads', async () => {
    const data = path.join(project.dir, 'data-bytes');
    const s = await serveOn(data);
    // 256×256 16-bit slices are ~128 KB: several 64 KB PDUs each (max-pdu-length here).
    const dir = path.join(project.dir, 'studies', 'bytes');
    spawnSync(process.execPath, [path.join(repoRoot, 'examples', 'make-test-series.mjs'), dir, '--slices', '6', '--size', '256', '--patient', 'PAT-BYTES']);
    const sent = fs.readdirSync(dir).map((f) => sha1(datasetOf(path.join(dir, f))));
    expect((await sendStudy(s.port, 'QUIET_AI', [dir])).acknowledged).toHaveLength(6);
    const job = await until('job done', async () => (await jobsOf(s, 'QUIET_AI')).find((j) => j.state === 'done'));
    const input = path.join(data, job.id, 'dicom-reader', 'input');
    expect(fs.readdirSync(input).map((f) => sha1(datasetOf(path.join(input, f)))).sort()).toEqual(sent.sort());
    expect(await stop(s)).toBe(0);
  });
});

describe('hostile and idle peers', () => {
  let s: Serve;
  beforeAll(async () => {
    s = await serveOn(path.join(project.dir, 'data-hostile'));
  });
  afterAll(async () => {
    await stop(s);
  });

  it('a PDU declaring 4 GiB is answered with A-ABORT and closed at once; a real store is not delayed by more than 1 s', async () => {
    const [before, during] = [series('hostile-0', 16, 'PAT-H0'), series('hostile-1', 16, 'PAT-H1')];
    const b0 = Date.now();
    expect((await sendStudy(s.port, 'QUIET_AI', [before])).acknowledged).toHaveLength(16);
    const baselineMs = Date.now() - b0;
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    const closed = new Promise<number>((r) => {
      const t0 = Date.now();
      sock.on('close', () => r(Date.now() - t0));
    });
    sock.write(Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff]));
    // Zeros keep coming, as in the report that drove the server to 100% CPU.
    const zeros = Buffer.alloc(64 * 1024);
    const flood = setInterval(() => !sock.destroyed && sock.write(zeros), 5);
    const t0 = Date.now();
    const r = await sendStudy(s.port, 'QUIET_AI', [during]);
    const storeMs = Date.now() - t0;
    clearInterval(flood);
    expect(r.acknowledged).toHaveLength(16);
    expect(await closed).toBeLessThan(1000);
    // The A-ABORT PDU (type 0x07) came back before the close.
    expect(Buffer.concat(got)[0]).toBe(0x07);
    expect(storeMs - baselineMs).toBeLessThan(1000);
  });

  it('idle connections do not count as associations and are closed by the ARTIM timer', async () => {
    const [before, during] = [series('idle-0', 16, 'PAT-I0'), series('idle-1', 16, 'PAT-I1')];
    const b0 = Date.now();
    expect((await sendStudy(s.port, 'QUIET_AI', [before])).acknowledged).toHaveLength(16);
    const baselineMs = Date.now() - b0;
    const idle = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<{ closedAfter: Promise<number> }>((resolve) => {
            const c = net.connect(s.port, '127.0.0.1', () => {
              const t0 = Date.now();
              resolve({ closedAfter: new Promise((r) => c.on('close', () => r(Date.now() - t0))) });
            });
            c.on('error', () => {});
            c.on('data', () => {}); // read, or the close is never noticed
          }),
      ),
    );
    const t0 = Date.now();
    const r = await sendStudy(s.port, 'QUIET_AI', [during]);
    expect(r.acknowledged).toHaveLength(16);
    expect(Date.now() - t0 - baselineMs).toBeLessThan(1000);
    for (const c of idle) {
      const ms = await c.closedAfter;
      expect(ms).toBeGreaterThan(800);
      expect(ms).toBeLessThan(3000);
    }
  });

  it('max-associations counts associations: 6 concurrent senders against 2, each accepted or told busy, none hangs', async () => {
    const sends = await Promise.all([1, 2, 3, 4, 5, 6].map((k) => sendStudy(s.port, 'QUIET_AI', [series(`busy-${k}`, 8, `PAT-B${k}`)])));
    const accepted = sends.filter((x) => x.acknowledged.length === 8);
    const busy = sends.filter((x) => /Association Rejected|Local Limit Exceeded/i.test(x.output));
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(accepted.length + busy.length).toBe(6);
  });
});

describe('restart recovery', () => {
  it('kill -9 while a stage runs: the orphaned stage is stopped, the job runs again and is exported once the serve is back; history survives', async () => {
    const data = path.join(project.dir, 'data-kill');
    const port = await freePort();
    const s1 = await serveOn(data, port);
    const study = series('kill-stage', 4, 'PAT-K1');
    expect((await sendStudy(port, 'SLOW_AI', [study])).acknowledged).toHaveLength(4);
    const job = await until('threshold running', async () => (await jobsOf(s1, 'SLOW_AI')).find((j) => j.stages.some((x: any) => x.name === 'threshold' && x.status === 'running')));
    const orphan = await until('the stage process', async () => {
      const ps = spawnSync('pgrep', ['-f', 'threshold.mjs --min 300 --delay 4000'], { encoding: 'utf8' }).stdout.trim();
      return ps ? Number(ps.split('\n')[0]) : null;
    });
    await stop(s1, 'SIGKILL');
    expect(fs.existsSync(`/proc/${orphan}`)).toBe(true); // left running by the killed serve
    const s2 = await serveOn(data, port);
    await s2.waitFor((e) => e.type === 'recovery' && e.job === job.id && /interrupted, \d+ orphaned stage process(es)? stopped; running it again/.test(e.message));
    expect(fs.existsSync(`/proc/${orphan}`) && !/\) Z /.test(fs.readFileSync(`/proc/${orphan}/stat`, 'utf8'))).toBe(false);
    const done = await until('job done again', async () => (await s2.jobs()).find((j) => j.id === job.id && j.state === 'done'), 40_000);
    expect(done).toMatchObject({ attempt: 2, interrupted: 1, instances: 4, export: { state: 'sent' } });
    // History: the jobs of the first run are all still listed.
    expect((await s2.jobs()).length).toBeGreaterThanOrEqual(1);
    expect(await stop(s2)).toBe(0);
  });

  it('kill -9 with an export pending: delivered after the restart (at least once)', async () => {
    const data = path.join(project.dir, 'data-export');
    const port = await freePort();
    const s1 = await serveOn(data, port);
    expect((await sendStudy(port, 'LATER_AI', [series('later', 3, 'PAT-L1')])).acknowledged).toHaveLength(3);
    const job = await until('exporting, destination down', async () => (await jobsOf(s1, 'LATER_AI')).find((j) => j.state === 'exporting' && j.export.attempts >= 1));
    await stop(s1, 'SIGKILL');
    const later = path.join(project.dir, 'later-pacs');
    const peer = startStorescp(later, downPort);
    await waitForPort(downPort);
    try {
      const s2 = await serveOn(data, port);
      await s2.waitFor((e) => e.type === 'recovery' && e.job === job.id && /was exporting/.test(e.message));
      await until('delivered', async () => (await s2.jobs()).find((j) => j.id === job.id && j.state === 'done'));
      expect(fs.readdirSync(later).length).toBe(3);
      expect(await stop(s2)).toBe(0);
    } finally {
      peer.kill();
    }
  });

  it('SIGTERM while a job runs re-queues it (not failed); the next start runs it', async () => {
    const data = path.join(project.dir, 'data-term');
    const port = await freePort();
    const s1 = await serveOn(data, port, ['--grace', '1']);
    expect((await sendStudy(port, 'SLOW_AI', [series('term', 3, 'PAT-T1')])).acknowledged).toHaveLength(3);
    const job = await until('running', async () => (await jobsOf(s1, 'SLOW_AI')).find((j) => j.state === 'running'));
    let stoppedAt = 0;
    s1.child.stdout!.on('data', (d) => {
      if (!stoppedAt && /"message":"stopped"/.test(String(d))) stoppedAt = Date.now();
    });
    expect(await stop(s1, 'SIGTERM')).toBe(0);
    // A prompt exit: no timer of the stop's own keeps the process alive after it says so (it lingered ~7 s).
    expect(Date.now() - stoppedAt).toBeLessThan(1500);
    expect(s1.events.some((e) => e.job === job.id && /interrupted by the stop; queued for the next start/.test(e.message))).toBe(true);
    const s2 = await serveOn(data, port);
    await s2.waitFor((e) => e.type === 'recovery' && e.job === job.id && /re-queued/.test(e.message));
    const done = await until('done', async () => (await s2.jobs()).find((j) => j.id === job.id && j.state === 'done'), 40_000);
    expect(done.attempt).toBe(2);
    expect(await stop(s2)).toBe(0);
  });

  it('the dashboard API needs the token and a Host naming the server', async () => {
    const s = await serveOn(path.join(project.dir, 'data-dash'));
    expect((await fetch(`${s.dashboard}/api/jobs`)).status).toBe(401);
    expect((await fetch(`${s.dashboard}/api/jobs`, auth(s))).status).toBe(200);
    const rebound = await new Promise<number>((resolve) => {
      const u = new URL(s.dashboard as string);
      const req = http.request({ host: u.hostname, port: u.port, path: '/api/jobs', headers: { Host: 'evil.example:80', Authorization: `Bearer ${s.token}` } }, (res) => resolve(res.statusCode ?? 0));
      req.end();
    });
    expect(rebound).toBe(421);
    // Liveness (a kubelet's probe: the pod's IP as Host, no token) answers and tells nothing else.
    const health = await new Promise<{ code: number; body: string }>((resolve) => {
      const u = new URL(s.dashboard as string);
      const req = http.request({ host: u.hostname, port: u.port, path: '/healthz', headers: { Host: '10.1.2.3:8080' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.end();
    });
    expect(health).toEqual({ code: 200, body: '{"ok":true}' });
    // Readiness: the DICOM port takes a connection now; said as such, with no token.
    const ready = await fetch(`${s.dashboard}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, why: `DICOM port ${s.port} accepting` });
    expect(await stop(s)).toBe(0);
  });
});

describe('records committed while their files were synced', () => {
  it('a restart leaves out a record whose file was cut short (never acknowledged), keeping that file in quarantine/, and keeps the whole ones; an old journal.jsonl is imported once', async () => {
    const data = path.join(project.dir, 'data-cut');
    const instances = path.join(data, '.gateway', 'instances');
    fs.mkdirSync(instances, { recursive: true });
    const dir = series('cut', 2, 'PAT-CUT');
    const [whole, cut] = fs.readdirSync(dir).sort().map((f) => path.join(dir, f)) as [string, string];
    const group = randomUUID();
    const study = dump(whole, 'StudyInstanceUID');
    const record = (file: string, id: string) => {
      const b = fs.readFileSync(file);
      return { t: 'instance', id, group, assoc: randomUUID(), sopInstanceUid: dump(file, 'SOPInstanceUID'), sopClassUid: dump(file, 'SOPClassUID'), studyInstanceUid: study, seriesInstanceUid: dump(file, 'SeriesInstanceUID'), patientId: 'PAT-CUT', transferSyntaxUid: '1.2.840.10008.1.2.1', bytes: b.length, fileBytes: b.length, crc32: crc32(b), callingAe: 'DCM4CHEE', host: '127.0.0.1', at: new Date().toISOString() };
    };
    const [wholeId, cutId] = [randomUUID(), randomUUID()];
    fs.copyFileSync(whole, path.join(instances, `${wholeId}.dcm`));
    // The record reached the disk, the file's last part did not: serve died before its Success.
    fs.writeFileSync(path.join(instances, `${cutId}.dcm`), fs.readFileSync(cut).subarray(0, 1000));
    fs.writeFileSync(path.join(instances, `${randomUUID()}.dcm`), ''); // a spare made ahead of need
    const journal = [{ t: 'group', id: group, calledAe: 'QUIET_AI', tag: '0020,000D', value: study, at: new Date().toISOString() }, record(whole, wholeId), record(cut, cutId)];
    fs.writeFileSync(path.join(data, '.gateway', 'journal.jsonl'), journal.map((r) => JSON.stringify(r) + '\n').join(''));
    const s = await serveOn(data);
    const size = fs.statSync(cut).size;
    // An old journal.jsonl is imported into the database once, then kept renamed.
    await s.waitFor((e) => /^journal: 3 records of .* imported into .*gateway\.db/.test(e.message));
    expect(fs.existsSync(path.join(data, '.gateway', 'journal.jsonl.imported'))).toBe(true);
    const warned = await s.waitFor((e) => e.level === 'warning' && e.message.includes(`was recorded but its file has 1000 of its ${size} bytes`) && /never acknowledged .*left out of its group, file kept as /.test(e.message));
    // Never deleted: the cut file is kept in quarantine/, as it was.
    const kept = /file kept as (\S+)$/.exec(warned.message)?.[1] as string;
    expect(path.dirname(kept)).toBe(path.join(data, '.gateway', 'quarantine'));
    expect(fs.statSync(kept).size).toBe(1000);
    const job = await until('job done', async () => (await jobsOf(s, 'QUIET_AI')).find((j) => j.state === 'done'));
    expect(job.instances).toBe(1);
    const input = path.join(data, job.id, 'dicom-reader', 'input');
    expect(fs.readdirSync(input).map((f) => dump(path.join(input, f), 'SOPInstanceUID'))).toEqual([dump(whole, 'SOPInstanceUID')]);
    expect(await stop(s)).toBe(0);
  });
});

describe('50 randomised kill / abort / restart cycles', () => {
  it('no acknowledged instance is lost and none is attributed to another study', async () => {
    const data = path.join(project.dir, 'data-chaos');
    const port = await freePort();
    // A deterministic pseudo-random sequence, so a failure can be replayed.
    let seed = 20261202;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const sent = new Map<string, { patient: string; study: string; cycle: number; action: string }>(); // acknowledged: SOP Instance UID → identity
    const offered = new Map<string, { patient: string; study: string }>(); // every instance sent
    let s = await serveOn(data, port);
    for (let cycle = 0; cycle < 50; cycle++) {
      const patient = `PAT-C${cycle}`;
      const dir = series(`chaos-${cycle}`, 3 + Math.floor(rnd() * 4), patient);
      // Everything offered, acknowledged or not: an instance journalled just
      // before a kill -9 (its Success never sent) is still processed after the
      // restart, and must carry the identity it was sent with.
      for (const f of fs.readdirSync(dir)) offered.set(dump(path.join(dir, f), 'SOPInstanceUID'), { patient, study: dump(path.join(dir, f), 'StudyInstanceUID') });
      const action = rnd();
      const send = sendStudy(port, 'QUIET_AI', [dir], action < 0.25 ? ['--abort'] : []);
      if (action >= 0.5 && action < 0.75) {
        await new Promise((r) => setTimeout(r, Math.floor(rnd() * 40)));
        await stop(s, 'SIGKILL');
      }
      const r = await send;
      const what = action < 0.25 ? 'abort' : action < 0.5 ? 'normal' : action < 0.75 ? 'kill -9' : action < 0.85 ? 'normal, then SIGTERM' : 'normal';
      for (const f of r.acknowledged) sent.set(dump(f, 'SOPInstanceUID'), { patient, study: dump(f, 'StudyInstanceUID'), cycle, action: what });
      if (action >= 0.75 && action < 0.85) await stop(s, 'SIGTERM');
      if (s.child.exitCode !== null || s.child.signalCode !== null) s = await serveOn(data, port);
    }
    // Every job the journal holds ends, and the last groups close (their quiet period):
    // wait until the jobs' inputs hold every acknowledged instance, or time out.
    const seen = new Map<string, string>();
    let jobs: any[] = [];
    const t0 = Date.now();
    for (;;) {
      jobs = await jobsOf(s, 'QUIET_AI');
      const ended = jobs.length > 0 && jobs.every((x) => ['done', 'failed'].includes(x.state));
      if (ended) {
        seen.clear();
        for (const j of jobs) for (const f of fs.readdirSync(path.join(data, j.id, 'dicom-reader', 'input'))) seen.set(f.replace(/\.dcm$/, ''), j.id);
        if ([...sent.keys()].every((sop) => seen.has(sop))) break;
      }
      if (Date.now() - t0 > 120_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const j of jobs) {
      const input = path.join(data, j.id, 'dicom-reader', 'input');
      const studies = new Set<string>();
      for (const f of fs.readdirSync(input)) {
        const sop = f.replace(/\.dcm$/, '');
        const study = dump(path.join(input, f), 'StudyInstanceUID');
        studies.add(study);
        const expected = offered.get(sop);
        expect(expected, `${sop} in job ${j.id} was never sent`).toBeDefined();
        expect(study).toBe(expected?.study);
      }
      expect(studies.size).toBe(1); // one job, one study
      expect(j.groupKey.value).toBe([...studies][0]);
    }
    // What reached the PACS: every exported instance of these patients carries
    // the study that patient's instances were sent in.
    const studyOf = new Map([...offered.values()].map((v) => [v.patient, v.study]));
    let exported = 0;
    for (const f of fs.readdirSync(project.pacs)) {
      const file = path.join(project.pacs, f);
      const patient = dump(file, 'PatientID');
      if (!/^PAT-C[0-9]+$/.test(patient)) continue; // this test's patients only
      exported++;
      expect(dump(file, 'StudyInstanceUID'), `${f} of ${patient}`).toBe(studyOf.get(patient));
    }
    expect(exported).toBeGreaterThan(0);
    const lost = [...sent.entries()].filter(([sop]) => !seen.has(sop)).map(([sop, who]) => `${sop} (${who.patient}, cycle ${who.cycle} ${who.action})`);
    expect(lost).toEqual([]);
    expect(await stop(s)).toBe(0);
  }, 300_000);
});
