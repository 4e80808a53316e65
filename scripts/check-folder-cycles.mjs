#!/usr/bin/env node
// Fails when the folders under src/ import each other in a cycle (a ↔ b, or a → b → c → a).
// ESLint's import-x/no-cycle sees file cycles only; a folder cycle means two domains know
// each other, and neither can be read or moved alone. Files directly in src/ (the app's
// composition root) are one node, "src".
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** @param {string} dir @returns {string[]} */
const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });

/** The top folder under src/ a path belongs to ("src" for files directly in it). @param {string} path */
const folderOf = (path) => {
  const parts = relative(root, path).split(sep);
  return parts.length > 1 ? parts[0] : 'src';
};

/** @type {Map<string, Map<string, string>>} folder → imported folder → one file that does it */
const edges = new Map();
for (const file of files(root)) {
  const from = folderOf(file);
  if (file.includes(`${sep}dashboard${sep}public${sep}`)) continue; // browser code, its own world
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = resolve(dirname(file), m[1] ?? m[2]);
    if (relative(root, target).startsWith('..')) continue;
    const to = folderOf(target);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, relative(root, file));
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
/** @param {string} v */
function connect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) {
      state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
    }
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
}
for (const v of edges.keys()) if (!state.has(v)) connect(v);

if (cycles.length) {
  for (const component of cycles) {
    console.error(`Folder cycle in src/: ${component.join(' ↔ ')}`);
    for (const from of component)
      for (const [to, file] of edges.get(from) ?? []) if (component.includes(to)) console.error(`  ${from} → ${to} (e.g. src/${file})`);
  }
  process.exit(1);
}
console.log(
  `No folder cycles among ${new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]).size} folders of src/.`,
);
