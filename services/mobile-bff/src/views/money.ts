/** Money for the phone: backends keep integer cents; the app gets the amount in units plus a ready-to-show string. */

/** An amount as the phone app shows it: `{ amount: 28.5, currency: 'USD', display: '$28.50' }`. */
export interface Money {
  /** In currency units (28.5), for sorting and sums on the device. */
  amount: number;
  /** ISO 4217 code. */
  currency: string;
  /** Formatted for display (en-US conventions), so every app version renders prices the same way. */
  display: string;
}

const formats = new Map<string, Intl.NumberFormat>();

/** Converts integer cents in `currency` to Money; an unknown currency code is shown as "28.50 XYZ". */
export function money(cents: number, currency: string): Money {
  const amount = Math.round(cents) / 100;
  let format = formats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    } catch {
      return { amount, currency, display: `${amount.toFixed(2)} ${currency}` };
    }
    formats.set(currency, format);
  }
  return { amount, currency, display: format.format(amount) };
}
