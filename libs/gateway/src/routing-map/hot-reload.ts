/**
 * Safe hot reload: when routes.yaml changes (or on SIGHUP) the new map is validated and handed to `onSwap`; an
 * invalid map is logged and the old one stays in force. The atomic swap and in-flight isolation are the router's job.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError, type EdgeLogger } from '@portico/edge';
import { loadRoutingMap, type RoutingEnv, type RoutingMap } from './load-routing-map';

/** Options for watchRoutingMap. */
export interface WatchOptions {
  /** Quiet period after the last file event before reloading (editors write in bursts); default 100 ms. */
  debounceMs?: number;
  /** Watch the file (default true); with false, only SIGHUP and reload() reload. */
  watchFile?: boolean;
  /** Reload on SIGHUP (default true). */
  sighup?: boolean;
  /** The version in force at start, so an unchanged file is not swapped in again. */
  currentVersion?: string;
}

/** What one reload attempt did. */
export type ReloadOutcome =
  { status: 'swapped'; version: string } | { status: 'unchanged'; version: string } | { status: 'rejected'; problems: readonly string[] };

/** A running watcher. */
export interface RoutingMapWatcher {
  /** Validates the file now and swaps it in when it is valid and new. */
  reload(reason?: string): Promise<ReloadOutcome>;
  /** Stops watching and removes the SIGHUP handler. */
  close(): void;
}

/**
 * Watches the routing-map file's directory (editors and ConfigMap updates replace the file rather than write to it)
 * and reloads on change or SIGHUP. `onSwap` compiles and installs the map; if it throws, the old map stays.
 */
export function watchRoutingMap(
  file: string,
  env: RoutingEnv,
  onSwap: (map: RoutingMap) => void,
  logger: EdgeLogger,
  options: WatchOptions = {},
): RoutingMapWatcher {
  const debounceMs = options.debounceMs ?? 100;
  let version = options.currentVersion;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const attempt = (reason: string): ReloadOutcome => {
    try {
      const map = loadRoutingMap(file, env);
      if (map.version === version) return { status: 'unchanged', version: map.version };
      onSwap(map);
      logger.info({ file, version: map.version, previous: version, reason }, 'routing map reloaded');
      version = map.version;
      return { status: 'swapped', version: map.version };
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      logger.error({ file, problems, version, reason }, `routing map rejected; version ${version ?? 'unknown'} stays in force`);
      return { status: 'rejected', problems };
    }
  };
  // Reloads run one after another so two quick changes cannot swap out of order.
  const reload = (reason = 'manual'): Promise<ReloadOutcome> => {
    const next = chain.then(() => attempt(reason));
    chain = next;
    return next;
  };

  let watcher: FSWatcher | undefined;
  if (options.watchFile !== false)
    watcher = watchDirectory(file, logger, () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload('file changed'), debounceMs);
    });
  const onSighup = (): void => void reload('SIGHUP');
  if (options.sighup !== false) process.on('SIGHUP', onSighup);

  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onSighup);
    },
  };
}

// Watches the directory: editors and Kubernetes ConfigMap updates replace the file (rename), which a file watch misses.
function watchDirectory(file: string, logger: EdgeLogger, onChange: () => void): FSWatcher | undefined {
  const name = basename(file);
  try {
    const watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name || changed.startsWith('..')) onChange();
    });
    watcher.on('error', (err) => logger.warn({ file, err }, 'routing map watcher failed; SIGHUP still reloads'));
    return watcher;
  } catch (err) {
    logger.warn({ file, err }, 'cannot watch the routing map directory; SIGHUP still reloads');
    return undefined;
  }
}
