// A small W3C WebDriver client and the harness that starts what the end-to-end tests need:
// the sandbox binary, tauri-driver (which starts WebKitWebDriver, which starts the app).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, mkdtempSync, openSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const SHOTS = process.env.ONRAMP_SCREENSHOTS ?? join(ROOT, 'build-output', 'screenshots');
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function waitFor(what, check, timeoutMs = 30000, everyMs = 200) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function freePort() {
  // Node has no API for this without a server; ask the kernel through a throwaway listener.
  return new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
      server.on('error', reject);
    });
  });
}

/** Starts `onramp-sandbox` with a known key; resolves once endpoints.json is written. */
export async function startSandbox(apiKey, extraArgs = []) {
  const stateDir = mkdtempSync(join(tmpdir(), 'onramp-sandbox-'));
  const args = ['--listen', '127.0.0.1:0', '--state-dir', stateDir, '--api-key', apiKey, ...extraArgs];
  const child = spawn(join(ROOT, 'target/debug/onramp-sandbox'), args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ready = out.split('\n').find((l) => l.includes('listening on'));
      if (ready) resolve(ready);
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  const endpointsPath = line.split('endpoints=')[1].trim();
  const endpoints = JSON.parse(readFileSync(endpointsPath, 'utf8'));
  return { child, stateDir, apiKey, endpointsPath, endpoints, stop: () => child.kill('SIGTERM') };
}

/** The processes whose environment holds `marker` (`NAME=value`), from /proc. */
export function processesWith(marker) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) found.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * Starts tauri-driver on free ports with `env` for the app it will launch. Every process it
 * starts carries a marker in its environment, so `stop` can end an app that WebDriver failed
 * to close: an app left running holds the test runner's output pipe, and the run never ends.
 */
export async function startDriver(env) {
  const port = await freePort();
  const nativePort = await freePort();
  const marker = `ONRAMP_E2E_RUN=${randomUUID()}`;
  const driver = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, ...env, ONRAMP_E2E_RUN: marker.split('=')[1] },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('tauri-driver', async () => (await fetch(`${base}/status`)).ok, 20000);
  const stop = async () => {
    driver.kill('SIGTERM');
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      const left = processesWith(marker);
      if (left.length === 0) return;
      if (signal === 'SIGKILL') console.error(`# ended ${left.length} process(es) WebDriver left running: ${left.join(' ')}`);
      for (const pid of left) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
      await waitFor('the app to end', async () => processesWith(marker).length === 0, 5000).catch(() => undefined);
    }
  };
  return { base, stop, marker };
}

export class Session {
  static async start(base, application) {
    const response = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } } }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`new session: ${JSON.stringify(body)}`);
    return new Session(base, body.value.sessionId);
  }

  constructor(base, id) {
    this.url = `${base}/session/${id}`;
  }

  async call(method, path, body) {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }

  async find(css) {
    const found = await this.call('POST', '/element', { using: 'css selector', value: css });
    return found[ELEMENT];
  }

  async findAll(css) {
    const found = await this.call('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element and returns it. */
  async waitFor(css, timeoutMs = 30000) {
    return waitFor(`element ${css}`, async () => {
      const [id] = await this.findAll(css);
      if (!id) return null;
      return (await this.call('GET', `/element/${id}/displayed`)) ? id : null;
    }, timeoutMs);
  }

  async waitForText(css, predicate, timeoutMs = 30000) {
    return waitFor(`text of ${css}`, async () => {
      const [id] = await this.findAll(css);
      if (!id) return null;
      const text = await this.text(id);
      return predicate(text) ? text : null;
    }, timeoutMs);
  }

  async gone(css, timeoutMs = 30000) {
    return waitFor(`${css} to disappear`, async () => (await this.findAll(css)).length === 0, timeoutMs);
  }

  text(id) {
    return this.call('GET', `/element/${id}/text`);
  }

  click(id) {
    return this.interact(id, () => this.call('POST', `/element/${id}/click`, {}));
  }

  async type(id, text) {
    await this.interact(id, () => this.call('POST', `/element/${id}/clear`, {}));
    if (text) await this.call('POST', `/element/${id}/value`, { text });
  }

  /**
   * Runs `action` on element `id`; when WebKit finds it "not interactable" (a list above
   * it was still loading and moved it as WebKit scrolled), centres it and tries again.
   */
  async interact(id, action) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await action();
      } catch (error) {
        if (attempt >= 5 || !String(error.message).includes('not interactable')) throw error;
        await this.script('arguments[0].scrollIntoView({ block: "center" })', [{ [ELEMENT]: id }]);
        await sleep(250);
      }
    }
  }

  script(source, args = []) {
    return this.call('POST', '/execute/sync', { script: source, args });
  }

  /**
   * Saves what the X display shows as build-output/screenshots/NAME.png. WebKitWebDriver's
   * own Take Screenshot never answers under Xvfb with WebKitGTK 2.50 (it waits for a frame
   * the software renderer does not signal), so the picture comes from the X server: the
   * real window, as a person would see it.
   */
  async screenshot(name) {
    mkdirSync(SHOTS, { recursive: true });
    await sleep(300); // let the last click's repaint reach the screen
    const path = join(SHOTS, `${name}.png`);
    execFileSync('import', ['-display', process.env.DISPLAY, '-window', 'root', path]);
    return path;
  }

  /**
   * Runs axe-core in the real window (WebKit computes what jsdom cannot, such as colour
   * contrast) and returns its violations, each with the elements it found them on.
   */
  /** Clicks the wizard's Next button once it is there. */
  async next() {
    await this.click(await this.waitFor('#next-button'));
  }

  /** Selects `value` in the <select> at `css` the way a user's change would. */
  async choose(css, value) {
    await this.script(
      `const s = document.querySelector(arguments[0]); s.value = arguments[1];
       s.dispatchEvent(new Event('change', { bubbles: true }));`,
      [css, value],
    );
  }

  /** Fails when axe finds a violation in the real window (colour contrast included). */
  async accessible(what) {
    const violations = await this.axe();
    assert.deepEqual(violations, [], `${what}: ${JSON.stringify(violations, null, 1)}`);
  }

  async axe() {
    if (!this.axeLoaded) {
      const source = readFileSync(join(ROOT, 'ui/node_modules/axe-core/axe.min.js'), 'utf8');
      await this.script(`${source}\n;window.axe = axe; return true;`);
      this.axeLoaded = true;
    }
    return this.call('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1];
        window.axe.run(document, { resultTypes: ['violations'] })
          .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))))
          .catch((e) => done([{ id: 'axe-error', help: String(e), nodes: [] }]));`,
      args: [],
    });
  }

  async end() {
    try {
      await this.call('DELETE', '');
    } catch {
      // the app may already be gone
    }
  }
}

/** A signed-in caller of the sandbox's APIs, to check what the app did from outside it. */
export async function sandboxApi(sandbox) {
  const token = await fetch(new URL('identity/token', sandbox.endpoints.iam.replace(/\/?$/, '/')), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: sandbox.apiKey }),
  }).then((r) => r.json());
  const get = async (base, path) => {
    const response = await fetch(new URL(path, base.replace(/\/?$/, '/')), { headers: { authorization: `Bearer ${token.access_token}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
    return response.json();
  };
  const post = async (base, path, body) => {
    const response = await fetch(new URL(path, base.replace(/\/?$/, '/')), {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    /**
     * A Cloud Logs instance made outside Onramp, as a team would have one (its plan found
     * in the catalog by name, as IBM publishes no id), once it is active.
     */
    async makeCloudLogs(name) {
      const plans = await get(sandbox.endpoints.global_catalog, 'logs/plan');
      const standard = plans.resources.find((p) => p.name === 'standard');
      const groups = await get(sandbox.endpoints.resource_controller, 'v2/resource_groups');
      const group = groups.resources.find((g) => g.default) ?? groups.resources[0];
      const made = await post(sandbox.endpoints.resource_controller, 'v2/resource_instances', {
        name,
        target: 'ca-mon',
        resource_group: group.id,
        resource_plan_id: standard.id,
      });
      await waitFor('the Cloud Logs instance to be active', async () =>
        (await get(sandbox.endpoints.resource_controller, `v2/resource_instances/${made.guid}`)).state === 'active',
      30000);
      return made;
    },
    /** A Gen 2 database made outside Onramp, as the console would, once it is active. */
    async makeDatabase(name, storageGb) {
      const groups = await get(sandbox.endpoints.resource_controller, 'v2/resource_groups');
      const group = groups.resources.find((g) => g.default) ?? groups.resources[0];
      const made = await post(sandbox.endpoints.resource_controller, 'v2/resource_instances', {
        name,
        target: 'ca-mon',
        resource_group: group.id,
        resource_plan_id: 'databases-for-postgresql-gen2-standard',
        parameters: { dataservices: { postgresql: { storage_gb: storageGb } } },
      });
      await waitFor('the database made outside Onramp to be active', async () =>
        (await get(sandbox.endpoints.resource_controller, `v2/resource_instances/${made.guid}`)).state === 'active',
      60000);
      return made;
    },
    /** A service credential of the database's own, made outside Onramp. */
    async makeKey(instanceCrn, name) {
      return post(sandbox.endpoints.resource_controller, 'v2/resource_keys', { name, source: instanceCrn, role: 'Writer' });
    },
    /** Databases that are not removed. */
    async databases() {
      const active = await get(sandbox.endpoints.resource_controller, 'v2/resource_instances?resource_plan_id=databases-for-postgresql-gen2-standard');
      const failed = await get(sandbox.endpoints.resource_controller, 'v2/resource_instances?resource_plan_id=databases-for-postgresql-gen2-standard&state=failed');
      return [...active.resources, ...failed.resources].filter((i) => i.state !== 'removed');
    },
    async keys(instanceGuid) {
      return (await get(sandbox.endpoints.resource_controller, `v2/resource_instances/${instanceGuid}/resource_keys`)).resources;
    },
    /** Metrics Routing's `targets`, `routes` or `settings` (account-wide; read through ca-mon). */
    async metrics(collection) {
      const body = await get(sandbox.endpoints.regions['ca-mon'].metrics_router, collection);
      return collection === 'settings' ? body : body[collection];
    },
    /** Activity Tracker's `targets`, `routes` or `settings` (account-wide; read through ca-mon). */
    async tracker(collection) {
      const body = await get(sandbox.endpoints.regions['ca-mon'].atracker, `api/v2/${collection}`);
      return collection === 'settings' ? body : body[collection];
    },
    /** Logs Routing's `targets`, `routes` or `settings` (account-wide; read through ca-mon). */
    async logs(collection) {
      const body = await get(sandbox.endpoints.regions['ca-mon'].logs_router, collection);
      return collection === 'settings' ? body : body[collection];
    },
    /** Instances of `service` (`sysdig-monitor`, `logs`) that are not removed. */
    async instances(service) {
      const body = await get(sandbox.endpoints.resource_controller, `v2/resource_instances?resource_id=${service}`);
      return body.resources.filter((i) => i.state !== 'removed');
    },
    /** The account's context-based restrictions: `zones` or `rules`. */
    async cbr(collection) {
      const body = await get(sandbox.endpoints.cbr, `v1/${collection}?account_id=${sandbox.endpoints.account_id}`);
      return body[collection];
    },
    /** A VPC API collection of `region`, e.g. `vpcs`, `instances`, `endpoint_gateways`. */
    async vpc(region, collection) {
      const body = await get(sandbox.endpoints.regions[region].vpc, `${collection}?version=2026-06-23&generation=2`);
      return body[collection];
    },
  };
}

/** The value `secret-tool` finds for an attribute set, or null when there is none. */
export function keychainLookup(service, username) {
  try {
    return execFileSync('secret-tool', ['lookup', 'service', service, 'username', username], { encoding: 'utf8' });
  } catch {
    return null;
  }
}

/** Every file under `dir`, recursively, with its contents as text. */
export function readTree(dir) {
  const out = [];
  const walk = (d) => {
    let entries = [];
    try {
      entries = execFileSync('find', [d, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      return;
    }
    for (const file of entries) out.push({ file, text: readFileSync(file).toString('latin1') });
  };
  walk(dir);
  return out;
}

/**
 * Records every desktop notification asked of the session bus (org.freedesktop.Notifications'
 * Notify, whether or not a notification server answers), for a test to read.
 */
export function watchNotifications() {
  const file = join(mkdtempSync(join(tmpdir(), 'onramp-notify-')), 'notify.txt');
  const out = openSync(file, 'w');
  const child = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ['ignore', out, 'ignore'],
  });
  return {
    /** The [title, body] of each notification asked for so far. */
    asked() {
      const text = readFileSync(file, 'utf8');
      return text
        .split('method call')
        .slice(1)
        .map((call) => [...call.matchAll(/^\s+string "(.*)"$/gm)].map((m) => m[1]).slice(2, 4));
    },
    stop: () => child.kill('SIGTERM'),
  };
}

/**
 * Puts another window over the whole display, as a user switching to another app would:
 * with no window manager, X gives the keyboard to the window under the pointer, so the
 * app's window is no longer the focused one. Returns a function that takes it away.
 */
export function coverDisplay() {
  const child = spawn('xmessage', ['-geometry', '1200x820+0+0', 'another app'], { stdio: 'ignore' });
  return () => child.kill('SIGTERM');
}

/** The titles of the X windows on the display, as the window manager would show them. */
export function windowTitles() {
  try {
    const tree = execFileSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' });
    return [...tree.matchAll(/0x[0-9a-f]+ "([^"]*)"/g)].map((m) => m[1]);
  } catch {
    return [];
  }
}
