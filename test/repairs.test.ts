// Edits keep values.yaml and the DICOM configuration consistent, and the
// commands that repair run on a chart that is broken already (issue 26 §3).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartCopy, cli } from './helpers.js';

const USER_WORKFLOW = '7b413e24-d018-4689-8c41-73272f6649d4';

function project() {
  const p = chartCopy();
  const dicom = path.join(p.chart, 'files', 'dicom-server-config.yaml');
  const run = (...args: string[]) => cli(args, { cwd: p.dir });
  return { ...p, dicom, run, read: () => [fs.readFileSync(p.values, 'utf8'), fs.readFileSync(dicom, 'utf8')] };
}

describe('removing what a DICOM mapping names', () => {
  it('stage remove without --force lists the workflows and the mappings, and changes nothing', async () => {
    const p = project();
    const before = p.read();
    const r = await p.run('stage', 'remove', 'user-ai');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`workflow user-workflow (${USER_WORKFLOW}) and mapped in charts/clara-workflow/files/dicom-server-config.yaml by user-workflow (CT_AI)`);
    expect(p.read()).toEqual(before);
  });

  it('stage remove --force removes the workflow and its mapping in one edit; the chart still validates', async () => {
    const p = project();
    const [, dicomBefore] = p.read();
    const r = await p.run('stage', 'remove', 'user-ai', '--force');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mapping user-workflow (CT_AI) removed from charts/clara-workflow/files/dicom-server-config.yaml (--force)');
    const [values, dicom] = p.read();
    expect(values).not.toContain(USER_WORKFLOW);
    expect(dicom).not.toContain(USER_WORKFLOW);
    // Surgical: only the mapping's four lines went.
    expect(dicomBefore!.split('\n').length - dicom!.split('\n').length).toBe(4);
    expect(dicom).toContain('clara-ae-title: LIVER_AI');
    expect((await p.run('validate')).code).toBe(0);
  });

  it('workflow remove: refused with the mapping named, --force removes both', async () => {
    const p = project();
    const refused = await p.run('workflow', 'remove', 'liver-seg');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --force to remove the mapping with it, or first: clara-wf dicom unmap LIVER_AI --workflow liver-seg');
    const r = await p.run('workflow', 'remove', 'liver-seg', '--force');
    expect(r.code).toBe(0);
    expect(p.read()[1]).not.toContain('fd3ee8bf-b9f3-4808-bd60-243f870ff9bd');
    expect((await p.run('validate')).code).toBe(0);
  });

  it('the mappings are put back when values.yaml cannot be written (nothing partial)', async () => {
    const p = project();
    const before = p.read();
    // The DICOM configuration is written first; values.yaml's write then fails.
    Object.assign(process.env, { CLARA_WF_FAULT_WRITE_ERRNO: 'ENOSPC', CLARA_WF_FAULT_WRITE_FILE: 'values.yaml' });
    const r = await p.run('stage', 'remove', 'user-ai', '--force').finally(() => {
      delete process.env.CLARA_WF_FAULT_WRITE_ERRNO;
      delete process.env.CLARA_WF_FAULT_WRITE_FILE;
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the disk is full');
    expect(p.read()).toEqual(before);
  });
});

describe('repairs run on a broken chart', () => {
  it('dicom unmap and dicom ae remove work with an unrelated error in values.yaml, which stays reported', async () => {
    const p = project();
    fs.writeFileSync(p.values, fs.readFileSync(p.values, 'utf8').replace('tag: 0.2.0', 'tag: "bad tag!"'));
    expect((await p.run('validate')).stderr).toContain('IMAGE_TAG_INVALID');
    const unmap = await p.run('dicom', 'unmap', 'LIVER_AI');
    expect(unmap.code, unmap.stderr).toBe(0);
    expect((await p.run('dicom', 'ae', 'remove', 'LIVER_AI')).code).toBe(0);
    const v = await p.run('validate');
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('IMAGE_TAG_INVALID');
  });

  it('a mapping left naming a removed workflow (edited by hand) is removed by dicom unmap --workflow <id>', async () => {
    const p = project();
    const r0 = await p.run('workflow', 'remove', USER_WORKFLOW, '--force');
    expect(r0.code).toBe(0);
    // Now put the mapping back by hand: the chart is invalid.
    fs.writeFileSync(p.dicom, fs.readFileSync(p.dicom, 'utf8').replace('workflows:\n', `workflows:\n  - name: user-workflow\n    clara-ae-title: CT_AI\n    destination-name: MYPACS\n    workflow: ${USER_WORKFLOW}\n`));
    const broken = await p.run('validate');
    expect(broken.code).toBe(1);
    // Another repair is refused only for errors it adds, not for this one.
    const unmap = await p.run('dicom', 'unmap', 'CT_AI', '--workflow', USER_WORKFLOW);
    expect(unmap.code, unmap.stderr).toBe(0);
    expect((await p.run('validate')).code).toBe(0);
  });

  it('an edit that is not a repair is still refused on a broken chart, and writes nothing', async () => {
    const p = project();
    fs.writeFileSync(p.values, fs.readFileSync(p.values, 'utf8').replace('tag: 0.2.0', 'tag: "bad tag!"'));
    const before = p.read();
    const edit = await p.run('workflow', 'create', '--name', 'again', '--stages', 'threshold');
    expect(edit.code).toBe(1);
    expect(edit.stderr).toContain('has errors already');
    expect(p.read()).toEqual(before);
  });
});
