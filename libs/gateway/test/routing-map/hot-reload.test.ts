import { expect } from 'chai';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeLogger } from '@portico/edge';
import { loadRoutingMap, type RoutingMap } from '../../src/routing-map/load-routing-map';
import { watchRoutingMap, type RoutingMapWatcher } from '../../src/routing-map/hot-reload';

const ENV = { ORDER_SERVICE_URL: 'http://127.0.0.1:9' };
const route = (id: string) => `routes:\n  - { id: ${id}, method: GET, path: /${id}, upstream: "\${ORDER_SERVICE_URL}", policy: { auth: none } }\n`;

function recordingLogger(lines: Array<{ level: string; obj: object; msg?: string }>): EdgeLogger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: EdgeLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('watchRoutingMap', () => {
  let dir: string;
  let file: string;
  let watcher: RoutingMapWatcher | undefined;
  let swapped: RoutingMap[];
  let lines: Array<{ level: string; obj: object; msg?: string }>;
  let initial: RoutingMap;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portico-reload-'));
    file = join(dir, 'routes.yaml');
    writeFileSync(file, route('first'));
    initial = loadRoutingMap(file, ENV);
    swapped = [];
    lines = [];
  });
  afterEach(() => {
    watcher?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(onSwap: (map: RoutingMap) => void = (map) => swapped.push(map)): RoutingMapWatcher {
    watcher = watchRoutingMap(file, ENV, onSwap, recordingLogger(lines), { debounceMs: 20, currentVersion: initial.version });
    return watcher;
  }

  it('swaps in a valid new map when the file changes, and logs the new version', async () => {
    start();
    writeFileSync(file, route('second'));
    await eventually(() => swapped.length === 1);
    expect(swapped[0]?.routes[0]?.id).to.equal('second');
    expect(swapped[0]?.version).to.not.equal(initial.version);
    expect(lines.find((l) => l.msg === 'routing map reloaded')?.obj).to.deep.include({ version: swapped[0]?.version, previous: initial.version });
  });

  it('picks up a file replaced by rename, as editors and ConfigMaps do', async () => {
    start();
    const temp = join(dir, '.routes.yaml.tmp');
    writeFileSync(temp, route('renamed'));
    renameSync(temp, file);
    await eventually(() => swapped.length === 1);
    expect(swapped[0]?.routes[0]?.id).to.equal('renamed');
  });

  it('keeps the old map and logs the problems when the new file is invalid', async () => {
    const w = start();
    writeFileSync(file, 'routes:\n  - { id: broken, method: GET, path: /b, upstream: "http://literal.host/b" }\n');
    await eventually(() => lines.some((l) => l.level === 'error'));
    expect(swapped).to.have.length(0);
    const error = lines.find((l) => l.level === 'error');
    expect(error?.msg).to.equal(`routing map rejected; version ${initial.version} stays in force`);
    expect((error?.obj as { problems: string[] }).problems[0]).to.match(/^routes\.yaml › broken › upstream: expected the host from an environment variable/);
    expect(await w.reload()).to.deep.include({ status: 'rejected' });
  });

  it('keeps the old map when installing the new one fails', async () => {
    const w = start(() => {
      throw new Error('handler missing');
    });
    writeFileSync(file, route('second'));
    expect(await w.reload()).to.deep.equal({ status: 'rejected', problems: ['handler missing'] });
    writeFileSync(file, route('first'));
    expect(await w.reload()).to.deep.equal({ status: 'unchanged', version: initial.version });
  });

  it('reloads on SIGHUP', async () => {
    watcher = watchRoutingMap(file, ENV, (map) => swapped.push(map), recordingLogger(lines), { watchFile: false, currentVersion: initial.version });
    writeFileSync(file, route('after-hup'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(swapped).to.have.length(0);
    process.kill(process.pid, 'SIGHUP');
    await eventually(() => swapped.length === 1);
    expect(swapped[0]?.routes[0]?.id).to.equal('after-hup');
  });
});
