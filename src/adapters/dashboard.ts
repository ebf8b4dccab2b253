// The jobs dashboard of `clara-wf dicom serve --dashboard <port>`: one page,
// a JSON API behind it, and server-sent events for live updates.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DicomService, JobRecord } from '../runner/dicom-service.js';
import { readPackageText } from './package-files.js';

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(service: DicomService, opts: { host: string; port: number }): Promise<Dashboard> {
  const clients = new Set<http.ServerResponse>();
  const onJob = (job: JobRecord) => {
    const data = `event: job\ndata: ${JSON.stringify(job)}\n\n`;
    for (const c of clients) c.write(data);
  };
  service.on('job', onJob);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: 'only GET' }));
    if (url.pathname === '/' || url.pathname === '/index.html') return send(200, readPackageText('templates', 'dashboard.html'), 'text/html');
    if (url.pathname === '/api/jobs') return send(200, JSON.stringify(service.list()));
    const m = /^\/api\/jobs\/([0-9a-f-]{36})(?:\/stages\/([a-z0-9-]{1,63})\/log)?$/.exec(url.pathname);
    if (m) {
      const job = service.jobs.get(m[1] as string);
      if (!job) return send(404, JSON.stringify({ error: 'no such job' }));
      if (!m[2]) return send(200, JSON.stringify(job.record));
      const file = service.logFile(m[1] as string, m[2]);
      if (!file) return send(404, JSON.stringify({ error: 'no such stage' }));
      try {
        return send(200, fs.readFileSync(file, 'utf8'), 'text/plain');
      } catch {
        return send(200, '', 'text/plain');
      }
    }
    if (url.pathname === '/api/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': clara-wf\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    send(404, JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        service.off('job', onJob);
        for (const c of clients) c.end();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
