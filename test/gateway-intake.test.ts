// The gateway's intake in-process: an instance whose record reached the
// journal but whose file could not be synced is answered with a failure and
// taken back (a `void` record), while another instance of the same study,
// journalled in the same group at the same time, stays.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDicomConfig } from '../src/core/dicom-config.js';
import type { Values } from '../src/core/model.js';
import { DicomService, gatewayPaths } from '../src/gateway/service.js';
import { Store } from '../src/gateway/store.js';
import { replay } from '../src/gateway/state.js';
import { tempDir } from './helpers.js';
import { processRuntime } from '../src/runner/process.js';

const config = `dicom:
  scp:
    port: 11112
    ae-titles:
      - ae-title: INTAKE_AI
        processor: x
    reject-unknown-sources: false
  scu:
    ae-title: ClaraSCU
workflows: []
pipeline-mappings:
  - name: intake
    clara-ae-title: INTAKE_AI
    pipeline-id: 0123456789abcdef0123456789abcdef
`;

const services: DicomService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

describe('an instance journalled whose file could not be synced', () => {
  it('is answered with a failure and voided; the group and its other instance stay, live and after a replay', async () => {
    const dir = tempDir();
    const checked = checkDicomConfig(config, 'dicom-server-config.yaml', null);
    expect(checked.ok).toBe(true);
    const service = new DicomService({ config: checked.config!, values: {} as Values, valuesDir: dir, dataDir: dir, host: '127.0.0.1', port: 0, maxJobs: 1, runtime: processRuntime, env: {}, graceMs: 0, jobTimeoutMs: 60_000, exportRetries: 0, exportBackoffMs: 0, rerunInterrupted: true, exportRetryForMs: 0, exportRetryMaxIntervalMs: 1000, minFreeBytes: 0 });
    services.push(service);
    await service.start();
    const paths = gatewayPaths(dir);
    const association = { id: randomUUID(), calledAe: 'INTAKE_AI', callingAe: 'MODALITY', host: '127.0.0.1' };
    const instance = (sop: string) => {
      const id = randomUUID();
      const bytes = Buffer.from(`dataset of ${sop}`);
      const file = path.join(paths.instances, `${id}.dcm`);
      fs.writeFileSync(file, bytes);
      return { file, id, ids: { sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', patientId: 'PAT-1' }, transferSyntaxUid: '1.2.840.10008.1.2.1', bytes: bytes.length, fileBytes: bytes.length, crc32: crc32(bytes) };
    };
    const first = instance('1.2.3.4.1');
    const second = instance('1.2.3.4.2');
    // Both join one new group at once; the first one's file sync fails.
    const stored = (service as unknown as { stored(a: unknown, i: unknown, d: Promise<void>): Promise<number> }).stored.bind(service);
    const failing = stored(association, first, Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
    const fine = stored(association, second, Promise.resolve());
    await expect(failing).rejects.toThrow('EIO');
    expect(await fine).toBe(0);

    const live = (service as unknown as { state: ReturnType<typeof replay> }).state;
    expect([...live.groups.values()].map((g) => g.instances.map((i) => i.sopInstanceUid))).toEqual([['1.2.3.4.2']]);
    // What the database holds after the void: the same group, with only the durable instance.
    const store = Store.read(paths.db);
    const saved = store.load();
    store.close();
    expect([...saved.groups.values()].map((g) => g.instances.map((i) => i.sopInstanceUid))).toEqual([['1.2.3.4.2']]);
  });
});
