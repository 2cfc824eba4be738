import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics';
import { sample } from './prometheus-text';

describe('createMetrics', () => {
  it('labels every series with the service and includes process metrics', async () => {
    const metrics = createMetrics({ serviceName: 'web-bff' });
    metrics.httpRequests.inc({ route: '/x', method: 'GET', status: '200' });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'http_requests_total', { route: '/x', method: 'GET', status: '200', service: 'web-bff' })).to.equal(1);
    expect(text).to.match(/^process_resident_memory_bytes\{service="web-bff"\} \d+/m);
    expect(text).to.match(/^nodejs_eventloop_lag_seconds\{service="web-bff"\}/m);
  });

  it('records upstream calls in seconds by upstream, operation and outcome', async () => {
    const metrics = createMetrics({ serviceName: 's', defaultMetrics: false });
    metrics.recordUpstream({ upstream: 'order', operation: 'get-order', outcome: 'ok' }, 40);
    metrics.recordUpstream({ upstream: 'order', operation: 'get-order', outcome: 'timeout' }, 800);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'portico_upstream_call_duration_seconds_count', { upstream: 'order', operation: 'get-order', outcome: 'ok', service: 's' })).to.equal(1);
    expect(sample(text, 'portico_upstream_call_duration_seconds_sum', { upstream: 'order', operation: 'get-order', outcome: 'timeout', service: 's' })).to.equal(0.8);
    expect(sample(text, 'portico_upstream_call_duration_seconds_bucket', { le: '0.05', upstream: 'order', operation: 'get-order', outcome: 'ok', service: 's' })).to.equal(1);
  });

  it('keeps only the current routing-map version in the info gauge', async () => {
    const metrics = createMetrics({ serviceName: 's', defaultMetrics: false });
    metrics.setRoutingMapVersion('v1');
    metrics.setRoutingMapVersion('v2');
    const text = await metrics.registry.metrics();
    expect(sample(text, 'portico_routing_map_info', { version: 'v2', service: 's' })).to.equal(1);
    expect(text).not.to.include('version="v1"');
  });

  it('registers on an injected registry', async () => {
    const registry = new Registry();
    createMetrics({ serviceName: 's', registry, defaultMetrics: false }).inflight.set(3);
    expect(sample(await registry.metrics(), 'http_requests_in_flight', { service: 's' })).to.equal(3);
  });
});
