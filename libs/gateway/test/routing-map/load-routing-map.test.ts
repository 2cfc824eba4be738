import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@portico/edge';
import { loadRoutingMap } from '../../src/routing-map/load-routing-map';

const ENV = { ORDER_SERVICE_URL: 'http://127.0.0.1:9/api/', KITCHEN_SERVICE_URL: 'http://127.0.0.1:10' };

describe('loadRoutingMap', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'portico-routes-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(yaml: string): string {
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, yaml);
    return file;
  }

  function problemsOf(yaml: string, env: Record<string, string> = ENV): string[] {
    try {
      loadRoutingMap(write(yaml), env);
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return [...(err as ConfigError).problems];
    }
    throw new Error('the routing map was accepted');
  }

  it('validates a map, fills defaults, resolves hosts from the environment and deep-freezes it', () => {
    const map = loadRoutingMap(
      write(`
routes:
  - id: get-order
    method: GET
    path: /orders/:orderId
    upstream: \${ORDER_SERVICE_URL}/v2/orders/:orderId
    policy: { auth: none, timeout: 2s, cache: { ttl: 30s, public: true } }
  - id: create-ticket
    method: [POST, PUT]
    path: /kitchen/tickets
    upstream: \${KITCHEN_SERVICE_URL}
    rewrite: { stripPrefix: /kitchen }
    headers: { add: { x-api-version: '2' }, remove: [cookie] }
    policy: { auth: required, scopes: [tickets:write], bodyLimit: 2MiB }
`),
      ENV,
    );
    expect(map.version).to.match(/^[0-9a-f]{12}$/);
    const [getOrder, createTicket] = map.routes;
    expect(getOrder?.method).to.deep.equal(['GET']);
    expect(getOrder?.policy).to.include({ auth: 'none', timeout: 2000, retries: 2 });
    expect(getOrder?.target).to.deep.include({ variable: 'ORDER_SERVICE_URL', origin: 'http://127.0.0.1:9', basePath: '/api' });
    expect(createTicket?.policy).to.include({ retries: 0, bodyLimit: 2 * 1024 * 1024, timeout: 5000 });
    expect(createTicket?.target?.segments).to.deep.equal([{ kind: 'literal', value: 'tickets' }]);
    expect(createTicket?.forwardAuthorization).to.equal(false);
    expect(Object.isFrozen(getOrder?.policy)).to.equal(true);
    expect(Object.isFrozen(map.routes)).to.equal(true);
  });

  it('gives the same version for the same content and another for a change', () => {
    const yaml = 'routes:\n  - { id: a, method: GET, path: /a, upstream: "${ORDER_SERVICE_URL}", policy: { auth: none } }\n';
    const first = loadRoutingMap(write(yaml), ENV).version;
    expect(loadRoutingMap(write(yaml), ENV).version).to.equal(first);
    expect(loadRoutingMap(write(`${yaml}# changed\n`), ENV).version).to.not.equal(first);
  });

  it('names file, route and field for an unknown key', () => {
    expect(
      problemsOf('routes:\n  - { id: get-order, method: GET, path: /o, upstream: "${ORDER_SERVICE_URL}", policy: { auth: none, timeot: 2s } }\n'),
    ).to.deep.equal(['routes.yaml › get-order › policy.timeot: unknown key']);
    expect(problemsOf('routes:\n  - { id: get-order, method: GET, path: /o, upstream: "${ORDER_SERVICE_URL}", colour: red }\n')).to.deep.equal([
      'routes.yaml › get-order › colour: unknown key',
    ]);
  });

  it('names file, route and field for a bad duration, method, id and size', () => {
    const problems = problemsOf(`
routes:
  - { id: get-order-details, method: GET, path: /o, upstream: "\${ORDER_SERVICE_URL}", policy: { timeout: fast, bodyLimit: lots } }
  - { id: Bad_Id, method: FETCH, path: /p, upstream: "\${ORDER_SERVICE_URL}" }
`);
    expect(problems).to.include('routes.yaml › get-order-details › policy.timeout: expected a duration like "2s", got "fast"');
    expect(problems).to.include('routes.yaml › get-order-details › policy.bodyLimit: expected a size like "1MiB", got "lots"');
    expect(problems.some((p) => p.startsWith('routes.yaml › Bad_Id › id: expected a kebab-case id'))).to.equal(true);
    expect(problems.some((p) => p.startsWith('routes.yaml › Bad_Id › method:'))).to.equal(true);
  });

  it('reads policy.compress as on, off or a threshold, and names a bad value', () => {
    const map = loadRoutingMap(
      write(`
routes:
  - { id: on, method: GET, path: /a, upstream: "\${ORDER_SERVICE_URL}", policy: { compress: true } }
  - { id: off, method: GET, path: /b, upstream: "\${ORDER_SERVICE_URL}", policy: { compress: false } }
  - { id: sized, method: GET, path: /c, upstream: "\${ORDER_SERVICE_URL}", policy: { compress: { minBytes: 4KiB } } }
`),
      ENV,
    );
    expect(map.routes.map((r) => r.policy.compress)).to.deep.equal([{ minBytes: 1024 }, undefined, { minBytes: 4096 }]);
    const problems = problemsOf(`
routes:
  - { id: a, method: GET, path: /a, upstream: "\${ORDER_SERVICE_URL}", policy: { compress: yes } }
  - { id: b, method: GET, path: /b, upstream: "\${ORDER_SERVICE_URL}", policy: { compress: { level: 9 } } }
  - { id: c, method: GET, path: /c, upstream: "\${ORDER_SERVICE_URL}", policy: { compress: { minBytes: lots } } }
`);
    expect(problems).to.include('routes.yaml › a › policy.compress: expected true, false or { minBytes: <size> }');
    expect(problems).to.include('routes.yaml › b › policy.compress.level: unknown key');
    expect(problems).to.include('routes.yaml › c › policy.compress.minBytes: expected a size like "1MiB", got "lots"');
  });

  it('reads policy.etag as on or off, and names a bad value', () => {
    const map = loadRoutingMap(
      write(`
routes:
  - { id: on, method: GET, path: /a, upstream: "\${ORDER_SERVICE_URL}", policy: { etag: true } }
  - { id: off, method: GET, path: /b, upstream: "\${ORDER_SERVICE_URL}", policy: { etag: false } }
  - { id: unset, method: GET, path: /c, upstream: "\${ORDER_SERVICE_URL}" }
`),
      ENV,
    );
    expect(map.routes.map((r) => r.policy.etag)).to.deep.equal([true, false, undefined]);
    const problems = problemsOf(`
routes:
  - { id: a, method: GET, path: /a, upstream: "\${ORDER_SERVICE_URL}", policy: { etag: weak } }
`);
    expect(problems).to.include('routes.yaml › a › policy.etag: expected true or false');
  });

  it('refuses a duplicate id, the same method and path twice, and patterns differing only in parameter names', () => {
    const problems = problemsOf(`
routes:
  - { id: get-order, method: GET, path: /orders/:id, upstream: "\${ORDER_SERVICE_URL}", policy: { auth: none } }
  - { id: get-order, method: DELETE, path: /x, upstream: "\${ORDER_SERVICE_URL}", policy: { auth: none } }
  - { id: get-order-2, method: [GET, POST], path: /orders/:id, upstream: "\${ORDER_SERVICE_URL}", policy: { auth: none } }
  - { id: get-order-3, method: GET, path: /orders/:orderId, upstream: "\${ORDER_SERVICE_URL}", policy: { auth: none } }
  - { id: post-order, method: POST, path: /orders/:orderId, upstream: "\${ORDER_SERVICE_URL}", policy: { auth: none } }
`);
    expect(problems).to.deep.equal([
      'routes.yaml › get-order › id: duplicate route id',
      'routes.yaml › get-order-2 › path: GET /orders/:id is already routed by get-order',
      'routes.yaml › get-order-3 › path: GET /orders/:orderId conflicts with get-order (GET /orders/:id): the same path with different parameter names',
      'routes.yaml › post-order › path: POST /orders/:orderId conflicts with get-order-2 (POST /orders/:id): the same path with different parameter names',
    ]);
  });

  it('refuses a literal upstream host and names the field', () => {
    const problems = problemsOf('routes:\n  - { id: get-order, method: GET, path: /o, upstream: "http://orders.internal:8080/o" }\n');
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(
      /^routes\.yaml › get-order › upstream: expected the host from an environment variable like .*got the literal host "http:\/\/orders\.internal:8080\/o"$/,
    );
  });

  it('refuses a missing or malformed environment variable and names route and field', () => {
    const yaml = 'routes:\n  - { id: get-order, method: GET, path: /o, upstream: "${ORDER_SERVICE_URL}/o", policy: { auth: none } }\n';
    expect(problemsOf(yaml, {})).to.deep.equal(['routes.yaml › get-order › upstream: environment variable ORDER_SERVICE_URL is not set']);
    expect(problemsOf(yaml, { ORDER_SERVICE_URL: 'orders:8080' })[0]).to.match(
      /^routes\.yaml › get-order › upstream: ORDER_SERVICE_URL must be an http\(s\) URL/,
    );
  });

  it('refuses retries on POST, PUT retries without idempotent, cache on POST, unknown upstream parameters and reserved headers', () => {
    const problems = problemsOf(`
routes:
  - { id: a, method: POST, path: /a, upstream: "\${ORDER_SERVICE_URL}", policy: { retries: 1, cache: { ttl: 1s } } }
  - { id: b, method: PUT, path: /b/:id, upstream: "\${ORDER_SERVICE_URL}/b/:other", policy: { retries: 2 } }
  - { id: c, method: GET, path: /c, upstream: "\${ORDER_SERVICE_URL}", headers: { add: { x-forwarded-for: 1.2.3.4 }, remove: [connection] } }
  - { id: d, method: GET, path: /d, handler: getD, upstream: "\${ORDER_SERVICE_URL}" }
`);
    expect(problems).to.include('routes.yaml › a › policy.retries: POST requests are sent at most once; expected 0');
    expect(problems).to.include('routes.yaml › a › policy.cache: caching applies to GET and HEAD routes only');
    expect(problems).to.include('routes.yaml › b › policy.retries: PUT and DELETE are retried only when the route declares idempotent: true');
    expect(problems).to.include('routes.yaml › b › upstream: parameter "other" is not in the route path "/b/:id"');
    expect(problems).to.include(
      'routes.yaml › c › headers.add.x-forwarded-for: "x-forwarded-for" is set by the proxy itself and cannot be added or removed by a route',
    );
    expect(problems).to.include('routes.yaml › c › headers.remove.0: "connection" is set by the proxy itself and cannot be added or removed by a route');
    expect(problems).to.include('routes.yaml › d › (route): expected exactly one of upstream, handler or compose, got upstream and handler');
  });

  it('accepts a JSON Schema for the body and refuses one zod cannot convert', () => {
    const ok = loadRoutingMap(
      write(
        'routes:\n  - { id: a, method: POST, path: /a, upstream: "${ORDER_SERVICE_URL}", policy: { body: { type: object, properties: { qty: { type: integer } }, required: [qty] } } }\n',
      ),
      ENV,
    );
    expect(ok.routes[0]?.policy.body).to.deep.equal({ type: 'object', properties: { qty: { type: 'integer' } }, required: ['qty'] });
    const undeclared = problemsOf(
      'routes:\n  - { id: a, method: POST, path: /a, upstream: "${ORDER_SERVICE_URL}", policy: { body: { type: object, required: [qty] } } }\n',
    );
    expect(undeclared).to.deep.equal(['routes.yaml › a › policy.body: body: required "qty" must also be listed under properties']);
    const problems = problemsOf('routes:\n  - { id: a, method: POST, path: /a, upstream: "${ORDER_SERVICE_URL}", policy: { body: { type: bogus } } }\n');
    expect(problems[0]).to.match(/^routes\.yaml › a › policy\.body: expected a JSON Schema object/);
  });

  it('reports invalid YAML, unknown top-level keys and an unreadable file', () => {
    expect(problemsOf('routes: [\n')[0]).to.match(/^routes\.yaml: invalid YAML/);
    expect(problemsOf('routes:\n  - { id: a, method: GET, path: /a, upstream: "${ORDER_SERVICE_URL}" }\nextra: 1\n')).to.deep.equal([
      'routes.yaml › extra: unknown key (expected only "routes")',
    ]);
    expect(() => loadRoutingMap(join(dir, 'missing.yaml'), ENV)).to.throw(ConfigError, /missing\.yaml: cannot be read \(ENOENT\)/);
  });
});
