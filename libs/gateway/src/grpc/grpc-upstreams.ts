/**
 * createGrpcUpstreams: one GrpcUpstream (channel, breaker, bulkhead, retry budget) per gRPC backend, created once at
 * start-up from `{ name: { address, policy } }`. Addresses come from the environment (`KITCHEN_GRPC_ADDRESS`); reading it is the caller's job.
 */
import type { BreakerState } from '../clients/breaker';
import { GrpcUpstream, type GrpcUpstreamDeps } from './grpc-upstream';
import { resolveGrpcPolicy, type GrpcPolicyOverrides } from './grpc-policy';

/** One gRPC backend: its `host:port` and optional policy overrides. */
export interface GrpcUpstreamDef {
  address: string;
  policy?: GrpcPolicyOverrides;
}

/** The gRPC upstreams of one BFF, by name. */
export interface GrpcUpstreams {
  /** The upstream called `name`; throws for a name that was never defined (a start-up bug). */
  get(name: string): GrpcUpstream;
  /** True when `name` was defined. */
  has(name: string): boolean;
  /** Names of every upstream. */
  names(): string[];
  /** Breaker state per upstream name. */
  states(): Record<string, BreakerState>;
  /** Closes every channel; call from the shutdown hook after in-flight requests finish. */
  close(): Promise<void>;
}

// host:port with a DNS name, an IPv4 address or a bracketed IPv6 address; the port is required (there is no default).
const ADDRESS = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** Checks a `host:port` gRPC address; returns a message when it is not one. */
export function addressProblem(address: string): string | undefined {
  const m = ADDRESS.exec(address);
  const port = m ? Number(m[1]) : 0;
  if (!m || port < 1 || port > 65535) return `expected host:port like "kitchen:9104", got "${address}"`;
  return undefined;
}

/** The upstream name for an address variable: `KITCHEN_GRPC_ADDRESS` → `kitchen`, `LEGACY_BILLING_ADDR` → `legacy-billing`. */
export function grpcUpstreamNameFor(variable: string): string {
  return variable
    .replace(/_(GRPC_)?ADDR(ESS)?$/, '')
    .replace(/_GRPC$/, '')
    .replace(/_SERVICE$/, '')
    .toLowerCase()
    .replace(/_/g, '-');
}

/** Creates every gRPC upstream once; two names may not share an address (each address gets exactly one channel). */
export function createGrpcUpstreams(defs: Readonly<Record<string, GrpcUpstreamDef>>, deps: GrpcUpstreamDeps): GrpcUpstreams {
  const byName = new Map<string, GrpcUpstream>();
  const byAddress = new Map<string, string>();
  try {
    for (const [name, def] of Object.entries(defs)) {
      const problem = addressProblem(def.address);
      if (problem) throw new Error(`grpc upstream ${name}: ${problem}`);
      const clash = byAddress.get(def.address);
      if (clash) throw new Error(`grpc upstreams ${clash} and ${name} share one address; give them one name`);
      byAddress.set(def.address, name);
      byName.set(name, new GrpcUpstream(name, def.address, resolveGrpcPolicy(name, def.policy), deps));
    }
  } catch (err) {
    for (const upstream of byName.values()) upstream.close();
    throw err;
  }
  return {
    get(name) {
      const upstream = byName.get(name);
      if (!upstream) throw new Error(`unknown grpc upstream "${name}" (known: ${[...byName.keys()].join(', ') || 'none'})`);
      return upstream;
    },
    has: (name) => byName.has(name),
    names: () => [...byName.keys()],
    states: () => Object.fromEntries([...byName].map(([name, u]) => [name, u.state])),
    close: async () => {
      for (const upstream of byName.values()) upstream.close();
    },
  };
}
