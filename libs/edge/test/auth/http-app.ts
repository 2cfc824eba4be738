/** A tiny Koa app for auth middleware tests: problem+json at the top, a probe that records what it sees after next(), one chain per path (its last entry is the terminal). */
import Koa, { type Middleware } from 'koa';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemMiddleware } from '../../src/errors';
import type { EdgeState } from '../../src/state';

/** What the outer probe saw once `await next()` resolved. */
export interface AfterNext {
  path: string;
  status: number;
  principal: string | undefined;
}

export interface TestApp {
  base: string;
  afterNext: AfterNext[];
  terminalRuns: string[];
  close(): Promise<void>;
}

export async function startApp(chains: Record<string, Middleware<EdgeState>[]>): Promise<TestApp> {
  const afterNext: AfterNext[] = [];
  const terminalRuns: string[] = [];
  const app = new Koa<EdgeState>();
  app.use(async (ctx, next) => {
    ctx.state.requestId = 'req-test';
    await next();
    afterNext.push({ path: ctx.path, status: ctx.status, principal: ctx.state.principal?.subject });
  });
  app.use(problemMiddleware());
  app.use(async (ctx, next) => {
    const prefix = Object.keys(chains).find((p) => ctx.path === p || ctx.path.startsWith(`${p}/`));
    if (!prefix) return next();
    const chain = chains[prefix] as Middleware<EdgeState>[];
    const run = async (i: number): Promise<void> => {
      const mw = chain[i];
      if (i === chain.length - 1) terminalRuns.push(ctx.path);
      if (mw) await mw(ctx, () => run(i + 1));
    };
    await run(0);
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    afterNext,
    terminalRuns,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
