// Runtime "process": each stage's local.command as a process on this machine,
// with the job folders as its environment says (NVIDIA_CLARA_INPUT, ...).
import { processArgv } from './plan.js';
import { localRuntime, type LocalEngine } from './runner.js';

export const processEngine: LocalEngine = { name: 'process', argv: (_plan, s) => processArgv(s) };

export const processRuntime = localRuntime(processEngine);
