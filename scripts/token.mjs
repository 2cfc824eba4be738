#!/usr/bin/env node
/**
 * `npm run token -- --aud mobile --sub c-1001`: prints a JWT the local fleet accepts, signed HS256 with the
 * local-development secret (scripts/local-dev.mjs). Only the token goes to stdout, so `TOKEN=$(npm run -s token -- …)`
 * works; hints go to stderr. Verifying tokens is the edge's job (libs/edge/src/auth); this never runs in production.
 */
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { parseLifetime, parseList, parseOptions, refuseInProduction, runCommand, UsageError } from './cli-args.mjs';
import { LOCAL_JWT_AUDIENCES, LOCAL_JWT_ISSUER, LOCAL_JWT_SECRET } from './local-dev.mjs';

const COMMAND = 'token';
// docs/edge-defaults.md: the edge refuses tokens living longer than 24 h (JWT_MAX_LIFETIME), so never mint one.
const MAX_TTL_MS = 24 * 3_600_000;
const AUDIENCES = [...new Set(Object.values(LOCAL_JWT_AUDIENCES))];

const USAGE = `usage: npm run -s token -- --aud <${AUDIENCES.join('|')}> --sub <consumerId> [options]

Prints a JWT for the local fleet on stdout (HS256, local-development secret).

  --aud <audience>   the BFF it is for: ${AUDIENCES.map((a) => `"${a}"`).join(' or ')} (required)
  --sub <id>         the consumer it speaks for, e.g. c-1001 (required; seeded: c-1001 c-1002 c-1003)
  --scope <list>     space-separated scopes (default "orders:read orders:write"; "" for none)
  --roles <list>     space- or comma-separated roles (default "consumer")
  --ttl <duration>   lifetime like 15m, 1h, 24h or seconds (default 1h, at most 24h)
  --iss <issuer>     issuer (default ${LOCAL_JWT_ISSUER}, the one the local fleet accepts)

example: TOKEN=$(npm run -s token -- --aud mobile --sub c-1001)`;

const OPTIONS = {
  aud: { type: 'string' },
  sub: { type: 'string' },
  scope: { type: 'string', default: 'orders:read orders:write' },
  roles: { type: 'string', default: 'consumer' },
  ttl: { type: 'string', default: '1h' },
  iss: { type: 'string', default: LOCAL_JWT_ISSUER },
};

function warn(message) {
  process.stderr.write(`${COMMAND}: warning: ${message}\n`);
}

/** Builds the signed token and the stderr hint from parsed options. */
function issue(values, nowMs) {
  const ttlMs = parseLifetime(values.ttl, 'ttl');
  if (ttlMs > MAX_TTL_MS) throw new UsageError(`--ttl ${values.ttl} is longer than 24h; the edge refuses tokens living longer than that`);
  const ttlSeconds = Math.floor(ttlMs / 1000);
  const scopes = parseList(values.scope);
  const roles = parseList(values.roles);
  const iat = Math.floor(nowMs / 1000);
  const payload = { iat, exp: iat + ttlSeconds, scope: scopes.join(' '), roles };
  const token = jwt.sign(payload, createSecretKey(Buffer.from(LOCAL_JWT_SECRET, 'utf8')), {
    algorithm: 'HS256',
    issuer: values.iss,
    audience: values.aud,
    subject: values.sub,
  });
  const expires = new Date((iat + ttlSeconds) * 1000).toISOString();
  const hint = `HS256 token for ${values.sub} (aud ${values.aud}, scope "${payload.scope}", roles ${roles.join(',') || 'none'}) expires ${expires}; send it as "Authorization: Bearer $TOKEN"`;
  return { token, hint };
}

await runCommand(COMMAND, USAGE, async (argv) => {
  refuseInProduction(COMMAND);
  const values = parseOptions(argv, { options: OPTIONS, required: ['aud', 'sub'], allowEmpty: ['scope', 'roles'], usage: USAGE });
  const { token, hint } = issue(values, Date.now());
  if (!AUDIENCES.includes(values.aud))
    warn(`"${values.aud}" is not an audience of the local fleet (${AUDIENCES.join(', ')}); no local BFF will accept this token`);
  if (values.iss !== LOCAL_JWT_ISSUER) warn(`the local fleet accepts only issuer "${LOCAL_JWT_ISSUER}", not "${values.iss}"`);
  process.stdout.write(`${token}\n`);
  process.stderr.write(`${COMMAND}: ${hint}\n`);
});
