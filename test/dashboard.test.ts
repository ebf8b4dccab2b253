// The jobs dashboard in a real headless Chromium (Debian's, driven by playwright-core).
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { auth, dicomProject, finished, freePort, hasDcmtk, startServe, startStorescp, storescu, waitForPort, type Serve } from './dicom-loop.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
if (!hasDcmtk) throw new Error('dcmtk is not installed: .ci/run installs it');

let serve: Serve;
let browser: Browser;
let project: Awaited<ReturnType<typeof dicomProject>>;
let stopPacs: () => void;

beforeAll(async () => {
  const pacsPort = await freePort();
  project = await dicomProject({ pacsPort, downPort: await freePort() });
  const pacs = startStorescp(project.pacs, pacsPort);
  stopPacs = () => pacs.kill();
  await waitForPort(pacsPort);
  serve = await startServe(project.chart, project.data);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  serve?.child.kill('SIGINT');
  await serve?.exited;
  stopPacs?.();
});

describe('dashboard', () => {
  it('a job appears live, its stages turn done; a failed job shows the failed stage\'s log', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    await page.goto(serve.dashboardUrl as string);
    await page.waitForSelector('text=No jobs yet');
    await page.waitForSelector('#live:has-text("live")');

    // Sent after the page loaded: it must arrive through the live event stream.
    expect((await finished(storescu(serve.port, 'THRESH_AI', project.series))).code).toBe(0);
    const row = await page.waitForSelector('tr.job[data-state="done"]', { timeout: 30_000 });
    // Cell by cell: a row's innerText loses its tabs while the table is being laid out.
    const cells = await row.$$eval('td', (tds) => tds.map((t) => (t.textContent ?? '').trim()));
    const at = cells.indexOf('THRESH_AI ← DCM4CHEE');
    expect(at, JSON.stringify(cells)).toBeGreaterThanOrEqual(0);
    expect(cells.slice(at, at + 4)).toEqual(['THRESH_AI ← DCM4CHEE', 'threshold-example', 'done', '12']);
    // A locator, not the handle: a live update may have replaced the row's element meanwhile.
    await page.locator('tr.job[data-state="done"]').first().click();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-status="done"]').length === 3);

    expect((await finished(storescu(serve.port, 'BROKEN_AI', project.series))).code).toBe(0);
    await page.waitForSelector('tr.job[data-state="failed"]', { timeout: 30_000 });
    const log = await page.waitForSelector('pre[data-log="threshold"]', { timeout: 10_000 });
    expect(await log.innerText()).toMatch(/--min takes a number of Hounsfield units, not not-a-number/);
    expect(await page.locator('tr[data-stage="threshold"][data-status="failed"]').count()).toBe(1);

    const shot = process.env.CLARA_WF_DASHBOARD_SCREENSHOT ?? path.join(tempDir(), 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
  });

  it('the JSON API behind it', async () => {
    const jobs = await serve.jobs();
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    const one = await (await fetch(`${serve.dashboard}/api/jobs/${jobs[0].id}`, auth(serve))).json();
    expect(one.id).toBe(jobs[0].id);
    expect((await fetch(`${serve.dashboard}/api/jobs/not-a-job`, auth(serve))).status).toBe(404);
    expect((await fetch(`${serve.dashboard}/api/jobs/${jobs[0].id}/stages/../../etc/passwd/log`, auth(serve))).status).toBe(404);
  });
});
