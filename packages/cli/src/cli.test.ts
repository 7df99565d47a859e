import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.js';
import { runCli } from './cli.js';
import type { Command } from './command.js';
import { memoryIO } from './io.js';

const echo: Command = {
  name: 'echo',
  summary: 'prints its lines as JSON',
  usage: 'bertweb echo [--upper]',
  flags: ['upper'],
  booleanFlags: ['upper'],
  async run(args, io) {
    for await (const line of io.lines()) io.out(JSON.stringify(args.flags.get('upper') ? line.toUpperCase() : line));
  },
};

describe('runCli', () => {
  it('runs a command over stdin lines', async () => {
    const io = memoryIO(['a', 'b']);
    expect(await runCli(['echo', '--upper'], io, [echo])).toBe(0);
    expect(io.stdout).toEqual(['"A"', '"B"']);
  });

  it('prints help and usage', async () => {
    const io = memoryIO();
    expect(await runCli(['--help'], io, [echo])).toBe(0);
    expect(io.stdout[0]).toContain('echo');
    const usage = memoryIO();
    expect(await runCli(['echo', '--help'], usage, [echo])).toBe(0);
    expect(usage.stdout).toEqual(['bertweb echo [--upper]']);
  });

  it('reports unknown commands as a JSON error with exit code 2', async () => {
    const io = memoryIO();
    expect(await runCli(['nope'], io, [echo])).toBe(2);
    expect(JSON.parse(io.stderr[0] as string)).toEqual({
      error: { code: 'INPUT_INVALID', message: expect.stringContaining('unknown command') },
    });
  });
});

describe('parseArgs', () => {
  it('handles --k v, --k=v, booleans and positionals', () => {
    const args = parseArgs(['squad', '--model', 'm', '--data=f.json', '--normalize', 'x'], { booleans: ['normalize'] });
    expect(args.positionals).toEqual(['squad', 'x']);
    expect(Object.fromEntries(args.flags)).toEqual({ model: 'm', data: 'f.json', normalize: true });
    expect(() => parseArgs(['--model'])).toThrowError(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });
});

describe('bertweb bin', () => {
  const bin = fileURLToPath(new URL('../bin/bertweb.mjs', import.meta.url));
  it('runs from a checkout without a build and follows the JSON error contract', () => {
    const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help).toContain('bertweb: BERT-family models');
    const failed = spawnSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8' });
    expect(failed.status).toBe(2);
    expect(JSON.parse(failed.stderr.trim())).toMatchObject({ error: { code: 'INPUT_INVALID' } });
  });

  it('prints the version of its package.json', () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(`bertweb ${version}`);
  });

  it('runs the sources in a checkout even when dist/ exists, and dist/ when installed under node_modules', () => {
    // Copies of bin/ in a fake checkout and a fake install, each with a dist/ and a src/ that say who ran.
    const scratch = fileURLToPath(new URL('../.test-tmp/', import.meta.url));
    rmSync(scratch, { recursive: true, force: true });
    const layout = (root: string) => {
      mkdirSync(join(root, 'bin'), { recursive: true });
      mkdirSync(join(root, 'dist'), { recursive: true });
      mkdirSync(join(root, 'src'), { recursive: true });
      copyFileSync(bin, join(root, 'bin', 'bertweb.mjs'));
      writeFileSync(join(root, 'dist', 'main.js'), "console.log('dist');\n");
      writeFileSync(join(root, 'src', 'main.ts'), "const who: string = 'source';\nconsole.log(who);\n");
      return join(root, 'bin', 'bertweb.mjs');
    };
    try {
      const env = { ...process.env, BERTWEB_FROM_SOURCE: '' };
      const checkout = layout(join(scratch, 'checkout'));
      expect(execFileSync(process.execPath, [checkout], { encoding: 'utf8', env }).trim()).toBe('source');
      const installed = layout(join(scratch, 'node_modules', '@bertweb', 'cli'));
      expect(execFileSync(process.execPath, [installed], { encoding: 'utf8', env }).trim()).toBe('dist');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('is linked at the repository root, so `pnpm exec bertweb` works after install (README)', () => {
    const rootBin = fileURLToPath(new URL('../../../node_modules/.bin/bertweb', import.meta.url));
    const help = execFileSync(rootBin, ['--help'], { encoding: 'utf8' });
    expect(help).toContain('Commands:');
  });
});
