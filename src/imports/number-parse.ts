/**
 * Amounts as CRMs export them: grouped digits (`1,250,000.00`, Indian `12,50,000`, or
 * `1.250.000,00` with the separators swapped), spaces allowed around and inside. The answer
 * is a plain decimal string (`1250000.00`) that ingestion checks like any other.
 */
export interface NumberFormat {
  /** Grouping separator, or '' for none. */
  readonly thousands: string;
  readonly decimal: string;
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const patterns = new Map<string, RegExp>();

function pattern(format: NumberFormat): RegExp {
  const key = `${format.thousands}|${format.decimal}`;
  let re = patterns.get(key);
  if (!re) {
    const t = escape(format.thousands);
    const d = escape(format.decimal);
    // Groups of three (western) or of two before the last three (Indian); ungrouped digits too.
    // Anything else ("1,5") is refused rather than guessed at: with a decimal comma it would be 1.5, here 15.
    const whole = format.thousands === '' ? '\\d+' : `(?:\\d+|\\d{1,3}(?:${t}\\d{3})+|\\d{1,2}(?:${t}\\d{2})+${t}\\d{3})`;
    re = new RegExp(`^([+-]?)(${whole})(?:${d}(\\d+))?$`);
    patterns.set(key, re);
  }
  return re;
}

/** A decimal string, or an error text. */
export function parseAmount(text: string, format: NumberFormat): { value: string } | { error: string } {
  const compact = text.replace(/[\s\u00a0\u202f]/g, '');
  const m = pattern(format).exec(compact);
  if (!m) {
    const example = format.thousands ? `1${format.thousands}250${format.thousands}000${format.decimal}50` : `1250000${format.decimal}50`;
    return { error: `is not a number in the form ${example} (thousands '${format.thousands}', decimal '${format.decimal}')` };
  }
  const [, sign, whole, fraction] = m;
  const digits = whole.split(format.thousands || '\u0000').join('');
  return { value: `${sign === '-' ? '-' : ''}${digits}${fraction !== undefined ? `.${fraction}` : ''}` };
}
