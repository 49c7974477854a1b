// `./onramp.sh bench` (issue 18): Onramp against an empty Tauri 2 app built with the same
// release profile (bench/empty-app), in the same run, launched alternately through
// tauri-driver under Xvfb. For each: time to interactive (launch → the first step's content
// rendered and its first command answered), the peak resident memory of the main process
// and of WebKit's processes, and the .deb's size; for Onramp also validate_plan's round trip
// through IPC while a name is typed (50 keystrokes). Prints each figure with its ratio to
// the empty app; it does not fail on a budget (the test command runs it with 2 launches
// each, `./onramp.sh bench` with ONRAMP_BENCH_RUNS, default 7).
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, startDriver, Session, processesWith } from '../e2e/webdriver.mjs';

const RUNS = Number(process.env.ONRAMP_BENCH_RUNS ?? 7);
const ONRAMP = process.env.ONRAMP_BENCH_APP ?? join(ROOT, 'target/release/onramp');
const EMPTY = process.env.ONRAMP_BENCH_EMPTY ?? join(ROOT, 'target/release/onramp-empty-app');
const DEBS = join(ROOT, 'target/release/bundle/deb');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` (a page script returning text) every 10 ms until `done(text)`. */
async function until(session, probe, done, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = (await session.script(probe)) ?? '';
    } catch {
      // the page is not there yet
    }
    if (done(text)) return;
    if (Date.now() > end) throw new Error(`not ready after ${timeoutMs} ms: ${probe}`);
    await sleep(10);
  }
}

const APPS = {
  empty: {
    binary: EMPTY,
    ready: (s) => until(s, "return document.getElementById('ready')?.textContent", (t) => t === 'Ready'),
  },
  onramp: {
    binary: ONRAMP,
    // The Account step, with the embedded sandbox's account connected: its id shown.
    ready: (s) => until(s, "return document.getElementById('account-id')?.textContent", (t) => t.trim().length > 0),
  },
};

function status(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      pid,
      name: text.match(/^Name:\s*(.*)$/m)?.[1] ?? '',
      parent: Number(text.match(/^PPid:\s*(\d+)/m)?.[1] ?? 0),
      hwm: Number(text.match(/^VmHWM:\s*(\d+)/m)?.[1] ?? 0),
    };
  } catch {
    return null;
  }
}

/**
 * Peak resident memory (VmHWM, KiB) of the app's own process, and the sum over WebKit's
 * processes (web, network) it started: found as its descendants, since WebKit gives them
 * an environment of their own.
 */
function peaks(marker, binary) {
  const name = binary.split('/').pop().slice(0, 15); // the kernel keeps 15 characters
  const app = processesWith(marker).map(status).find((p) => p?.name === name);
  if (!app) return { main: 0, webkit: 0 };
  const all = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(status).filter(Boolean);
  const family = new Set([app.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (family.has(p.parent) && !family.has(p.pid)) {
        family.add(p.pid);
        grew = true;
      }
    }
  }
  const webkit = all
    .filter((p) => family.has(p.pid) && p.name.startsWith('WebKit'))
    .reduce((sum, p) => sum + p.hwm, 0);
  return { main: app.hwm, webkit };
}

/** validate_plan's IPC round trips while a name grows by one letter 50 times (ms). */
async function validateRoundTrips(session) {
  return session.call('POST', '/execute/async', {
    script: `const done = arguments[arguments.length - 1];
      (async () => {
        const invoke = window.__TAURI_INTERNALS__.invoke;
        const plan = await invoke('load_draft') ?? await invoke('new_plan');
        const times = [];
        let name = 'pg';
        for (let i = 0; i < 50; i += 1) {
          name += 'abcdefghij'[i % 10];
          const started = performance.now();
          await invoke('validate_plan', { plan: { ...plan, name } });
          times.push(performance.now() - started);
        }
        return times;
      })().then(done, (e) => done({ error: String(e) }));`,
    args: [],
  });
}

async function launch(kind, measureValidate) {
  const app = APPS[kind];
  const home = mkdtempSync(join(tmpdir(), `onramp-bench-${kind}-`));
  const driver = await startDriver({
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
  });
  let session;
  try {
    const started = performance.now();
    const launched = Date.now();
    session = await Session.start(driver.base, app.binary);
    const opened = performance.now() - started;
    await app.ready(session);
    const tti = performance.now() - started;
    // The page's own marks, on the same clock as the launch: not delayed by WebDriver, whose
    // scripts wait behind a busy page.
    const marks = JSON.parse(
      await session.script(`return JSON.stringify(Object.fromEntries(['onramp:script', 'onramp:interactive'].map((m) =>
        [m, performance.timeOrigin + (performance.getEntriesByName(m)[0]?.startTime ?? NaN)])))`),
    );
    const scriptRan = marks['onramp:script'] - launched;
    const interactive = marks['onramp:interactive'] - launched;
    await sleep(1500);
    const memory = peaks(driver.marker, app.binary);
    const validate = measureValidate ? await validateRoundTrips(session) : null;
    return { opened, tti, scriptRan, interactive, ...memory, validate };
  } finally {
    await session?.end();
    await driver.stop();
  }
}

/** The middle value; with an even count, the mean of the two middle ones (2 launches: their mean, not the slower). */
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const mib = (bytes) => bytes / 1024 / 1024;

function debSize(prefix) {
  const found = readdirSync(DEBS)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.deb'))
    .map((f) => join(DEBS, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found.length ? statSync(found[0]).size : null;
}

const results = { empty: [], onramp: [] };
let validate = null;
// Warm the page cache once for each binary, unmeasured, then alternate.
await launch('empty', false);
await launch('onramp', false);
for (let run = 0; run < RUNS; run += 1) {
  const order = run % 2 === 0 ? ['empty', 'onramp'] : ['onramp', 'empty'];
  for (const kind of order) {
    const r = await launch(kind, kind === 'onramp' && run === 0);
    if (r.validate) validate = r.validate;
    results[kind].push(r);
  }
}

const line = (what, onramp, empty, unit, budget) => {
  const ratio = onramp / empty;
  const digits = unit === 'ms' ? 0 : 1;
  const limit = budget ? `budget ≤ ${budget}` : 'no budget of its own: part of time to interactive';
  console.log(`${what}: Onramp ${onramp.toFixed(digits)} ${unit}, empty app ${empty.toFixed(digits)} ${unit}, ratio ${ratio.toFixed(2)} (${limit})`);
};
console.log(`# ${RUNS} launches of each, alternating, after one unmeasured launch each`);
line('window open, WebDriver session made (median)', median(results.onramp.map((r) => r.opened)), median(results.empty.map((r) => r.opened)), 'ms', null);
line('page script started (median, the page\'s mark)', median(results.onramp.map((r) => r.scriptRan)), median(results.empty.map((r) => r.scriptRan)), 'ms', null);
line('time to interactive (median, the page\'s mark)', median(results.onramp.map((r) => r.interactive)), median(results.empty.map((r) => r.interactive)), 'ms', '1.15');
line('  the same, as WebDriver saw it (polled every 10 ms; a busy page answers late)', median(results.onramp.map((r) => r.tti)), median(results.empty.map((r) => r.tti)), 'ms', null);
line('main process peak RSS (median)', median(results.onramp.map((r) => r.main)) / 1024, median(results.empty.map((r) => r.main)) / 1024, 'MiB', '1.15');
line('WebKit processes peak RSS (median)', median(results.onramp.map((r) => r.webkit)) / 1024, median(results.empty.map((r) => r.webkit)) / 1024, 'MiB', '1.10');
const onrampDeb = debSize('Onramp_');
const emptyDeb = debSize('OnrampEmptyApp_');
if (onrampDeb && emptyDeb) {
  console.log(`.deb size: Onramp ${mib(onrampDeb).toFixed(2)} MiB, empty app ${mib(emptyDeb).toFixed(2)} MiB, ratio ${(onrampDeb / emptyDeb).toFixed(2)} (budget ≤ 9 MiB)`);
} else {
  console.log(`.deb size: not measured (Onramp: ${onrampDeb ?? 'no .deb'}, empty app: ${emptyDeb ?? 'no .deb'})`);
}
if (Array.isArray(validate)) {
  console.log(`validate_plan round trip over 50 keystrokes: p95 ${p95(validate).toFixed(1)} ms, median ${median(validate).toFixed(1)} ms (budget p95 < 50 ms)`);
} else {
  console.log(`validate_plan round trip: not measured (${JSON.stringify(validate)})`);
}
