/** Number formats for the cost model's text: fixed locale, so the output is the same everywhere. */

/** Three significant figures, thousands separated; integers of 100 and more as they are. */
export function num(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return '∞';
  if (Number.isInteger(value) && Math.abs(value) >= 100) return value.toLocaleString('en-US');
  return Number(value.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 12 });
}

/** Dollars: whole above $1,000, cents above 10¢, three significant figures below. */
export function money(value: number): string {
  const sign = value < 0 ? '−' : '';
  const v = Math.abs(value);
  if (v === 0) return '$0';
  if (v >= 1000) return `${sign}$${Math.round(v).toLocaleString('en-US')}`;
  if (v >= 0.1) return `${sign}$${v.toFixed(2)}`;
  return `${sign}$${num(v)}`;
}

export const percent = (value: number, digits = 1) => `${(value * 100).toFixed(digits)}%`;
