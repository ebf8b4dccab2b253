// Every command, registered in one list. Implementations are imported lazily
// so a command never pays for another's dependencies (handlebars, helm, client-node).
import { Argument, Command, Option } from 'commander';
import type { CommandNode } from '../core/completion.js';
import { packageVersion } from '../adapters/package-files.js';
import { Ctx, type GlobalOptions, type Io } from './context.js';

export interface ProgramHooks {
  setContext(ctx: Ctx): void;
  setExitCode(code: number): void;
}

type Action = (ctx: Ctx, ...args: any[]) => Promise<number | void> | number | void;

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** --format of the checks CI runs (validate, pipeline validate, dicom validate, golden check). */
const FORMAT = () =>
  new Option('--format <format>', 'diagnostics as text, json, github (workflow commands: annotations on the lines) or sarif (SARIF 2.1.0); default: github when GITHUB_ACTIONS=true, else text').choices(['text', 'json', 'github', 'sarif']);

export function buildProgram(io: Io, hooks: ProgramHooks): Command {
  const program = new Command('clara-wf');
  const write = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s) };
  program
    .description('Compile, check, render, run and install Clara Deploy workflows (values.yaml is the source of truth).')
    .version(packageVersion())
    .option('--chart <dir>', 'chart folder (default: the nearest charts/clara-workflow from the working folder up, or the clara-workflow chart it is in)')
    .option('--values-file <file>', 'the values file clara-wf reads and edits instead of <chart>/values.yaml (helm\'s -f/--values overlays are per command)')
    .option('--dicom-config <file>', 'DICOM adapter configuration (default: <chart>/files/dicom-server-config.yaml)')
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'print only errors and results')
    .option('--no-color', 'no ANSI colours')
    .option('--debug', 'show stack traces for errors')
    .configureOutput(write)
    .exitOverride()
    .showHelpAfterError('(run clara-wf --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 validation failed, 2 usage or unreadable input, 3 golden drift, 4 helm or cluster failure.',
    );

  /** Wire a command to a lazily imported implementation `module.fn(ctx, ...args)`. */
  const lazy =
    (load: () => Promise<Record<string, unknown>>, fn: string) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const ctx = new Ctx(io, cmd.optsWithGlobals() as GlobalOptions);
      hooks.setContext(ctx);
      const mod = await load();
      const code = await (mod[fn] as Action)(ctx, ...args.slice(0, -1));
      hooks.setExitCode(typeof code === 'number' ? code : 0);
    };
  /** A subcommand; its usage errors point at its own --help (`clara-wf workflow create --help`). */
  const sub = (parent: Command, name: string, description: string) => {
    const names: string[] = [name];
    for (let p: Command | null = parent; p && p.parent; p = p.parent) names.unshift(p.name());
    return parent
      .command(name)
      .description(description)
      .configureOutput(write)
      .exitOverride()
      .showHelpAfterError(`(run clara-wf ${names.join(' ')} --help for usage)`);
  };

  sub(program, 'init', 'start a project (as helm create): charts/clara-workflow, its DICOM configuration, .gitignore and a CI file; never overwrites')
    .argument('[dir]', 'the project folder (default: the working folder)')
    .option('--empty', 'a chart with no stages or workflows (the reference examples left out)')
    .addOption(new Option('--ci <system>', 'the CI file to write').choices(['github', 'gitlab', 'none']).default('github'))
    .action(lazy(() => import('./commands/init.js'), 'init'));

  const stageMod = () => import('./commands/stage.js');
  const workflowMod = () => import('./commands/workflow.js');

  const stageOptions = (c: Command) =>
    c
      .option('--image <repository[:tag]>', 'image repository, optionally with :tag (default: the stage name)')
      .option('--tag <tag>', 'image tag (default: latest)')
      .addOption(new Option('--image-pull-policy <policy>', 'Kubernetes imagePullPolicy').choices(['Always', 'IfNotPresent', 'Never']))
      .option('--timeout <seconds>', 'stage timeout in seconds (default: 300)')
      .option('--app-dir <dir>', 'application folder in the container (default: /app)')
      .option('--inputs <name>', 'input folder name under the app folder (default: input)')
      .option('--outputs <name>', 'output folder name under the app folder (default: output)')
      .option('--lock-dir <dir>', 'lock folder (default: <app-dir>/locks)')
      .option('--publish-path <dir>', 'publish folder (default: /publish)')
      .option('--command <arg>', 'container command, one argument per flag (repeatable)', collect)
      .option('--env <NAME=value>', 'environment variable (repeatable)', collect)
      .option('--cpu <quantity>', 'CPU request, e.g. 500m')
      .option('--memory <quantity>', 'memory request, e.g. 2Gi')
      .option('--gpu <count>', 'GPUs (nvidia.com/gpu)')
      .option('--local-command <arg>', 'argv for the local runner, one argument per flag (repeatable)', collect);

  /** Where the cluster is: the same flags as helm's. */
  const kubeOptions = (c: Command, prefix = '') =>
    c
      .option('-n, --namespace <ns>', `${prefix}namespace (default: the context's, else default)`)
      .option('--kubeconfig <file>', `${prefix}kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)`)
      .option('--kube-context <name>', `${prefix}kubeconfig context`);

  // Seed-compatible: clara-wf cs <name>
  stageOptions(sub(program, 'cs', 'create or regenerate a stage block (alias of `stage create`)').argument('<name>', 'stage name (DNS-1123 label)')).action(
    lazy(stageMod, 'create'),
  );

  const stage = sub(program, 'stage', 'stages under stages: in values.yaml');
  stageOptions(sub(stage, 'create', 'create or regenerate a stage block').argument('<name>', 'stage name (DNS-1123 label)')).action(lazy(stageMod, 'create'));
  sub(stage, 'list', 'list stages and the workflows that use them').action(lazy(stageMod, 'list'));
  sub(stage, 'remove', 'remove a stage block (runs on a chart with errors, if it adds none)')
    .argument('<name>')
    .option('--force', 'also remove the workflows that use the stage, and their DICOM mappings')
    .action(lazy(stageMod, 'remove'));

  const workflow = sub(program, 'workflow', 'workflows under workflows: in values.yaml');
  sub(workflow, 'create', 'add a workflow; locks and folders follow the stage order')
    .requiredOption('--name <name>', 'workflow name (unique)')
    .requiredOption('--stages <a,b,c>', 'stages in the order they run')
    .option('--id <uuid>', 'workflow ID (default: a new random UUID)')
    .option('--arg <stage=arg>', 'an argument for a stage, one per flag, in order (repeatable)', collect)
    .action(lazy(workflowMod, 'create'));
  sub(workflow, 'list', 'list workflows').action(lazy(workflowMod, 'list'));
  sub(workflow, 'show', 'show a workflow with its stages, locks and folders').argument('<workflow>', 'ID or name').action(lazy(workflowMod, 'show'));
  sub(workflow, 'remove', 'remove a workflow (runs on a chart with errors, if it adds none)')
    .argument('<workflow>', 'ID or name')
    .option('--force', 'also remove the DICOM mappings that trigger it')
    .action(lazy(workflowMod, 'remove'));

  /** helm's overlay flags, for the commands that read the values helm installs. */
  const overlayOptions = (c: Command, prefix = '') =>
    c
      .option('-f, --values <values.yaml>', `${prefix}values file layered on top, as helm -f/--values (repeatable, in order)`, collect)
      .addOption(new Option('--file <values.yaml>', 'the same as -f/--values (the name earlier versions used)').hideHelp().argParser(collect))
      .option('--set <key=value>', `${prefix}value as helm --set: a.b=1,list[0]=x,list={a,b} (repeatable)`, collect)
      .option('--set-string <key=value>', `${prefix}value as helm --set-string: always a string (repeatable)`, collect)
      .option('--set-json <key=json>', `${prefix}JSON value as helm --set-json: a.b={"x":1} (repeatable)`, collect)
      .option('--set-file <key=path>', `${prefix}a file's content as the value, as helm --set-file (repeatable)`, collect);

  overlayOptions(sub(program, 'validate', 'check values.yaml (and, with -f/--set, the values helm would install): schema, markers and cross-field rules').alias('lint'))
    .option('--strict', 'treat warnings as errors')
    .addOption(FORMAT())
    .action(lazy(() => import('./commands/validate.js'), 'validate'));

  sub(program, 'schema', "write the chart's values.schema.json from schemas/")
    .option('--check', 'exit 1 if values.schema.json is stale, write nothing')
    .action(lazy(() => import('./commands/schema.js'), 'schema'));

  sub(program, 'graph', "a workflow's stage and lock graph")
    .argument('<workflow>', 'ID or name')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(lazy(() => import('./commands/graph.js'), 'graph'));

  overlayOptions(sub(program, 'render', 'render the chart with helm (validating values alongside)').alias('template'))
    .option('--workflow <id|name>', 'run mode: render the Jobs of this workflow (with --job)')
    .option('--job <id>', 'run mode: the job ID (a UUID or DNS label)')
    .option('--output-dir <dir>', 'write one file per template instead of printing')
    .option('--show-only <template>', 'only this template, e.g. jobs.yaml (repeatable)', collect)
    .option('--release <name>', 'release name', 'clara-workflow')
    .option('-n, --namespace <ns>', 'namespace to render for')
    .action(lazy(() => import('./commands/render.js'), 'render'));

  const exporter = sub(program, 'export', 'move workflows to other engines');
  overlayOptions(sub(exporter, 'monai', 'MONAI Deploy: Workflow Manager workflows, Informatics Gateway configuration, Argo WorkflowTemplates'))
    .argument('[workflow...]', 'workflow IDs or names (default: every workflow mapped to a Clara AE title)')
    .option('-o, --output <dir>', 'folder to write (default: monai)')
    .option('--rename <old=new>', 'an AE title MIG cannot take (1-15 of A-Z a-z 0-9 _ -) and its new name (repeatable)', collect)
    .option('--namespace <ns>', 'the Argo namespace the argo tasks run in (default: argo)')
    .option('--server-url <url>', "the Argo server's URL for the argo tasks (default: MWM's own setting)")
    .option('--mig-url <url>', 'the Informatics Gateway URL mig/apply.sh posts to (default: http://localhost:5000)')
    .action(lazy(() => import('./commands/export.js'), 'monai'));

  const golden = sub(program, 'golden', 'golden files of rendered output (for CI)');
  const goldenMod = () => import('./commands/golden.js');
  sub(golden, 'check', 'render again and compare with golden/ (exit 3 on drift); never creates files')
    .option('--golden-dir <dir>', 'golden folder', 'golden')
    .addOption(FORMAT())
    .action(lazy(goldenMod, 'check'));
  sub(golden, 'update', 'rewrite golden/ from what the chart renders now')
    .option('--golden-dir <dir>', 'golden folder', 'golden')
    .action(lazy(goldenMod, 'update'));

  // Seed-compatible: clara-wf test <workflow-ID> [job-ID] [timeout]
  overlayOptions(kubeOptions(sub(program, 'test', 'run a workflow locally: stages start as their wait locks appear'), 'cluster: '), 'cluster: ')
    .argument('<workflow>', 'workflow ID or name')
    .argument('[job-id]', 'job ID (default: a new UUID, printed)')
    .argument('[timeout]', 'whole-run timeout in seconds (default: 300)')
    .addOption(new Option('--runtime <runtime>', 'process (local.command), docker, cluster (a run-mode release of Jobs) or argo (an Argo Workflow from the WorkflowTemplate); default: docker when an engine answers, else process').choices(['process', 'docker', 'cluster', 'argo']))
    .option('--data <dir>', 'test data folder holding <job>/... (default: test-data next to the chart folder)')
    .option('--force', 'run again over an earlier run of the same job (old lock files are removed)')
    .option('--grace <seconds>', 'time between SIGTERM and SIGKILL when a stage is stopped', '5')
    .option('--keep', 'cluster: keep the run-mode release afterwards')
    .option('--create-namespace', 'cluster: create the namespace if needed')
    .option('--release <name>', 'cluster: release name prefix (the job ID is appended)')

    .action(lazy(() => import('./commands/test.js'), 'test'));

  const clusterOptions = (c: Command) =>
    kubeOptions(c)
      .option('--release <name>', 'release name', 'clara-workflow')
      .option('--timeout <duration>', 'helm timeout, e.g. 5m0s');
  const installMod = () => import('./commands/install.js');
  for (const [name, what] of [['install', 'install the chart (helm upgrade --install, after validation and a pre-flight)'], ['upgrade', 'upgrade the release (same as install)']] as const) {
    overlayOptions(clusterOptions(sub(program, name, what)))
      .option('--create-namespace', 'create the namespace if needed')
      .option('--wait', 'wait until resources are ready')
      .option('--atomic', 'roll back on failure')
      .option('--dry-run', 'render and run the pre-flight; change nothing')
      .action(lazy(installMod, 'install'));
  }
  clusterOptions(sub(program, 'uninstall', 'uninstall the release'))
    .option('--wait', 'wait until resources are gone')
    .option('--dry-run', 'show what would be removed')
    .action(lazy(installMod, 'uninstall'));
  clusterOptions(sub(program, 'status', 'the release, its catalog workflows and stage jobs')).action(lazy(() => import('./commands/status.js'), 'status'));

  const dicom = sub(program, 'dicom', 'the DICOM adapter configuration (files/dicom-server-config.yaml)');
  const dicomMod = () => import('./commands/dicom.js');
  const ae = sub(dicom, 'ae', 'Clara AE titles the SCP answers to');
  sub(ae, 'add', 'add a Clara AE title')
    .argument('<ae-title>')
    .option('--processor <class>', 'processor (default: the Clara JobProcessor)')
    .addOption(new Option('--grouping <attribute>', 'what groups instances into one job (default 0020,000D, StudyInstanceUID)').choices(['0020,000D', '0020,000E', '0010,0020', 'StudyInstanceUID', 'SeriesInstanceUID', 'PatientID']))
    .option('--timeout <seconds>', 'quiet period before a group becomes a job (default 5)')
    .addOption(new Option('--trigger <when>', 'quiet: after the quiet period (default); release: as soon as its associations ended').choices(['quiet', 'release']))
    .action(lazy(dicomMod, 'aeAdd'));
  sub(ae, 'remove', 'remove a Clara AE title (refused while a mapping uses it)').argument('<ae-title>').action(lazy(dicomMod, 'aeRemove'));
  const source = sub(dicom, 'source', 'DICOM senders allowed to connect');
  sub(source, 'add', 'allow a sender').argument('<ae-title>', "the sender's AE title").requiredOption('--host <ip>', "the sender's address").action(lazy(dicomMod, 'sourceAdd'));
  sub(source, 'remove', 'remove a sender').argument('<ae-title>').option('--host <ip>', 'only this address').action(lazy(dicomMod, 'sourceRemove'));
  const dest = sub(dicom, 'dest', 'DICOM destinations results are sent to');
  sub(dest, 'add', 'add a destination (e.g. MYPACS)')
    .argument('<name>')
    .requiredOption('--host <ip>', 'its address')
    .requiredOption('--port <port>', 'its port')
    .requiredOption('--ae <ae-title>', 'its AE title')
    .action(lazy(dicomMod, 'destAdd'));
  sub(dest, 'set', "change a destination's host, port or AE title in place")
    .argument('<name>')
    .option('--host <ip>', 'new address')
    .option('--port <port>', 'new port')
    .option('--ae <ae-title>', 'new AE title')
    .action(lazy(dicomMod, 'destSet'));
  sub(dest, 'remove', 'remove a destination (refused while a mapping uses it)').argument('<name>').action(lazy(dicomMod, 'destRemove'));
  sub(dicom, 'map', 'make a Clara AE title trigger a workflow (or a pipeline)')
    .argument('<ae-title>')
    .option('--workflow <id|name>', 'the workflow to run')
    .option('--destination <name>', 'where its results go')
    .option('--pipeline <id>', 'a pipeline ID (clara-wf pipeline create) instead of a workflow')
    .option('--name <name>', 'mapping name (default: the workflow name, or the AE title)')
    .action(lazy(dicomMod, 'map'));
  sub(dicom, 'unmap', "remove an AE title's mappings")
    .argument('<ae-title>')
    .option('--workflow <id|name>', 'only this workflow')
    .option('--pipeline <id>', 'only this pipeline')
    .action(lazy(dicomMod, 'unmap'));
  sub(dicom, 'show', 'AE titles, what they trigger, sources and destinations').action(lazy(dicomMod, 'show'));
  sub(dicom, 'validate', 'check the DICOM configuration (against values.yaml); validate checks it too').addOption(FORMAT()).action(lazy(dicomMod, 'validateCmd'));
  const serveMod = () => import('./commands/dicom-serve.js');
  overlayOptions(kubeOptions(sub(dicom, 'serve', 'a DICOM SCP: received studies run their mapped workflow (here or on a cluster), results go to the mapped destination'), 'argo/cluster: '), 'argo/cluster: ')
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'DICOM port (default: dicom.scp.port)')
    .option('--data <dir>', "the gateway's state and received instances (.gateway/), and job folders unless --jobs (default: test-data next to the chart folder)")
    .option('--jobs <dir>', 'job folders (default: the --data folder); on a cluster, where the claim the workflow pods mount is')
    .option('--release <name>', 'argo/cluster: the catalog release (its WorkflowTemplates; run-mode releases are named <release>-<job>)', 'clara-workflow')
    .option('--create-namespace', 'argo/cluster: create the namespace if needed')
    .option('--dashboard <port>', 'serve the jobs dashboard on this port (needs the access token it prints)')
    .option('--dashboard-host <ip>', 'address the dashboard listens on (separate from --host)', '127.0.0.1')
    .option('--dashboard-token <token>', 'the dashboard access token (default: $CLARA_WF_DASHBOARD_TOKEN, else a random one printed at start)')
    .option('--no-rerun-interrupted', 'leave jobs a crash interrupted failed instead of running them again')
    .option('--max-jobs <n>', 'workflows run at once', '2')
    .addOption(new Option('--runtime <runtime>', 'how stages run: process, docker, argo (a Workflow per job) or cluster (stage Jobs per job); default: docker when an engine answers, else process').choices(['process', 'docker', 'argo', 'cluster']))
    .option('--job-timeout <seconds>', 'limit for one workflow run', '3600')
    .option('--export-retries <n>', 'retries of a failed export', '3')
    .option('--export-backoff <ms>', 'first wait between export retries (doubles)', '500')
    .option('--export-retry-for <duration>', 'after the quick retries, go on retrying a failed export for this long (e.g. 24h, 90m; 0 = not at all)', '24h')
    .option('--export-retry-max-interval <duration>', 'the longest wait between two of those retries', '10m')
    .option('--min-free <size>', "refuse new associations (transient) while the data folder's disk has less free than this (e.g. 500MB, 2GiB, 5%)", '500MB')
    .option('--grace <seconds>', 'SIGTERM → SIGKILL grace for stages', '5')
    .action(lazy(serveMod, 'serve'));
  const stateMod = () => import('./commands/dicom-state.js');
  sub(dicom, 'jobs', "the gateway's jobs and their export state (read from its data folder; works while serve runs)")
    .option('--data <dir>', "serve's data folder (default: test-data next to the chart folder)")
    .action(lazy(stateMod, 'jobs'));
  sub(dicom, 'retry', 'retry a job now: a failed or waiting export sends what the destination did not acknowledge; a failed run runs again')
    .argument('<job>', 'the job ID (clara-wf dicom jobs lists them)')
    .option('--data <dir>', "serve's data folder (default: test-data next to the chart folder)")
    .action(lazy(stateMod, 'retry'));
  sub(dicom, 'recover', "rebuild the gateway's state from its instance files' own headers when the state is damaged or lost (serve stopped)")
    .option('--data <dir>', "serve's data folder (default: test-data next to the chart folder)")
    .option('--called-ae <ae-title>', 'the AE title instances were sent to, where the old state cannot tell (needed with more than one)')
    .action(lazy(stateMod, 'recover'));
  sub(dicom, 'route', 'which workflow or pipeline and destination an association would get, and why')
    .requiredOption('--called <ae-title>', 'the AE title called')
    .requiredOption('--calling <ae-title>', "the sender's AE title")
    .option('--host <ip>', "the sender's address")
    .action(lazy(serveMod, 'routeCmd'));
  sub(dicom, 'echo', 'C-ECHO a configured destination').argument('<destination>').action(lazy(serveMod, 'echoCmd'));

  const pipeline = sub(program, 'pipeline', 'Clara pipeline definitions (api-version 0.3.0 to 0.7.0)');
  const pipelineMod = () => import('./commands/pipeline.js');
  sub(pipeline, 'validate', 'check a pipeline file').argument('<file>').addOption(FORMAT()).action(lazy(pipelineMod, 'validate'));
  sub(pipeline, 'graph', "a pipeline file's operator graph")
    .argument('<file>')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(lazy(pipelineMod, 'graph'));
  overlayOptions(sub(pipeline, 'export', 'a workflow as a pipeline definition')).argument('<workflow>', 'ID or name').option('-o, --output <file>', 'write to a file instead of stdout').action(lazy(pipelineMod, 'exportCmd'));
  sub(pipeline, 'import', 'a pipeline as stage blocks and a workflow in values.yaml')
    .argument('<file>')
    .option('--name <name>', 'workflow name (default: the pipeline name)')
    .option('--prefix <prefix>', 'put before every stage name made from an operator (e.g. lung-), to fit a chart that has stages of those names')
    .option('--rename <operator=stage>', 'the stage name for one operator (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--id <uuid>', 'workflow ID (default: a new UUID)')
    .action(lazy(pipelineMod, 'importCmd'));
  kubeOptions(sub(pipeline, 'create', 'register a pipeline (a Pipeline resource) and print its ID'))
    .requiredOption('-p, --pipeline <file>', 'the pipeline definition')
    .action(lazy(pipelineMod, 'create'));
  kubeOptions(sub(pipeline, 'list', 'registered pipelines')).action(lazy(pipelineMod, 'list'));
  kubeOptions(sub(pipeline, 'show', 'a registered pipeline\'s definition')).argument('<id>').action(lazy(pipelineMod, 'show'));
  kubeOptions(sub(pipeline, 'remove', 'remove a registered pipeline')).argument('<id>').action(lazy(pipelineMod, 'remove'));

  // Seed-compatible: clara-wf publish <workflow-ID> "<name>" <dir>
  overlayOptions(sub(program, 'publish', 'write the resolved workflow as <dir>/<workflow-ID>.json'))
    .argument('<workflow>', 'workflow ID or name')
    .argument('<display-name>', 'name shown for the workflow')
    .argument('<dir>', 'folder to publish into')
    .option('--force', 'replace a different workflow published under the same ID')
    .action(lazy(() => import('./commands/publish.js'), 'publish'));

  const aboutMod = () => import('./commands/about.js');
  sub(program, 'version', 'clara-wf\'s version and the helm it drives (as helm version)')
    .option('--short', 'only clara-wf\'s version')
    .action(lazy(aboutMod, 'version'));
  sub(program, 'completion', 'a shell completion script, from the command tree (as helm completion)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', '\nLoad it with:\n  bash: source <(clara-wf completion bash)\n  zsh:  source <(clara-wf completion zsh)\n  fish: clara-wf completion fish | source')
    .action((shell: string, opts: unknown, cmd: Command) => lazy(aboutMod, 'completion')(shell, commandTree(program), opts, cmd));

  return program;
}

/** The command tree as completion sees it (hidden options left out). */
export function commandTree(c: Command): CommandNode {
  const args = (c as unknown as { registeredArguments?: { argChoices?: string[] }[] }).registeredArguments ?? [];
  return {
    name: c.name(),
    aliases: c.aliases(),
    description: c.description(),
    options: c.options.filter((o) => !(o as unknown as { hidden?: boolean }).hidden).flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)).concat(c.parent ? ['--help'] : ['--help', '--version']),
    choices: args.flatMap((a) => a.argChoices ?? []),
    children: c.commands.map(commandTree),
  };
}
