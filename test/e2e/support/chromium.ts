/**
 * Headless Chromium for browser end-to-end tests: Debian's `chromium` package driven by playwright-core, installed
 * with apt-get (once, bounded in time) when missing. A machine that cannot install it fails the test, never skips it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian's package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Launch flags: headless, no sandbox (tests run as root), and nothing that reaches beyond loopback on its own. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** How long `apt-get update && apt-get install -y chromium` may take before it is stopped and the test fails. */
export const INSTALL_TIMEOUT_MS = 8 * 60_000;

const INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';
const OUTPUT_TAIL_CHARS = 2000;

let installing: Promise<void> | undefined;

function install(timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // flock: two test processes on one machine must not run apt-get at once (dpkg holds its own lock and fails fast).
    const child = spawn('flock', ['/tmp/portico-apt.lock', 'sh', '-c', `test -x ${CHROMIUM_PATH} || (${INSTALL_COMMAND})`], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const fail = (why: string): void =>
      reject(
        new Error(
          `Chromium is missing at ${CHROMIUM_PATH} and \`${INSTALL_COMMAND}\` ${why}. ` +
            `Install it as root (apt-get update && apt-get install -y chromium) and run the test again.\n--- last output ---\n${output.trim()}`,
        ),
      );
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGTERM');
      } catch {
        // Already gone.
      }
      fail(`did not finish within ${Math.round(timeoutMs / 1000)} s`);
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(`could not start (${err.message})`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && existsSync(CHROMIUM_PATH)) resolve();
      else fail(code === 0 ? `finished but left no ${CHROMIUM_PATH}` : `failed (${signal ?? `exit ${code}`})`);
    });
  });
}

/** Installs Debian's chromium when it is missing; later calls share the first attempt. Rejects with a clear message. */
export function ensureChromium(timeoutMs = INSTALL_TIMEOUT_MS): Promise<void> {
  if (existsSync(CHROMIUM_PATH)) return Promise.resolve();
  installing ??= install(timeoutMs).finally(() => {
    if (!existsSync(CHROMIUM_PATH)) installing = undefined;
  });
  return installing;
}

/** A running headless browser with its own fresh profile; close() ends it and removes the profile. */
export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Installs Chromium if needed and launches it with CHROMIUM_ARGS and a fresh --user-data-dir (a persistent context). */
export async function launchChromium(options: { timeoutMs?: number } = {}): Promise<HeadlessChromium> {
  await ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'portico-chromium-'));
  let context: BrowserContext;
  try {
    // Playwright refuses --user-data-dir in args; launchPersistentContext passes it, for the directory made above.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: options.timeoutMs ?? 20_000,
      viewport: { width: 1000, height: 900 },
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
