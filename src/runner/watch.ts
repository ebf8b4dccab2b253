// A watch that outlives the server closing it: client-node's Watch started
// again (after 200 ms, or 500 ms after an error) until stopped.
import type { Cluster } from '../adapters/kube.js';

/**
 * Watch `path` with `labelSelector`, calling onObject for every event. stop()
 * is there at once (a run may end before the first watch is established);
 * `started` resolves once the first attempt has connected or failed.
 */
export function keepWatching<T>(cluster: Cluster, path: string, labelSelector: string, onObject: (obj: T) => void): { stop: () => void; started: Promise<void> } {
  const w = new cluster.k8s.Watch(cluster.kc);
  let stopped = false;
  let controller: AbortController | null = null;
  const start = async () => {
    if (stopped) return;
    try {
      controller = await w.watch(
        path,
        { labelSelector },
        (_type, obj: T) => onObject(obj),
        () => {
          // The server closed the watch: start a new one while the run goes on.
          if (!stopped) setTimeout(() => void start(), 200);
        },
      );
    } catch {
      if (!stopped) setTimeout(() => void start(), 500);
    }
  };
  const started = start();
  return {
    stop: () => {
      stopped = true;
      controller?.abort();
    },
    started,
  };
}
