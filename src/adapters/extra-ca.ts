// NODE_EXTRA_CA_CERTS, deferred. Node 20 reads and parses the whole file while
// it starts (nodejs/node#40524, OpenSSL 3): ~36 ms on these machines with the
// Debian bundle, more than most commands' own work. The bin/clara-wf launcher
// therefore passes it under another name. Here it is put back for the programs
// clara-wf starts (helm, stages); cluster connections get it from kube.ts.
export const DEFERRED_EXTRA_CA_CERTS = 'CLARA_WF_DEFERRED_NODE_EXTRA_CA_CERTS';

let deferredFile: string | undefined;

export function restoreExtraCaCerts(env: Record<string, string | undefined>): void {
  const file = env[DEFERRED_EXTRA_CA_CERTS];
  if (file === undefined) return;
  delete env[DEFERRED_EXTRA_CA_CERTS];
  env.NODE_EXTRA_CA_CERTS = file;
  deferredFile = file;
}

/** The NODE_EXTRA_CA_CERTS file this process did not load at start-up, if any. */
export function deferredExtraCaFile(): string | undefined {
  return deferredFile;
}
