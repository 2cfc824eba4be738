import { expect } from 'chai';
import { clientAddressFrom } from '../../src/logging';

describe('clientAddressFrom', () => {
  it('uses the socket address and ignores X-Forwarded-For with 0 trusted hops', () => {
    expect(clientAddressFrom('203.0.113.9', '198.51.100.1', 0)).to.equal('203.0.113.9');
  });

  it('takes the rightmost X-Forwarded-For entry with 1 trusted hop', () => {
    expect(clientAddressFrom('10.0.0.2', '198.51.100.1, 192.0.2.44', 1)).to.equal('192.0.2.44');
  });

  it('takes the second entry from the right with 2 trusted hops', () => {
    expect(clientAddressFrom('10.0.0.2', '198.51.100.1, 192.0.2.44, 10.0.0.1', 2)).to.equal('192.0.2.44');
  });

  it('ignores entries a client prepended to spoof its address', () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; the one trusted proxy appended the real peer.
    expect(clientAddressFrom('10.0.0.2', '1.2.3.4, 192.0.2.44', 1)).to.equal('192.0.2.44');
  });

  it('joins repeated X-Forwarded-For headers before counting hops', () => {
    expect(clientAddressFrom('10.0.0.2', ['1.2.3.4', '192.0.2.44'], 1)).to.equal('192.0.2.44');
  });

  it('stops at a malformed entry and keeps the last address a trusted hop vouched for', () => {
    expect(clientAddressFrom('10.0.0.2', 'evil<script>, 192.0.2.44', 2)).to.equal('192.0.2.44');
    expect(clientAddressFrom('10.0.0.2', 'not-an-ip', 1)).to.equal('10.0.0.2');
  });

  it('uses the leftmost entry when the chain is shorter than the trusted hops', () => {
    expect(clientAddressFrom('10.0.0.2', '192.0.2.44', 3)).to.equal('192.0.2.44');
  });

  it('uses the socket address when trusted hops are configured but no header came', () => {
    expect(clientAddressFrom('10.0.0.2', undefined, 1)).to.equal('10.0.0.2');
  });

  it('unwraps IPv4-mapped IPv6 addresses and strips ports', () => {
    expect(clientAddressFrom('::ffff:127.0.0.1', undefined, 0)).to.equal('127.0.0.1');
    expect(clientAddressFrom('10.0.0.2', '192.0.2.44:51234', 1)).to.equal('192.0.2.44');
    expect(clientAddressFrom('10.0.0.2', '[2001:db8::7]:443', 1)).to.equal('2001:db8::7');
    expect(clientAddressFrom('10.0.0.2', '2001:db8::7', 1)).to.equal('2001:db8::7');
  });
});
