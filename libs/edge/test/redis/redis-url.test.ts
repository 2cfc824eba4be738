import { expect } from 'chai';
import { describeRedisTarget, parseRedisUrl } from '../../src/redis';

describe('parseRedisUrl', () => {
  it('reads host, port and database from redis://', () => {
    expect(parseRedisUrl('redis://cache.internal:6380/2')).to.deep.equal({ kind: 'standalone', host: 'cache.internal', port: 6380, db: 2, tls: false });
  });

  it('defaults to port 6379 and database 0', () => {
    expect(parseRedisUrl('redis://cache')).to.include({ host: 'cache', port: 6379, db: 0 });
  });

  it('turns on TLS for rediss:// and keeps user and password', () => {
    expect(parseRedisUrl('rediss://app:s%40cret@cache:6379/1')).to.deep.equal({
      kind: 'standalone', host: 'cache', port: 6379, db: 1, tls: true, username: 'app', password: 's@cret',
    });
  });

  it('treats a bare userinfo and ":password" as the password of the default user', () => {
    expect(parseRedisUrl('redis://secret@cache')).to.include({ password: 'secret' }).and.not.have.property('username');
    expect(parseRedisUrl('redis://:secret@cache')).to.include({ password: 'secret' }).and.not.have.property('username');
  });

  it('reads IPv6 hosts in brackets', () => {
    expect(parseRedisUrl('redis://[::1]:6390')).to.include({ host: '::1', port: 6390 });
  });

  it('reads sentinels, master name and database from redis+sentinel://', () => {
    expect(parseRedisUrl('redis+sentinel://:pw@s1:26379,s2:26380,s3/mymaster/3')).to.deep.equal({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }, { host: 's3', port: 26379 }],
      masterName: 'mymaster', db: 3, tls: false, password: 'pw',
    });
  });

  it('reads the seed nodes of redis+cluster://', () => {
    expect(parseRedisUrl('redis+cluster://n1:7000,n2:7001')).to.deep.equal({
      kind: 'cluster', nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }], tls: false,
    });
  });

  for (const [url, problem] of [
    ['http://cache:6379', /expected redis:\/\//],
    ['redis://cache:6379/zero', /database must be a number/],
    ['redis://a:1,b:2', /names one host/],
    ['redis://cache:99999', /invalid port/],
    ['redis+sentinel://s1:26379', /masterName/],
    ['redis+cluster://n1:7000/1', /no database path/],
    ['redis+cluster://n1:7000,,n2', /separated by commas/],
  ] as const) {
    it(`rejects ${url} with a message naming the problem`, () => {
      expect(() => parseRedisUrl(url)).to.throw(problem);
    });
  }

  it('never echoes the password in a parse error', () => {
    expect(() => parseRedisUrl('redis://user:hunter2@cache:6379/x')).to.throw(Error).that.satisfies((err: Error) => !err.message.includes('hunter2'));
  });
});

describe('describeRedisTarget', () => {
  it('masks the password and keeps user, hosts and path', () => {
    expect(describeRedisTarget('rediss://app:hunter2@cache:6379/1')).to.equal('rediss://app:***@cache:6379/1');
    expect(describeRedisTarget('redis+sentinel://:hunter2@s1,s2/mymaster')).to.equal('redis+sentinel://:***@s1,s2/mymaster');
  });

  it('masks a bare userinfo, which is a password', () => {
    expect(describeRedisTarget('redis://hunter2@cache')).to.equal('redis://***@cache');
  });

  it('leaves a URL without credentials unchanged', () => {
    expect(describeRedisTarget('redis+cluster://n1:7000,n2:7001')).to.equal('redis+cluster://n1:7000,n2:7001');
  });
});
