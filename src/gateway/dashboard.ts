// The jobs dashboard of `clara-wf dicom serve --dashboard <port>`: one page,
// a JSON API behind it, and server-sent events for live updates. Stage logs
// can hold patient data, so every request needs the access token (printed at
// start, or given), as `?token=` once (it becomes a same-site cookie) or as
// `Authorization: Bearer`; the Host header must name this server (a DNS
// rebinding page cannot use the user's browser to read it).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { DicomService, JobRecord } from './service.js';
import { readPackageText } from '../adapters/package-files.js';

export interface Dashboard {
  /** The address to open, with the token. */
  url: string;
  token: string;
  close(): Promise<void>;
}

export const MAX_EVENT_STREAMS = 16;
const COOKIE = 'clara_wf_dashboard';

/** Host header values that name this server (host:port), for the address it listens on. */
export function allowedHosts(listenHost: string, port: number): Set<string> {
  const names = new Set<string>();
  const add = (h: string) => names.add(`${h.includes(':') ? `[${h}]` : h}:${port}`.toLowerCase());
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  if (wildcard) {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) add(a.address);
    add(os.hostname());
  } else add(listenHost);
  if (wildcard || listenHost === '127.0.0.1' || listenHost === '::1' || listenHost === 'localhost') {
    add('localhost');
    add('127.0.0.1');
  }
  return names;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startDashboard(service: DicomService, opts: { host: string; port: number; token?: string }): Promise<Dashboard> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const clients = new Set<http.ServerResponse>();
  const onJob = (job: JobRecord) => {
    const data = `event: job\ndata: ${JSON.stringify(job)}\n\n`;
    for (const c of clients) c.write(data);
  };
  service.on('job', onJob);
  let hosts = new Set<string>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, body: string, type = 'application/json', extra: Record<string, string> = {}) => {
      res.writeHead(code, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer', ...extra });
      res.end(body);
    };
    // Liveness for a kubelet (its probe names the pod's IP, and has no token): says nothing but that serve answers.
    if (url.pathname === '/healthz' && req.method === 'GET') return send(200, '{"ok":true}');
    // Readiness: the DICOM port would take an association now; the reason when not (nothing else).
    if (url.pathname === '/readyz' && req.method === 'GET') {
      void service.ready().then((r) => send(r.ok ? 200 : 503, JSON.stringify(r)));
      return;
    }
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) return send(421, JSON.stringify({ error: `Host ${req.headers.host ?? '(none)'} is not this server's address` }));
    const retry = /^\/api\/jobs\/([0-9a-f-]{36})\/retry$/.exec(url.pathname);
    if (req.method !== 'GET' && !(req.method === 'POST' && retry)) return send(405, JSON.stringify({ error: 'only GET (and POST …/retry)' }));
    const cookie = /(?:^|;\s*)clara_wf_dashboard=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const queryToken = url.searchParams.get('token') ?? undefined;
    if ((url.pathname === '/' || url.pathname === '/index.html') && sameToken(queryToken, token)) {
      // Trade the token in the address for a cookie, and drop it from the address bar.
      return send(303, '', 'text/plain', { Location: '/', 'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` });
    }
    if (!sameToken(cookie, token) && !sameToken(bearer, token)) {
      return send(401, JSON.stringify({ error: 'the dashboard needs its access token: open the address clara-wf dicom serve printed (…/?token=…), or send Authorization: Bearer <token>' }));
    }
    if (retry) {
      if (req.method !== 'POST') return send(405, JSON.stringify({ error: 'retry is a POST' }), 'application/json', { Allow: 'POST' });
      // A header no form can send: a cross-site page cannot make the browser ask for a retry.
      if (req.headers['x-clara-wf'] !== 'retry') return send(403, JSON.stringify({ error: 'a retry needs the header X-Clara-WF: retry' }));
      const r = service.retry(retry[1] as string);
      return send(r.ok ? 202 : service.job(retry[1] as string) ? 409 : 404, JSON.stringify(r));
    }
    if (url.pathname === '/' || url.pathname === '/index.html') return send(200, readPackageText('templates', 'dashboard.html'), 'text/html', { 'Content-Security-Policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
    if (url.pathname === '/api/jobs') return send(200, JSON.stringify(service.list()));
    if (url.pathname === '/api/status') return send(200, JSON.stringify(service.status()));
    const m = /^\/api\/jobs\/([0-9a-f-]{36})(?:\/stages\/([a-z0-9-]{1,63})\/log)?$/.exec(url.pathname);
    if (m) {
      const job = service.job(m[1] as string);
      if (!job) return send(404, JSON.stringify({ error: 'no such job' }));
      if (!m[2]) return send(200, JSON.stringify(job));
      const file = service.logFile(m[1] as string, m[2]);
      if (!file) return send(404, JSON.stringify({ error: 'no such stage' }));
      try {
        return send(200, fs.readFileSync(file, 'utf8'), 'text/plain');
      } catch {
        // On a cluster the log is the pod's, gone with it: the end kept on the job when the stage failed.
        const tail = job.stages.find((x) => x.name === m[2])?.logTail;
        return send(200, tail ? `${tail}\n` : '', 'text/plain');
      }
    }
    if (url.pathname === '/api/events') {
      if (clients.size >= MAX_EVENT_STREAMS) return send(503, JSON.stringify({ error: `${MAX_EVENT_STREAMS} event streams are open already` }), 'application/json', { 'Retry-After': '10' });
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': clara-wf\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    send(404, JSON.stringify({ error: 'not found' }));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  hosts = allowedHosts(opts.host, addr.port);
  const shown = addr.address === '0.0.0.0' || addr.address === '::' ? os.hostname() : addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/?token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        service.off('job', onJob);
        for (const c of clients) c.end();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
