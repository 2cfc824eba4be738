/**
 * The real fleet for suites that load it: started from each service's dist/main.js by the e2e harness
 * (test/e2e/support/fleet.ts, wired by scripts/fleet-plan.mjs), then pinned like every system under test here:
 * backends with the load generator on cpu0, BFFs on cpu1. Building (`npx tsc -b`, `make bench`) comes first.
 */
import { execFileSync } from 'node:child_process';
import { startFleet, type Fleet, type FleetOptions } from '../../test/e2e/support/fleet';

/** The six backends, in the order the fleet starts them. */
export const BACKENDS = ['consumer', 'restaurant', 'order', 'kitchen', 'delivery', 'accounting'] as const;
/** The three BFFs. */
export const BFFS = ['mobile-bff', 'web-bff', 'public-api'] as const;

/** Long simulated steps: an order placed by a suite stays APPROVED, its ticket and delivery unchanged, for the whole run. */
export const FROZEN_ORDERS: Readonly<Record<string, string>> = Object.freeze({
  ORDER_STEP_TIME: '1h',
  KITCHEN_PREP_TIME: '1h',
  DELIVERY_PICKUP_TIME: '1h',
  DELIVERY_TRAVEL_TIME: '1h',
  COURIER_LOCATION_EVERY: '1h',
});

/** Pins every thread of `pid` (threads made later inherit it) to `cpu`. */
export function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** Starts `services` (backends are always started first) and pins backends to cpu0, BFFs to cpu1. */
export async function startPinnedFleet(services: readonly string[], options: Omit<FleetOptions, 'services'> = {}): Promise<Fleet> {
  const fleet = await startFleet({ ...options, services: [...services] });
  try {
    for (const name of fleet.services) {
      const pid = fleet.pid(name);
      if (pid === undefined) throw new Error(`${name} is not running`);
      pin(pid, (BFFS as readonly string[]).includes(name) ? 1 : 0);
    }
  } catch (err) {
    await fleet.stopAll();
    throw err;
  }
  return fleet;
}
