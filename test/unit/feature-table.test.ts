import { describe, expect, it } from 'vitest';
import { FeatureTableError, normaliseName, parseFeatureTable, readFeatureTable } from '../../src/model/feature-table';

// Padded and double-spaced headers, quoted commas and quotes, blanks, text categories,
// yes/no/true/0 labels in mixed case and an exact duplicate row (c3).
const MESSY = [
  ' Customer ID ,Plan  Type,Monthly   Spend,Region,Note,Churned',
  'c1,basic,10.5,"North, East",,yes',
  'c2,pro,,South,"said ""hi""",No',
  'c3,basic,12,"North, East",,YES',
  'c3,basic,12,"North, East",,YES',
  'c4,,8,West,x, true ',
  'c5,pro,7,South,NA,0',
  '',
].join('\n');

describe('parseFeatureTable', () => {
  it('turns a messy table into a design matrix', () => {
    const table = parseFeatureTable(MESSY, { label: 'Churned', exclude: ['Customer  ID', 'note'] });
    expect(table.features).toEqual([
      'Plan Type=basic',
      'Plan Type=pro',
      'Plan Type_missing',
      'Monthly Spend',
      'Monthly Spend_missing',
      'Region=North, East',
      'Region=South',
      'Region=West',
    ]);
    expect(table.rows).toBe(6);
    expect(table.duplicates).toBe(1);
    expect(Array.from(table.y)).toEqual([1, 0, 1, 1, 1, 0]);
    const p = table.features.length;
    const row = (i: number) => Array.from(table.x.subarray(i * p, i * p + p));
    expect(row(0)).toEqual([1, 0, 0, 10.5, 0, 1, 0, 0]);
    // c2: spend blank → the mean of the others (10.5 + 12 + 12 + 8 + 7) / 5, flagged.
    expect(row(1)).toEqual([0, 1, 0, 9.9, 1, 0, 1, 0]);
    // c4: plan blank → no level, flagged.
    expect(row(4)).toEqual([0, 0, 1, 8, 0, 0, 0, 1]);
  });

  it('one-hot encodes text columns it was not told to drop, blanks and NA included as missing', () => {
    const table = parseFeatureTable(MESSY, { label: 'churned' });
    expect(table.features.filter((f) => f.startsWith('Customer ID='))).toHaveLength(5);
    expect(table.features).toContain('Note=said "hi"');
    expect(table.features).toContain('Note_missing');
    expect(table.features).not.toContain('Note=NA');
  });

  it('names the columns when the label or an excluded column is unknown', () => {
    expect(() => parseFeatureTable(MESSY, { label: 'Churn' })).toThrow(
      'Label column "Churn" is not in the table; the columns are: Customer ID, Plan Type, Monthly Spend, Region, Note, Churned',
    );
    expect(() => parseFeatureTable(MESSY, { label: 'Churned', exclude: ['id'] })).toThrow(
      /^Excluded column "id" is not in the table; the columns are: Customer ID,/,
    );
    expect(() => parseFeatureTable(MESSY, { label: 'Churned', exclude: ['Churned'] })).toThrow(/cannot also be excluded/);
  });

  it('refuses an unreadable label, naming the row, its line and the value', () => {
    const bad = MESSY.replace('c4,,8,West,x, true ', 'c4,,8,West,x,maybe');
    const attempt = () => parseFeatureTable(bad, { label: 'Churned' });
    expect(attempt).toThrow(FeatureTableError);
    expect(attempt).toThrow('Row 5 (line 6): label "Churned" is "maybe"; expected 1/0, true/false or yes/no');
    expect(() => parseFeatureTable('a,y\n1,1\n2,\n', { label: 'y' })).toThrow('Row 2 (line 3): label "y" is ""');
  });

  it('refuses a ragged CSV, an empty one and an id-like text column', () => {
    expect(() => parseFeatureTable('a,b,y\n1,2,1\n1,2\n', { label: 'y' })).toThrow(/^The CSV cannot be read: Invalid Record Length/);
    expect(() => parseFeatureTable('', { label: 'y' })).toThrow(/empty/);
    expect(() => parseFeatureTable('a,y\n', { label: 'y' })).toThrow(/no data rows/);
    const ids = ['id,y', ...Array.from({ length: 150 }, (_, i) => `u${i},${i % 2}`)].join('\n');
    expect(() => parseFeatureTable(ids, { label: 'y' })).toThrow(
      'Column "id" is text with 150 distinct values (more than 100), so it looks like an id: drop it with --exclude "id"',
    );
  });

  it('drops an all-blank column and reads numbers in any notation', () => {
    const table = parseFeatureTable('a,empty,y\n1e3,,1\n-.5, ,0\n+2,NA,1\n', { label: 'y' });
    expect(table.features).toEqual(['a']);
    expect(table.empty).toEqual(['empty']);
    expect(Array.from(table.x)).toEqual([1000, -0.5, 2]);
  });

  it('reports a missing file in one line', () => {
    expect(() => readFeatureTable('/nonexistent/churn.csv', { label: 'y' })).toThrow('Cannot read /nonexistent/churn.csv: ENOENT');
  });
});

describe('normaliseName', () => {
  it('trims and collapses whitespace runs', () => {
    expect(normaliseName('  Subscription  Length\t')).toBe('Subscription Length');
  });
});
