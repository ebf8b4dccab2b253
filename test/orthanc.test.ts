// Orthanc (Debian's package, a PACS nobody here wrote) as both peers of the
// gateway: Orthanc C-STOREs a study to `dicom serve` (REST
// /modalities/<m>/store), the workflow runs, and serve exports the result back
// to Orthanc, which must then hold the derived series in the same study.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { dicomProject, freePort, startServe, waitForPort, type Serve } from './dicom-loop.js';

const ORTHANC = '/usr/sbin/Orthanc';
if (!fs.existsSync(ORTHANC)) throw new Error('Orthanc is missing: .ci/run installs it (apt-get install orthanc)');

let project: Awaited<ReturnType<typeof dicomProject>>;
let orthanc: ChildProcess;
let serve: Serve;
let http: string;

const rest = async (method: string, url: string, body?: BodyInit) => {
  const r = await fetch(`${http}${url}`, { method, body });
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.json();
};

beforeAll(async () => {
  const [dicomPort, httpPort, servePort] = [await freePort(), await freePort(), await freePort()];
  project = await dicomProject({ pacsPort: await freePort(), downPort: await freePort() });
  const run = async (...args: string[]) => {
    const r = await cli(['--chart', project.chart, ...args]);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };
  // Orthanc is a known source of the gateway and the destination of its results.
  await run('dicom', 'source', 'add', 'ORTHANC', '--host', '127.0.0.1');
  await run('dicom', 'dest', 'add', 'ORTHANC', '--host', '127.0.0.1', '--port', String(dicomPort), '--ae', 'ORTHANC');
  await run('dicom', 'ae', 'add', 'ORTHANC_AI', '--timeout', '1');
  await run('dicom', 'map', 'ORTHANC_AI', '--workflow', 'threshold-example', '--destination', 'ORTHANC');
  const dir = path.join(project.dir, 'orthanc');
  fs.mkdirSync(dir);
  const config = {
    Name: 'clara-wf-test',
    DicomAet: 'ORTHANC',
    DicomPort: dicomPort,
    HttpPort: httpPort,
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomModalities: { clara: ['ORTHANC_AI', '127.0.0.1', servePort] },
    Plugins: [],
  };
  fs.writeFileSync(path.join(dir, 'orthanc.json'), JSON.stringify(config));
  orthanc = spawn(ORTHANC, [path.join(dir, 'orthanc.json')], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
  http = `http://127.0.0.1:${httpPort}`;
  await waitForPort(httpPort, 20_000);
  serve = await startServe(project.chart, project.data, [], true, servePort);
});

afterAll(async () => {
  serve?.child.kill('SIGTERM');
  await serve?.exited;
  orthanc?.kill('SIGTERM');
});

describe('Orthanc → dicom serve → workflow → Orthanc', () => {
  it('a study stored by Orthanc comes back with its threshold mask series, in the same study', async () => {
    for (const f of fs.readdirSync(project.series)) await rest('POST', '/instances', fs.readFileSync(path.join(project.series, f)));
    const [study] = (await rest('GET', '/studies')) as string[];
    await rest('POST', '/modalities/clara/echo', '{}'); // C-ECHO Orthanc → serve: throws unless it succeeds
    await rest('POST', '/modalities/clara/store', study as string);
    const t0 = Date.now();
    let job: any;
    while (Date.now() - t0 < 30_000) {
      job = (await serve.jobs()).find((j) => j.calledAe === 'ORTHANC_AI' && ['done', 'failed'].includes(j.state));
      if (job) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ state: 'done', instances: 12, callingAe: 'ORTHANC', export: { state: 'sent', sent: 12, destination: 'ORTHANC' } });
    const studies = (await rest('GET', '/studies')) as string[];
    expect(studies).toEqual([study]); // the results joined the study they came from
    const series = (await rest('GET', `/studies/${study}/series?expand`)) as any[];
    const descriptions = series.map((s) => s.MainDicomTags.SeriesDescription).sort();
    expect(descriptions).toEqual(['Synthetic CT phantom', 'Threshold mask (HU >= 300)']);
    const mask = series.find((s) => /Threshold/.test(s.MainDicomTags.SeriesDescription));
    expect(mask.Instances).toHaveLength(12);
  });
});

