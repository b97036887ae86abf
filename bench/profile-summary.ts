/**
 * Where a process's CPU went, from a V8 CPU profile (node --cpu-prof, e.g. written by
 * `bench/pg-statements.ts --profile-worker dir`): self time by package or project folder, and the
 * busiest functions. `--last-seconds` keeps only the profile's tail (the load, not start-up's
 * bundling). A reading aid for issue #18; Chrome DevTools opens the same file for the full tree.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [--last-seconds 30] [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fmt, table } from './support/stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'last-seconds': { type: 'string' }, top: { type: 'string', default: '30' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--last-seconds N] [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Sample i lasted until sample i+1: its delta is the next one's timeDelta (microseconds).
const times: number[] = [];
let t = 0;
for (const delta of profile.timeDeltas) {
  t += delta;
  times.push(t);
}
const end = times.at(-1) ?? 0;
const from = args['last-seconds'] ? end - Number(args['last-seconds']) * 1e6 : -Infinity;

/** node_modules/<pkg> (scoped too), a project folder, node's own, or V8's pseudo-frames. */
function groupOf(url: string, name: string): string {
  if (!url) return `(${name || 'anonymous'})`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const project = url.match(/\/(activities|api|cli|domain|eventstore|infra|projections|workflows)\//);
  return project ? `project ${project[1]}/` : url.slice(-60);
}

const groups = new Map<string, number>();
const functions = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const sampleTime = times[i] ?? 0;
  if (sampleTime < from) return;
  const duration = (times[i + 1] ?? sampleTime) - sampleTime;
  const node = byId.get(id);
  if (!node) return;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') return;
  total += duration;
  const group = groupOf(url, functionName);
  groups.set(group, (groups.get(group) ?? 0) + duration);
  const fn = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`;
  functions.set(fn, (functions.get(fn) ?? 0) + duration);
});

const top = Number(args.top);
const rows = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => [
      k.length > 100 ? `${k.slice(0, 97)}...` : k,
      fmt(us / 1000, 0),
      `${fmt((us / total) * 100, 1)}%`,
    ]);
process.stdout.write(`${fmt(total / 1e6, 2)} s of CPU (idle excluded)\n\n`);
process.stdout.write(`${table('Self time by package or folder', ['where', 'ms', 'share'], rows(groups))}\n`);
process.stdout.write(`${table('Busiest functions (self time)', ['function', 'ms', 'share'], rows(functions))}\n`);
