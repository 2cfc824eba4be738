/**
 * The load balancer's nginx config, statically (each BFF routed at its port, no business logic) and running: a temp
 * copy with upstream hosts and ports rewritten for loopback, started in the foreground and stopped by pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployedService } from './facts';

/** Directives that would put auth, limits, caching or rewriting logic into the load balancer. */
const BUSINESS_LOGIC = /^\s*(auth_request|auth_basic|auth_jwt|limit_req|limit_conn|proxy_cache\b|js_\w+|perl\w*|\w*lua\w*|sub_filter|rewrite|set\s+\$|proxy_set_header\s+X-User)/m;

/** Everything wrong with deploy/nginx for the BFFs of `plan`. */
export function nginxProblems(root: string, plan: readonly DeployedService[]): string[] {
  const dir = join(root, 'deploy', 'nginx');
  const problems: string[] = [];
  const files = ['nginx.conf', 'errors.conf', ...readdirSync(join(dir, 'bffs')).map((f) => `bffs/${f}`)];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const logic = BUSINESS_LOGIC.exec(text);
    if (logic) problems.push(`deploy/nginx/${f}: "${logic[1]}" is not routing; it belongs in a BFF`);
    for (const m of text.matchAll(/^\s*if \((.*)\) \{(.*)\}/gm)) if (!/^\s*return 4\d\d;\s*$/.test(m[2]!)) problems.push(`deploy/nginx/${f}: if (${m[1]}) may only refuse a request`);
  }
  const bffs = plan.filter((s) => s.role === 'bff');
  for (const s of bffs) {
    const http = join(dir, 'bffs', `${s.name}.http.conf`);
    const prefix = join(dir, 'bffs', `${s.name}.prefix.conf`);
    if (!existsSync(http) || !existsSync(prefix)) {
      problems.push(`deploy/nginx/bffs/${s.name}.{http,prefix}.conf: missing, so ${s.name} is unreachable`);
      continue;
    }
    if (!readFileSync(http, 'utf8').includes(`server ${s.name}:${s.defaultPort} `)) problems.push(`deploy/nginx/bffs/${s.name}.http.conf: upstream is not ${s.name}:${s.defaultPort}`);
  }
  for (const f of readdirSync(join(dir, 'bffs'))) {
    const name = f.replace(/\.(http|prefix)\.conf$/, '');
    if (!bffs.some((s) => s.name === name)) problems.push(`deploy/nginx/bffs/${f}: routes to ${name}, which is no BFF of the fleet`);
  }
  const main = readFileSync(join(dir, 'nginx.conf'), 'utf8');
  const directive = (name: string) => new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm').exec(main)?.[1];
  if (directive('client_max_body_size') !== '1m') problems.push('nginx.conf: client_max_body_size is not the BFFs’ 1 MiB MAX_BODY_SIZE');
  if (parseInt(directive('keepalive_timeout') ?? '75', 10) >= 65) problems.push('nginx.conf: client keep-alive must stay below the BFFs’ 65 s');
  if (parseInt(directive('proxy_read_timeout') ?? '60', 10) <= 60) problems.push('nginx.conf: proxy_read_timeout must outlast the BFFs’ 30 s request timeout and 60 s WebSocket heartbeat');
  if (!/proxy_set_header Upgrade \$http_upgrade;/.test(main) || !/proxy_set_header Connection \$connection_upgrade;/.test(main)) problems.push('nginx.conf: WebSocket upgrades are not passed through');
  return problems;
}

/** A running nginx on loopback. */
export interface RunningNginx {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Installs nginx from Debian's packages when missing (scripts/ensure-nginx.sh, shared with bench/run.sh). */
export function ensureNginx(root: string): string {
  execFileSync('bash', [join(root, 'scripts', 'ensure-nginx.sh')], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

/**
 * Copies deploy/nginx into a temp dir for loopback: `server <name>:<port>` → `127.0.0.1:<upstreams[name]>`, the
 * listen port → `127.0.0.1:<listenPort>`, logs and temp files inside the dir. `extra` adds files under bffs/.
 */
export function loopbackConfig(root: string, upstreams: ReadonlyMap<string, number>, listenPort: number, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-lb-'));
  cpSync(join(root, 'deploy', 'nginx'), dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, 'bffs', name), text);
  for (const f of ['nginx.conf', ...readdirSync(join(dir, 'bffs')).map((b) => `bffs/${b}`)]) {
    const file = join(dir, f);
    let text = readFileSync(file, 'utf8')
      .replace(/^(\s*)listen 8080\b/gm, `$1listen 127.0.0.1:${listenPort}`)
      .replace(/^(\s*server )([a-z0-9-]+):(\d+)/gm, (m, lead: string, host: string) => (upstreams.has(host) ? `${lead}127.0.0.1:${upstreams.get(host)}` : m));
    if (f === 'nginx.conf') {
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');
      text = text.replace(/^worker_processes .*$/m, 'worker_processes 1;').replace(/^http \{$/m, `http {\n${temp}`).replace(/access_log \/dev\/stdout portico;/, `access_log ${dir}/access.log portico;`);
    }
    writeFileSync(file, text);
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  return dir;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() - started > timeoutMs) reject(new Error(`nginx did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts `nginx -p <dir> -c <dir>/nginx.conf` in the foreground (its own pid file and error log) and waits for the port. */
export async function startNginx(binary: string, dir: string, port: number): Promise<RunningNginx> {
  const child: ChildProcess = spawn(binary, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${dir}/nginx.pid;`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([waitForPort(port, 5_000), exited.then(() => Promise.reject(new Error(`nginx exited: ${stderr}`)))]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGQUIT would wait for open keep-alive connections; SIGTERM is nginx's fast shutdown.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
