/** Company names and the account-manager pool. */
import type { Rng } from './random';
import type { AccountManager } from './types';

const NAME_ADJECTIVES: readonly string[] = [
  'Acme', 'Blue', 'Bright', 'Cedar', 'Clear', 'Copper', 'Crimson', 'Delta', 'Eagle', 'Evergreen',
  'First', 'Golden', 'Granite', 'Green', 'Harbor', 'Highland', 'Iron', 'Lakeside', 'Maple', 'Meridian',
  'North', 'Nova', 'Oak', 'Pacific', 'Pine', 'Prime', 'Quantum', 'Red', 'River', 'Silver',
  'Solar', 'Summit', 'Swift', 'True', 'Union', 'Urban', 'Vertex', 'West', 'Willow', 'Zenith',
];
const NAME_NOUNS: readonly string[] = [
  'Analytics', 'Bakery', 'Bridge', 'Builders', 'Capital', 'Cloud', 'Consulting', 'Dental', 'Design', 'Devices',
  'Energy', 'Foods', 'Freight', 'Health', 'Hotels', 'Industries', 'Insurance', 'Labs', 'Legal', 'Logistics',
  'Media', 'Medical', 'Motors', 'Networks', 'Outdoor', 'Partners', 'Pharma', 'Retail', 'Robotics', 'Security',
  'Software', 'Studios', 'Supply', 'Systems', 'Telecom', 'Textiles', 'Travel', 'Ventures', 'Wellness', 'Works',
];
const NAME_SUFFIXES: readonly string[] = ['Inc', 'LLC', 'Ltd', 'Co', 'Group', 'GmbH', 'SA', 'Corp'];

const MANAGER_FIRST: readonly string[] = [
  'Ava', 'Ben', 'Chloe', 'Daniel', 'Emma', 'Felix', 'Grace', 'Hugo', 'Isla', 'Jack',
  'Kara', 'Liam', 'Maya', 'Noah', 'Olivia', 'Pablo', 'Quinn', 'Ruby', 'Sam', 'Tara',
  'Umar', 'Vera', 'Will', 'Xena', 'Yusuf', 'Zoe', 'Aria', 'Bruno', 'Clara', 'Dev',
  'Elena', 'Finn', 'Gita', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lena', 'Marco', 'Nina',
  'Omar', 'Priya', 'Rosa', 'Sven', 'Tomas', 'Uma', 'Victor', 'Wen', 'Yara', 'Zane',
];
const MANAGER_LAST: readonly string[] = [
  'Adams', 'Brown', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jones',
  'Khan', 'Lopez', 'Muller', 'Nguyen', 'Okafor', 'Patel', 'Quinn', 'Rossi', 'Silva', 'Tanaka',
  'Usman', 'Varga', 'Walker', 'Xu', 'Young', 'Zhang', 'Andersen', 'Berg', 'Costa', 'Dubois',
  'Eriksen', 'Ferreira', 'Gupta', 'Hansen', 'Ibrahim', 'Jensen', 'Kim', 'Larsen', 'Moreau', 'Novak',
  'Olsen', 'Petrov', 'Ramos', 'Schmidt', 'Torres', 'Ueda', 'Vogel', 'Weber', 'Yilmaz', 'Zimmer',
];

export const MIN_MANAGERS = 3;
export const MAX_MANAGERS = 50;
export const CUSTOMERS_PER_MANAGER = 40;

export interface CompanyName {
  adjective: string;
  noun: string;
  name: string;
}

/** "Adjective Noun Suffix" (three draws, in that order). */
export function drawCompanyName(rng: Rng): CompanyName {
  const adjective = rng.pick(NAME_ADJECTIVES);
  const noun = rng.pick(NAME_NOUNS);
  const suffix = rng.pick(NAME_SUFFIXES);
  return { adjective, noun, name: `${adjective} ${noun} ${suffix}` };
}

/** The account-manager pool: its size (only) depends on the book size. */
export function buildManagers(customers: number): AccountManager[] {
  const managerCount = Math.min(
    MAX_MANAGERS,
    Math.max(MIN_MANAGERS, Math.round(customers / CUSTOMERS_PER_MANAGER)),
  );
  const managers: AccountManager[] = [];
  for (let m = 0; m < managerCount; m++) {
    const n = m + 1;
    managers.push({
      email: `am${n < 10 ? '0' : ''}${n}@example.com`,
      name: `${MANAGER_FIRST[m % MANAGER_FIRST.length]} ${MANAGER_LAST[(m * 7) % MANAGER_LAST.length]}`,
    });
  }
  return managers;
}
