// The program as a module. bin/clara-wf.cjs loads this bundle (dist/clara-wf.cjs)
// with V8's code cache and calls runCli(); scripts/code-cache.mjs calls main().
import { restoreExtraCaCerts } from './adapters/extra-ca.js';
import { main } from './cli/main.js';

export { main };

export function runCli(): void {
  restoreExtraCaCerts(process.env);
  // `clara-wf ... | head`: a reader that goes away is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  void main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  }).then((code) => {
    process.exitCode = code;
  });
}
