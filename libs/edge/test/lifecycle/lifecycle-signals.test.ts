import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const FIXTURE = path.join(__dirname, 'fixtures', 'signal-server.ts');

interface LogLine {
  level: string;
  msg?: string;
  [key: string]: unknown;
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('Lifecycle signal handling (child process)', function () {
  this.timeout(20_000);
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('on SIGTERM finishes every in-flight request, runs the hooks in reverse order and exits 0', async () => {
    const lines: LogLine[] = [];
    let stderr = '';
    const proc = spawn(process.execPath, ['--require', 'tsx/cjs', FIXTURE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    let pending = '';
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as LogLine);
    });
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

    const waitFor = async (what: (l: LogLine[]) => boolean, label: string, ms = 10_000): Promise<void> => {
      const end = Date.now() + ms;
      while (!what(lines)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${label}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await waitFor((l) => l.some((x) => x.msg === 'listening'), 'the fixture to listen');
    const port = lines.find((x) => x.msg === 'listening')?.port as number;

    const inFlight = Array.from({ length: 5 }, (_, i) => get(port, `/work/${i}`));
    await waitFor((l) => l.filter((x) => x.msg === 'request received').length === 5, 'five requests to arrive');
    proc.kill('SIGTERM');
    await waitFor((l) => l.some((x) => x.msg?.startsWith('shutdown: readiness failing')), 'shutdown to begin');
    // A second signal during shutdown is logged, not run twice.
    proc.kill('SIGTERM');

    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
    expect(await exited).to.equal(0);

    const hooks = lines.filter((x) => x.msg === 'closing').map((x) => x.hook);
    expect(hooks).to.deep.equal(['telemetry', 'redis']);
    expect(lines.filter((x) => x.msg === 'shutdown already in progress; ignoring')).to.have.length(1);
    expect(lines.filter((x) => x.msg?.startsWith('shutdown: readiness failing'))).to.have.length(1);
    expect(lines.some((x) => x.msg === 'shutdown: in-flight requests finished')).to.equal(true);
    expect(lines.at(-1)).to.include({ msg: 'shutdown: complete; exiting', code: 0 });
  });

  for (const [mode, message, origin] of [
    ['exception', 'boom in a timer', 'uncaughtException'],
    ['rejection', 'boom in a promise', 'unhandledRejection'],
  ] as const) {
    it(`on an unhandled ${mode} logs one structured line naming it and exits 1`, async () => {
      const proc = spawn(process.execPath, ['--require', 'tsx/cjs', FIXTURE], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FIXTURE_THROW: mode },
      });
      child = proc;
      let stdout = '';
      let stderr = '';
      proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
      const lines = stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LogLine);
      expect(code, stderr).to.equal(1);
      const fatal = lines.filter((l) => l.msg === 'uncaught error; exiting');
      expect(fatal, stdout).to.have.length(1);
      expect(fatal[0]).to.include({ level: 'error', origin });
      expect(fatal[0]!.err).to.include({ type: 'Error', message });
      expect(stderr).to.equal('');
    });
  }
});
