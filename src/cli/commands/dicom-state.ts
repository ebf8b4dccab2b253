// dicom jobs / retry / recover: the gateway's state, read and acted on from
// outside serve (its database allows a reader and a second writer beside it).
import fs from 'node:fs';
import { StateDamaged, UsageError } from '../../core/errors.js';
import { gatewayPaths, runningServe } from '../../gateway/data-folder.js';
import type { JobRecord } from '../../gateway/state.js';
import type { Ctx } from '../context.js';
import { requireValidDicomConfig } from '../dicom-file.js';
import { requireValidValues } from '../values-file.js';


async function openExisting(db: string, dataDir: string, write: boolean) {
  if (!fs.existsSync(db)) throw new UsageError(`no gateway state in ${dataDir} (${db} does not exist): start clara-wf dicom serve --data ${dataDir} first, or give the --data folder serve uses`);
  const { Store } = await import('../../gateway/store.js');
  return write ? Store.open(db) : Store.read(db);
}

const exportText = (j: JobRecord) => {
  const e = j.export;
  if (e.state === 'skipped') return 'skipped';
  const extra = [e.attempts ? `${e.attempts} attempt${e.attempts === 1 ? '' : 's'}` : '', e.duplicates ? `${e.duplicates} possible duplicate${e.duplicates === 1 ? '' : 's'}` : '', e.state === 'retrying' && e.nextAttemptAt ? `next ${e.nextAttemptAt}` : ''].filter(Boolean).join(', ');
  return `${e.state} ${e.sent}/${e.sent + e.failed}${extra ? ` (${extra})` : ''}`;
};

export async function jobs(ctx: Ctx, f: { data?: string }): Promise<number> {
  const dataDir = ctx.dataDir(f.data);
  const paths = gatewayPaths(dataDir);
  const store = await openExisting(paths.db, dataDir, false);
  let list: JobRecord[];
  try {
    list = store.jobs();
  } finally {
    store.close();
  }
  if (ctx.json) {
    ctx.printJson({ ok: true, jobs: list });
    return 0;
  }
  if (!list.length) ctx.out(`no jobs in ${dataDir}`);
  for (const j of list) {
    ctx.out(`${j.id}  ${j.state.padEnd(9)}  ${j.target.name}  ${j.instances} instance${j.instances === 1 ? '' : 's'} from ${j.callingAe}  received ${j.receivedAt}  export ${exportText(j)}`);
    if (j.reason && j.state !== 'done') ctx.out(`    ${j.reason}`);
  }
  return 0;
}

export async function retry(ctx: Ctx, id: string, f: { data?: string }): Promise<number> {
  const dataDir = ctx.dataDir(f.data);
  const paths = gatewayPaths(dataDir);
  const pid = runningServe(paths.pid);
  const store = await openExisting(paths.db, dataDir, true);
  try {
    const job = store.jobs().find((j) => j.id === id);
    if (!job) throw new UsageError(`no job ${id} in ${dataDir} (clara-wf dicom jobs --data ${dataDir} lists them)`);
    // With serve running, serve decides (what it holds may be newer than the database); without, the database does.
    if (!pid && (job.state === 'done' || job.state === 'stored')) throw new UsageError(`job ${id} is ${job.state}: nothing to retry`);
    const asked = store.request(id, 'retry');
    if (!pid) {
      if (ctx.json) ctx.printJson({ ok: true, job: id, serve: null, answer: null });
      else ctx.out(`retry of job ${id} asked: clara-wf dicom serve is not running, so it retries at its next start; follow it with clara-wf dicom jobs --data ${dataDir}`);
      return 0;
    }
    // Serve looks every second; its answer comes back through the database.
    const t0 = Date.now();
    let answer = store.answer(asked);
    while (!answer && Date.now() - t0 < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
      answer = store.answer(asked);
    }
    if (ctx.json) ctx.printJson({ ok: answer?.ok ?? true, job: id, serve: pid, answer });
    else if (answer) ctx.out(`retry of job ${id}: ${answer.message} (clara-wf dicom serve, pid ${pid}); follow it with clara-wf dicom jobs --data ${dataDir}`);
    else ctx.out(`retry of job ${id} asked; clara-wf dicom serve (pid ${pid}) has not answered within 10 s (busy, or its disk is full); it takes it at its next look`);
    if (answer && !answer.ok) throw new UsageError(`retry of job ${id}: ${answer.message}`);
    return 0;
  } finally {
    store.close();
  }
}

export async function recover(ctx: Ctx, f: { data?: string; calledAe?: string }): Promise<number> {
  const dataDir = ctx.dataDir(f.data);
  const paths = gatewayPaths(dataDir);
  const values = requireValidValues(ctx, 'nothing was changed');
  const config = requireValidDicomConfig(ctx, values.values, 'nothing was changed');
  const pid = runningServe(paths.pid);
  if (pid) throw new UsageError(`clara-wf dicom serve (pid ${pid}) uses ${dataDir}: stop it first; nothing was changed`);
  if (!fs.existsSync(paths.dir)) throw new UsageError(`no gateway folder ${paths.dir}: nothing to recover`);
  const titles = (config.dicom.scp['ae-titles'] ?? []).map((t) => t['ae-title']);
  if (f.calledAe !== undefined && !titles.includes(f.calledAe)) throw new UsageError(`--called-ae ${f.calledAe} is not an AE title of the configuration (${titles.join(', ')})`);
  const { recoverState } = await import('../../gateway/recover.js');
  let report;
  try {
    report = recoverState({ ...paths, config, calledAe: f.calledAe });
  } catch (e) {
    if (e instanceof StateDamaged || e instanceof UsageError) throw e;
    throw new StateDamaged(paths.dir, `cannot be rebuilt (${(e as Error).message})`, 'free space on its disk (or make it writable) and run clara-wf dicom recover again; the instance files are as they were');
  }
  if (ctx.json) {
    ctx.printJson({ ok: true, ...report });
    return 0;
  }
  for (const m of report.moved) ctx.out(`old state kept as ${m}`);
  const n = report.groups.reduce((a, g) => a + g.instances, 0);
  ctx.out(`${n} instance file${n === 1 ? '' : 's'} filed again into ${report.groups.length} stud${report.groups.length === 1 ? 'y' : 'ies'}: they close after their quiet period at the next start of clara-wf dicom serve and run their workflows (again, if they had run)`);
  for (const g of report.groups) ctx.out(`  group ${g.id}: ${g.instances} for ${g.calledAe}, ${g.value}`);
  for (const u of report.unreadable) ctx.out(`quarantined ${u.file}: ${u.why}`);
  ctx.out(report.historyLost ? `job history: none kept (${report.historyLost})` : `job history: ${report.history} finished job${report.history === 1 ? '' : 's'} kept; ${report.superseded} unfinished marked failed (their studies run again as new jobs)`);
  return 0;
}
