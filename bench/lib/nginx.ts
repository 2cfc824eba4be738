/**
 * nginx as the reference reverse proxy (BENCHMARKING.md): 1 worker, upstream keep-alive 64, access log off, pid,
 * error log and temp files in a private temp dir. Started in the foreground so it is stopped by pid like the rest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type BenchProcess } from './processes';

/** The nginx.conf used for the benchmark, proxying 127.0.0.1:`listenPort` to 127.0.0.1:`upstreamPort`. */
export function nginxConf(dir: string, listenPort: number, upstreamPort: number): string {
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** Writes the config and runs `nginx -c <conf> -g 'daemon off;'` pinned to `cpu`; stop() also removes the temp dir. */
export async function startNginx(cpu: number, listenPort: number, upstreamPort: number): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, listenPort, upstreamPort));
  const nginx = await startProcess({ name: 'nginx', cpu, command: ['nginx', '-c', conf, '-g', 'daemon off;'], waitForPort: listenPort });
  return {
    ...nginx,
    async stop() {
      await nginx.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
