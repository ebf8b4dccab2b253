// The chart the raw-PDU probe and the association fuzz suite run `dicom serve`
// on: one AE title mapped to a pipeline (a received study is kept, nothing
// runs), senders known on two loopback addresses, and tight limits so each
// case is quick.
import fs from 'node:fs';
import path from 'node:path';
import { chartCopy, cli } from './helpers.js';

export const AE = 'PROBE_AI';
export const CALLING = 'DCM4CHEE';

export const PROBE_LIMITS = ['    max-associations: 4', '    artim-timeout: 2', '    idle-timeout: 3', '    max-idle-connections-per-host: 4', '    max-associations-per-host: 3', '    max-instance-bytes: 1048576', '    max-association-bytes: 3145728'];

export async function probeChart(): Promise<{ dir: string; chart: string }> {
  const c = chartCopy();
  const run = async (...args: string[]) => {
    const r = await cli(['--chart', c.chart, ...args]);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };
  await run('dicom', 'ae', 'add', AE, '--trigger', 'release');
  await run('dicom', 'map', AE, '--pipeline', '0123456789abcdef0123456789abcdef', '--name', 'probe');
  await run('dicom', 'source', 'add', CALLING, '--host', '127.0.0.2');
  const cfg = path.join(c.chart, 'files', 'dicom-server-config.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('    max-associations: 2\n', `${PROBE_LIMITS.join('\n')}\n`));
  return c;
}
