import { expect } from 'chai';
import { Counter, Histogram, Registry } from 'prom-client';
import { LabelledCounter, LabelledHistogram } from '../../src/metrics/labelled-metrics';
import { sample } from './prometheus-text';

const BUCKETS = [0.005, 0.01, 0.05, 0.1];

/** The same observations on prom-client's own metric and on ours, each in a registry with a default label. */
function twins(): { theirs: Registry; ours: Registry; prom: { c: Counter<'route' | 'status'>; h: Histogram<'route' | 'status'> }; mine: { c: LabelledCounter<'route' | 'status'>; h: LabelledHistogram<'route' | 'status'> } } {
  const theirs = new Registry();
  const ours = new Registry();
  theirs.setDefaultLabels({ service: 's' });
  ours.setDefaultLabels({ service: 's' });
  const labelNames = ['route', 'status'] as const;
  return {
    theirs,
    ours,
    prom: {
      c: new Counter({ name: 'reqs_total', help: 'requests', labelNames, registers: [theirs] }),
      h: new Histogram({ name: 'dur_seconds', help: 'duration', labelNames, buckets: BUCKETS, registers: [theirs] }),
    },
    mine: {
      c: new LabelledCounter({ name: 'reqs_total', help: 'requests', labelNames, registers: [ours] }),
      h: new LabelledHistogram({ name: 'dur_seconds', help: 'duration', labelNames, buckets: BUCKETS, registers: [ours] }),
    },
  };
}

describe('LabelledCounter and LabelledHistogram', () => {
  it('expose exactly the text prom-client writes for the same observations', async () => {
    const { theirs, ours, prom, mine } = twins();
    const observations: Array<[string, string, number]> = [
      ['/orders/:id', '200', 0.004],
      ['/orders/:id', '200', 0.005],
      ['/orders/:id', '200', 0.03],
      ['/orders/:id', '404', 0.2],
      ['/a "quoted" \\ route\n', '500', 0.1],
    ];
    for (const [route, status, seconds] of observations) {
      prom.c.inc({ route, status });
      prom.h.observe({ route, status }, seconds);
      mine.c.inc({ route, status });
      mine.h.observe({ route, status }, seconds);
    }
    prom.c.inc({ route: '/orders/:id', status: '200' }, 2.5);
    mine.c.inc({ route: '/orders/:id', status: '200' }, 2.5);
    expect(await ours.metrics()).to.equal(await theirs.metrics());
  });

  it('count an observation on a bound into that bound, and above every bound only into +Inf', async () => {
    const { ours, mine } = twins();
    mine.h.observe({ route: '/r', status: '200' }, 0.01);
    mine.h.observe({ route: '/r', status: '200' }, 3);
    const text = await ours.metrics();
    const at = (le: string) => sample(text, 'dur_seconds_bucket', { route: '/r', status: '200', service: 's', le });
    expect([at('0.005'), at('0.01'), at('0.1'), at('+Inf')]).to.deep.equal([0, 1, 1, 2]);
    expect(sample(text, 'dur_seconds_sum', { route: '/r', status: '200', service: 's' })).to.equal(3.01);
  });

  it('keep series apart when label values only differ in where one ends and the next begins', async () => {
    const { ours, mine } = twins();
    mine.c.inc({ route: 'a', status: 'bc' });
    mine.c.inc({ route: 'ab', status: 'c' });
    const text = await ours.metrics();
    expect(sample(text, 'reqs_total', { route: 'a', status: 'bc', service: 's' })).to.equal(1);
    expect(sample(text, 'reqs_total', { route: 'ab', status: 'c', service: 's' })).to.equal(1);
  });

  it('forget every series on reset, through the registry as well', async () => {
    const { ours, mine } = twins();
    mine.c.inc({ route: '/r', status: '200' });
    mine.h.observe({ route: '/r', status: '200' }, 0.01);
    ours.resetMetrics();
    const text = await ours.metrics();
    expect(text).not.to.include('route="/r"');
    expect(text).to.include('# TYPE reqs_total counter');
    expect(text).to.include('# TYPE dur_seconds histogram');
  });

  it('refuse what prom-client refuses: a counter going down, a value that is not a number, unordered buckets', () => {
    const { mine } = twins();
    expect(() => mine.c.inc({ route: '/r', status: '200' }, -1)).to.throw(/only goes up/);
    expect(() => mine.h.observe({ route: '/r', status: '200' }, Number.NaN)).to.throw(/cannot observe NaN/);
    expect(() => new LabelledHistogram({ name: 'x', help: 'x', labelNames: ['a'], buckets: [1, 0.5], registers: [] })).to.throw(/increasing/);
    expect(() => new LabelledCounter({ name: 'x', help: 'x', labelNames: ['a'], registers: [new Registry(), new Registry()] })).not.to.throw();
  });
});
