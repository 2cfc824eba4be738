import { expect } from 'chai';
import { money } from '../../src/views/money';

describe('money (mobile view)', () => {
  it('turns integer cents into units with a display string', () => {
    expect(money(2850, 'USD')).to.deep.equal({ amount: 28.5, currency: 'USD', display: '$28.50' });
    expect(money(1200, 'EUR')).to.deep.equal({ amount: 12, currency: 'EUR', display: '€12.00' });
    expect(money(0, 'USD').display).to.equal('$0.00');
  });

  it('falls back to "amount CODE" for a currency Intl does not know', () => {
    expect(money(999, 'X1')).to.deep.equal({ amount: 9.99, currency: 'X1', display: '9.99 X1' });
  });
});
