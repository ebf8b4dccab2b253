// Showing a run: a live per-stage table on a terminal, one line per event
// otherwise, and a JSON summary with --json.
import type { RunResult, StageState } from './runner.js';

const fmtMs = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`);

function elapsed(st: StageState, now: number): string {
  if (!st.startedAt) return '';
  return fmtMs((st.finishedAt?.getTime() ?? now) - st.startedAt.getTime());
}

const ICON: Record<StageState['status'], string> = {
  waiting: '·',
  running: '▶',
  done: '✓',
  failed: '✗',
  timeout: '⏱',
  killed: '✗',
  skipped: '-',
};

export interface Reporter {
  change(st: StageState, all: readonly StageState[]): void;
  end(): void;
}

/** One line per event, for logs and pipes. */
export function lineReporter(write: (s: string) => void): Reporter {
  return {
    change(st) {
      const t = new Date().toISOString().slice(11, 23);
      const extra =
        st.status === 'running'
          ? st.pid !== null
            ? ` (pid ${st.pid})`
            : st.log
              ? ` (${st.log})`
              : ''
          : st.status === 'waiting'
            ? ''
            : ` after ${elapsed(st, Date.now()) || '0s'}${st.reason ? `: ${st.reason}` : ''}`;
      write(`${t} ${st.name} ${st.status}${extra}\n`);
    },
    end() {},
  };
}

/** A table redrawn in place, refreshed while stages run. */
export function ttyReporter(write: (s: string) => void, color: boolean): Reporter {
  let drawn = 0;
  let last: readonly StageState[] = [];
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tone: Record<StageState['status'], string> = { waiting: '2', running: '36', done: '32', failed: '31', timeout: '31', killed: '31', skipped: '2' };
  const draw = () => {
    const now = Date.now();
    const width = Math.max(5, ...last.map((s) => s.name.length));
    const lines = last.map((s) => paint(tone[s.status], `${ICON[s.status]} ${s.name.padEnd(width)}  ${s.status.padEnd(8)} ${elapsed(s, now).padStart(6)}${s.reason ? `  ${s.reason}` : ''}`));
    write((drawn ? `\x1b[${drawn}A` : '') + lines.map((l) => `\x1b[2K${l}\n`).join(''));
    drawn = lines.length;
  };
  const tick = setInterval(draw, 100);
  tick.unref();
  return {
    change(_st, all) {
      last = all;
      draw();
    },
    end() {
      clearInterval(tick);
      if (last.length) draw();
    },
  };
}

export function summaryJson(workflow: { id: string; name: string }, job: string, r: RunResult) {
  return {
    workflow: workflow.id,
    workflowName: workflow.name,
    job,
    ok: r.ok,
    aborted: r.aborted,
    stages: r.stages.map((s) => ({
      name: s.name,
      status: s.status,
      exitCode: s.exitCode,
      startedAt: s.startedAt?.toISOString() ?? null,
      finishedAt: s.finishedAt?.toISOString() ?? null,
      log: s.log,
      reason: s.reason,
      startDelayMs: s.startDelayMs === null ? null : Math.round(s.startDelayMs * 1000) / 1000,
    })),
  };
}
