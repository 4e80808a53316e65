import { describe, expect, it } from 'vitest';
import { compileDateFormat } from '../../src/imports/date-parse';
import { parseAmount } from '../../src/imports/number-parse';

const iso = (pattern: string, text: string, zone = 'UTC') => {
  const ms = compileDateFormat(pattern).parse(text, zone);
  return typeof ms === 'number' ? new Date(ms).toISOString() : ms;
};

describe('CRM dates', () => {
  it.each([
    // Zoho's export form, read as wall-clock time in the organisation's zone.
    ['yyyy-MM-dd HH:mm:ss', '2024-03-05 10:15:22', 'UTC', '2024-03-05T10:15:22.000Z'],
    ['yyyy-MM-dd HH:mm:ss', '2024-03-05 10:15:22', 'Asia/Kolkata', '2024-03-05T04:45:22.000Z'],
    ['yyyy-MM-dd HH:mm:ss', '2024-03-05 10:15:22', 'America/New_York', '2024-03-05T15:15:22.000Z'],
    // Summer time: New York is UTC-4 in July, Berlin UTC+2.
    ['yyyy-MM-dd HH:mm:ss', '2024-07-01 10:00:00', 'America/New_York', '2024-07-01T14:00:00.000Z'],
    ['yyyy-MM-dd HH:mm:ss', '2024-07-01 10:00:00', 'Europe/Berlin', '2024-07-01T08:00:00.000Z'],
    ['yyyy-MM-dd HH:mm:ss', '2024-03-05 10:15:22', 'Asia/Shanghai', '2024-03-05T02:15:22.000Z'],
    // The date alone: midnight in the zone.
    ['MM/dd/yyyy', '03/15/2024', 'UTC', '2024-03-15T00:00:00.000Z'],
    ['MM/dd/yyyy', '12/01/2023', 'America/Los_Angeles', '2023-12-01T08:00:00.000Z'],
    ['M/d/yyyy', '3/5/2024', 'UTC', '2024-03-05T00:00:00.000Z'],
    ['dd.MM.yyyy', '05.03.2024', 'Europe/Berlin', '2024-03-04T23:00:00.000Z'],
    ['MM/dd/yyyy hh:mm a', '03/05/2024 12:05 AM', 'UTC', '2024-03-05T00:05:00.000Z'],
    ['MM/dd/yyyy hh:mm a', '03/05/2024 01:30 PM', 'UTC', '2024-03-05T13:30:00.000Z'],
    ['epoch-ms', '1709604922000', 'UTC', '2024-03-05T02:15:22.000Z'],
    ['epoch-s', '1709604922', 'Asia/Shanghai', '2024-03-05T02:15:22.000Z'],
    ['iso', '2024-03-05T10:15:22+05:30', 'UTC', '2024-03-05T04:45:22.000Z'],
    ['iso', '2024-03-05 10:15:22', 'Europe/Berlin', '2024-03-05T09:15:22.000Z'],
  ])('%s reads %s in %s as %s', (pattern, text, zone, expected) => {
    expect(iso(pattern, text, zone)).toBe(expected);
  });

  it('takes the earlier of a time that happens twice and moves a skipped time past the gap', () => {
    // Berlin: 2024-10-27 02:30 happens at +02:00 and again at +01:00; 2024-03-31 02:30 never happens.
    expect(iso('yyyy-MM-dd HH:mm', '2024-10-27 02:30', 'Europe/Berlin')).toBe('2024-10-27T00:30:00.000Z');
    expect(iso('yyyy-MM-dd HH:mm', '2024-03-31 02:30', 'Europe/Berlin')).toBe('2024-03-31T01:30:00.000Z');
  });

  it.each([
    ['MM/dd/yyyy', '2024-03-15', /does not match the date format MM\/dd\/yyyy/],
    ['MM/dd/yyyy', '02/30/2024', /calendar date/],
    ['MM/dd/yyyy', '13/01/2024', /calendar date/],
    ['yyyy-MM-dd HH:mm:ss', '2024-03-05 24:00:00', /time of day/],
    ['MM/dd/yyyy hh:mm a', '03/05/2024 13:30 PM', /time of day/],
    ['epoch-ms', '17096049220.5', /milliseconds/],
  ])('%s refuses %s', (pattern, text, message) => {
    expect(iso(pattern, text)).toMatch(message);
  });

  it.each([
    ['yyyy-MM-dd Q', /'Q' is not a supported token/],
    ['MM/yyyy', /needs a year \(yyyy\), a month \(MM\) and a day \(dd\)/],
    ['yyyy-MM-dd hh:mm', /AM\/PM marker/],
    ['yyyy-MM-dd-dd', /repeats dd/],
  ])('refuses the format %s', (pattern, message) => {
    expect(() => compileDateFormat(pattern)).toThrow(message);
  });
});

describe('CRM amounts', () => {
  const us = { thousands: ',', decimal: '.' };
  const de = { thousands: '.', decimal: ',' };
  it.each([
    ['1,250,000', us, '1250000'],
    ['1,250,000.50', us, '1250000.50'],
    ['1250000.5', us, '1250000.5'],
    [' 12,500.00 ', us, '12500.00'],
    ['12,50,000', us, '1250000'],
    ['999', us, '999'],
    ['1.250.000,50', de, '1250000.50'],
    ['1 250 000,50', { thousands: ' ', decimal: ',' }, '1250000.50'],
    ['-1,000', us, '-1000'],
  ])('reads %s', (text, format, expected) => {
    expect(parseAmount(text, format)).toEqual({ value: expected });
  });

  it.each([
    // With a decimal comma this would be 1.5; it is never silently read as 15.
    ['1,5', us],
    ['1,2345', us],
    ['12,34,5', us],
    ['1.250.000,50', us],
    ['$1,250', us],
    ['1,250.00', de],
    ['', us],
  ])('refuses %s', (text, format) => {
    expect(parseAmount(text, format)).toEqual({ error: expect.stringMatching(/is not a number in the form/) });
  });
});
