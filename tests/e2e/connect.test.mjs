// End to end: a newcomer goes from an empty sandbox account to a query result in the window
// through the private path. The app (test build) plans a new VPC, subnet, SSH key, jump
// server with a floating IP, and a VPE with the database; applies it; then opens an SSH
// tunnel, runs the connection doctor and a first query in the Connect step. The commands
// the step shows are run as shown (OpenSSH's ssh -L and psql). In Users it makes a Writer
// credential, a monitoring user and changes that user's password, each checked from
// outside (the sandbox's API, the keychain, psql). Teardown leaves the sandbox empty.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';

import { ROOT, startSandbox, startDriver, Session, keychainLookup, readTree, sandboxApi, waitFor } from './webdriver.mjs';

const SERVICE = 'cloud.onramp.desktop.test';
const APP = process.env.ONRAMP_E2E_APP ?? join(ROOT, 'target/debug/onramp');
const KEY = randomBytes(33).toString('base64url');
const NAME = `pg-path-${randomBytes(3).toString('hex')}`;
const REGION = 'ca-mon';

let sandbox;
let api;
let driver;
let session;
let appHome;
/** The plan's name suffix (`3f2a` in `onramp-vpc-3f2a`), read from the suggestion. */
let suffix;

before(async () => {
  sandbox = await startSandbox(KEY, ['--provision-seconds', '4']);
  api = await sandboxApi(sandbox);
  appHome = mkdtempSync(join(tmpdir(), 'onramp-e2e-home-'));
  driver = await startDriver({
    ONRAMP_CLOUD_ENDPOINTS: sandbox.endpointsPath,
    // A copied password leaves the clipboard after 3 s here instead of a minute.
    ONRAMP_CLIPBOARD_CLEAR_SECONDS: '3',
    HOME: appHome,
    XDG_DATA_HOME: join(appHome, 'data'),
    XDG_CONFIG_HOME: join(appHome, 'config'),
    XDG_CACHE_HOME: join(appHome, 'cache'),
  });
  session = await Session.start(driver.base, APP);
});

after(async () => {
  await session?.end();
  await driver?.stop();
  sandbox?.stop();
  try {
    execFileSync('secret-tool', ['clear', 'service', SERVICE, 'username', 'ibmcloud-api-key']);
  } catch {
    // nothing stored
  }
});

const value = (id) => session.script('return document.getElementById(arguments[0]).value', [id]);

/** Runs a command line as a user would paste it into a terminal. */
function run(line, env = {}) {
  return execFileSync('sh', ['-c', line], { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '15', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const WHO = '-At -c "SELECT current_user, s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()"';

test('Account, Basics, Sizing and Encryption as a newcomer leaves them', async () => {
  await session.waitFor('#account-tile');
  await session.click(await session.find('label[for="mode-ibm-cloud"]'));
  await session.type(await session.waitFor('#api-key'), KEY);
  await session.click(await session.find('#connect'));
  await session.waitForText('#account-id', (t) => t === sandbox.endpoints.account_id);
  await session.next();
  await session.type(await session.waitFor('#plan-name'), NAME);
  await session.choose('#plan-location', REGION);
  await session.next();
  await session.waitFor('#plan-storage');
  await session.next();
  await session.waitFor('#enc-provider');
  await session.next();
});

test('Connectivity: new resources are suggested; a bad SSH source is refused at the field; the whole internet is a warning', async () => {
  await session.waitFor('#conn-build');
  // The suggestion fills the image and, in the sandbox, the SSH source.
  await waitFor('the suggested image', async () => (await value('conn-jump-image')) !== '');
  assert.equal(await value('conn-ssh-cidr'), '127.0.0.1/32');
  // Default names carry the plan's suffix, so two plans never share one.
  const suggestedVpc = await value('conn-vpc-name');
  const named = /^onramp-vpc-([0-9a-f]{4})$/.exec(suggestedVpc);
  assert.ok(named, `a suffixed VPC name: ${suggestedVpc}`);
  suffix = named[1];
  await session.screenshot('30-connectivity');
  await session.accessible('Connectivity');

  const cidr = await session.find('#conn-ssh-cidr');
  await session.type(cidr, '198.51.100.7');
  const message = await session.waitForText('#conn-ssh-cidr-error-msg', (t) => t.length > 0);
  assert.match(message, /198\.51\.100\.7\/32/);
  await session.screenshot('31-connectivity-bad-cidr');
  await session.accessible('Connectivity with an error');
  await session.type(cidr, '0.0.0.0/0');
  await session.gone('#conn-ssh-cidr-error-msg');
  assert.match(await session.text(await session.find('#step')), /anyone on the internet/);
  await session.type(cidr, '127.0.0.1/32');

  const name = await session.find('#conn-vpc-name');
  await session.type(name, 'My VPC');
  assert.match(await session.waitForText('#conn-vpc-name-error-msg', (t) => t.length > 0), /capital letter 'M'/);
  await session.type(name, suggestedVpc);
  await session.gone('#conn-vpc-name-error-msg');

  // The optional context-based restriction, marked as a preview with the doubt in words.
  assert.match(await session.text(await session.find('#conn-restrict-note')), /disagree/);
  await session.click(await session.find('label[for="conn-restrict"]'));
  await session.script('document.getElementById("conn-restrict-note").scrollIntoView({ block: "center" })');
  await session.screenshot('30-connectivity-restriction');
  await session.accessible('Connectivity with the restriction');
  await session.next();
});

test('Review: the private path is part of the one plan; apply builds it with the database', async () => {
  await session.waitForText('#step', (t) => t.includes(NAME) && t.includes(`onramp-jump-${suffix}`), 30000);
  const text = await session.text(await session.find('#step'));
  for (const kind of ['vpc', 'subnet', 'key', 'jump', 'vpe']) {
    const part = `onramp-${kind}-${suffix}`;
    assert.ok(text.includes(part), `${part} in Review`);
  }
  await session.screenshot('32-review-with-path');
  await session.click(await session.find('#apply-button'));
  await session.waitFor('[data-step="vpc"]');
  await session.waitFor('#provision-outcome[data-outcome="Succeeded"]', 120000);
  await session.screenshot('33-provision-path-ready');
  assert.equal((await api.vpc(REGION, 'vpcs')).length, 1);
  assert.equal((await api.vpc(REGION, 'endpoint_gateways')).length, 1);
  const [database] = await api.databases();
  const rules = await api.cbr('rules');
  assert.equal(rules.length, 1);
  const instance = rules[0].resources[0].attributes.find((a) => a.name === 'serviceInstance');
  assert.equal(instance.value, database.guid, 'the rule restricts this database');
  assert.equal((await api.cbr('zones'))[0].name, `onramp-vpc-${suffix}-zone`);
  await session.click(await session.waitFor('#go-connect'));
});

let password;
let sshLine;
/** Every secret the walk handled, for the scan of what Onramp and the sandbox wrote. */
const handled = new Set([KEY]);
let opensshPsql;

test('Connect: the tunnel opens on loopback, the doctor passes all five stages', async () => {
  await session.waitFor('#tunnel-open-button', 30000);
  await session.screenshot('34-connect');
  await session.accessible('Connect');
  await session.click(await session.find('#tunnel-open-button'));
  const status = await session.waitForText('#tunnel-status', (t) => /127\.0\.0\.1:\d+/.test(t), 30000);
  const port = Number(status.match(/127\.0\.0\.1:(\d+)/)[1]);
  assert.ok(port > 0);

  await session.click(await session.find('#doctor-button'));
  for (const stage of ['dns', 'tcp', 'tls', 'login', 'query']) {
    await session.waitFor(`#doctor-stages [data-stage="${stage}"][data-status="passed"]`, 60000);
  }
  await session.screenshot('35-connect-doctor');
  await session.accessible('Connect with the doctor passed');

  // The psql line the step shows works as shown, through Onramp's tunnel.
  const [database] = await api.databases();
  const [key] = await api.keys(database.guid);
  password = JSON.parse(keychainLookup(SERVICE, `credential:${key.guid}`)).password;
  handled.add(password);
  const psql = await session.waitForText('#psql-command', (t) => t.includes('psql'));
  assert.match(psql, new RegExp(`port=${port}`));
  const out = run(`${psql.trim()} ${WHO}`, { PGPASSWORD: password });
  assert.equal(out.trim(), `${key.credentials.username}|t`);
});

test('Connect: the OpenSSH commands work as shown, with the key saved where the user chose', async () => {
  const keyFile = join(appHome, '.ssh', 'onramp-e2e');
  const input = await session.waitFor('#ssh-key-file');
  await session.type(input, keyFile);
  await session.click(await session.find('#save-key-button'));
  await session.waitForText('#save-key-result', (t) => t.includes(keyFile));
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  // The key's body is a secret the scan looks for: every line but the armour and the first,
  // which is the same in every unencrypted OpenSSH key (format name, cipher "none", …).
  const body = readFileSync(keyFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
  for (const line of body.slice(1)) if (line.length >= 16) handled.add(line);
  const ssh = await session.waitForText('#ssh-command', (t) => t.includes(keyFile));
  const psql = await session.text(await session.find('#openssh-psql-command'));
  [sshLine, opensshPsql] = [ssh.trim(), psql.trim()];
  const port = Number(psql.match(/port=(\d+)/)[1]);
  await session.screenshot('36-connect-openssh');
  const tunnel = spawn('sh', ['-c', `exec ${ssh.trim()} -o BatchMode=yes`], { stdio: 'inherit' });
  try {
    await waitFor('the OpenSSH tunnel', () => new Promise((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    }), 20000);
    const out = run(`${psql.trim()} ${WHO}`, { PGPASSWORD: password });
    assert.match(out.trim(), /\|t$/);
  } finally {
    tunnel.kill('SIGTERM');
  }
});

test('Connect: the first query runs in the window and shows its result', async () => {
  await session.click(await session.find('#query-run-button'));
  const result = await session.waitForText('#query-result', (t) => t.includes('TLS'), 30000);
  const [database] = await api.databases();
  const [key] = await api.keys(database.guid);
  assert.ok(result.includes(key.credentials.username), result);
  assert.match(result, /PostgreSQL/);
  await session.screenshot('37-connect-query-result');
  await session.accessible('Connect with a query result');

  // No secret in the window or in any file Onramp wrote, but the key file the user chose.
  const page = await session.script('return document.documentElement.outerHTML');
  assert.ok(!page.includes(password), 'the window does not hold the password');
  for (const { file, text } of readTree(join(appHome, 'data'))) {
    // The embedded sandbox (started by the Account step's default) keeps its own CA key:
    // that is the simulated cloud's, not Onramp's.
    if (file.includes('/sandbox/')) continue;
    assert.ok(!text.includes(password), `the password leaked into ${file}`);
    assert.ok(!text.includes('PRIVATE KEY'), `a private key leaked into ${file}`);
  }

  await session.click(await session.find('#tunnel-close-button'));
  await session.waitForText('#tunnel-status', (t) => /closed/i.test(t));
});

/** Runs psql as `user` with `secret` through an OpenSSH tunnel made with the step's lines. */
async function loginAs(user, secret) {
  const port = Number(opensshPsql.match(/port=(\d+)/)[1]);
  const tunnel = spawn('sh', ['-c', `exec ${sshLine} -o BatchMode=yes`], { stdio: 'inherit' });
  try {
    await waitFor('the OpenSSH tunnel', () => new Promise((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    }), 20000);
    const line = opensshPsql.replace(/user=\S+/, `user=${user}`);
    try {
      return run(`${line} -At -c "SELECT current_user"`, { PGPASSWORD: secret }).trim();
    } catch (error) {
      return `failed: ${error.stderr}`;
    }
  } finally {
    tunnel.kill('SIGTERM');
    await new Promise((resolve) => tunnel.once('exit', resolve));
  }
}

test('Users: a Writer credential, a monitoring user made in SQL, and its password changed', async () => {
  await session.next();
  await session.waitFor('#credentials-table tr[data-credential="onramp-manager"]', 30000);
  await session.waitFor('#roles-table tr[data-role="ibm_writer"]', 30000);
  await session.screenshot('38-users');
  await session.accessible('Users');

  // A Writer credential: made in the cloud, its password in the keychain.
  await session.type(await session.find('#credential-name'), 'app-writer');
  await session.click(await session.find('label[for="credential-role-writer"]'));
  await session.click(await session.find('#credential-create-button'));
  await session.waitFor('#credentials-table tr[data-credential="app-writer"]', 30000);
  const [database] = await api.databases();
  const writer = (await api.keys(database.guid)).find((k) => k.name === 'app-writer');
  assert.ok(writer, 'the sandbox has the Writer credential');
  assert.match(writer.credentials.connection.postgres.authentication.username, /^ibmcloud_/);
  assert.equal(JSON.parse(keychainLookup(SERVICE, `credential:${writer.guid}`)).password, writer.credentials.password);
  const writerRow = await session.waitForText('#roles-table', (t) => t.includes(writer.credentials.connection.postgres.authentication.username), 30000);
  assert.ok(writerRow);

  // A monitoring user: the exact SQL first, then created as the Manager.
  await session.type(await session.find('#sqluser-name'), 'mary');
  await session.click(await session.find('label[for="recipe-monitoring"]'));
  const sql = await session.waitForText('#sqluser-sql', (t) => t.includes('GRANT pg_monitor TO "mary"'));
  assert.match(sql, /CREATE ROLE "mary" WITH LOGIN PASSWORD '\*{8}'/);
  await session.screenshot('39-users-new-sql-user');
  await session.click(await session.find('#sqluser-create-button'));
  await session.waitForText('#sqluser-result', (t) => t.includes('mary'), 30000);
  const row = await session.waitForText('#roles-table tr[data-role="mary"]', (t) => t.includes('pg_monitor'), 30000);
  assert.ok(row);
  const entry = `sql-user:${database.guid}:mary`;
  const first = keychainLookup(SERVICE, entry);
  assert.ok(first && first.length >= 32, 'the generated password is in the keychain');
  assert.equal(await loginAs('mary', first), 'mary');

  // Its password changed: the keychain holds the new one, and only the new one logs in.
  await session.choose('#pw-role', 'mary');
  await session.waitForText('#pw-sql', (t) => t.includes('ALTER ROLE "mary" WITH PASSWORD'));
  await session.click(await session.find('#pw-change-button'));
  await session.waitForText('#pw-result', (t) => t.includes('mary'), 30000);
  await session.screenshot('40-users-password-changed');
  await session.accessible('Users after a password change');
  const second = keychainLookup(SERVICE, entry);
  assert.ok(second && second !== first, 'the keychain holds a new password');
  assert.equal(await loginAs('mary', second), 'mary');
  assert.match(await loginAs('mary', first), /password authentication failed/);

  const page = await session.script('return document.documentElement.outerHTML');
  for (const secret of [second, writer.credentials.password]) assert.ok(!page.includes(secret), 'no password in the window');
  for (const secret of [first, second, writer.credentials.password]) handled.add(secret);

  // Copy puts the password on the system clipboard without the window seeing it, and takes
  // it off again (3 s in this test, a minute for a user) ...
  await session.click(await session.find('#pw-copy'));
  await waitFor('the password on the clipboard', async () => clipboard() === second, 5000);
  await waitFor('the copied password to leave the clipboard', async () => clipboard() === '', 10000);
  // ... unless the user copied something else since, which is left alone.
  await session.click(await session.find('#pw-copy'));
  await waitFor('the password on the clipboard', async () => clipboard() === second, 5000);
  const mine = spawn('xclip', ['-quiet', '-selection', 'clipboard', '-i'], { stdio: ['pipe', 'ignore', 'ignore'] });
  mine.stdin.end('my own notes');
  try {
    await waitFor('the user\'s own copy', async () => clipboard() === 'my own notes', 5000);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.equal(clipboard(), 'my own notes');
  } finally {
    mine.kill('SIGTERM');
  }
  assert.ok(!(await session.script('return document.documentElement.outerHTML')).includes(second), 'the copy passed the window by');

  // Nothing of this, nor of the walk so far, is in any file, PostgreSQL's log included.
  scanForSecrets({ postgresLogs: true });
});

/** The system clipboard's text, as another program reads it ('' when empty). */
function clipboard() {
  try {
    return execFileSync('xclip', ['-selection', 'clipboard', '-o'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

test('Done: every resource the plan made, its cost, and where its secrets are, with no secret shown', async () => {
  // Users leads to Observability (provision.test walks it), then Done.
  await session.next();
  await session.waitFor('label[for="obs-monitoring-create"]', 30000);
  await session.next();
  await session.waitFor('#done-resources tbody tr[data-step="vpe"]', 30000);
  const made = await session.text(await session.find('#done-resources'));
  for (const name of [NAME, `onramp-vpc-${suffix}`, `onramp-jump-${suffix}`, `onramp-vpe-${suffix}`, 'onramp-manager']) {
    assert.ok(made.includes(name), `${name} in ${made}`);
  }
  const [database] = await api.databases();
  assert.ok(made.includes(database.crn), 'the database is listed by its CRN');
  const secrets = await session.text(await session.find('#done-secrets'));
  assert.match(secrets, /credential:/);
  assert.match(secrets, /ssh-key:/);
  await session.waitFor('#done-cost-total');
  await session.screenshot('40d-done');
  await session.accessible('Done');
  const page = await session.script('return document.documentElement.outerHTML');
  for (const secret of handled) assert.ok(!page.includes(secret), 'no secret on Done');
});

test('Scale: storage 10 → 40 GB from Done, a shrink refused at the field, the new size in the instance', async () => {
  await session.waitForText('#scale', (t) => t.includes('10 GB per member now'));
  const storage = await session.find('#scale-storage');
  // A shrink: the rules' words at the field, and the button stays off.
  await session.type(storage, '9');
  await session.waitForText('#scale-storage-error-msg', (t) => /from 10 to 9600/.test(t));
  assert.equal(await session.script("return document.getElementById('scale-apply').disabled"), true);
  await session.type(storage, '40');
  await session.waitForText('#scale-cost', (t) => t.includes('after the change'));
  await session.screenshot('40f-scale-preview');
  await session.accessible('the Scale panel');
  const [before] = await api.databases();
  assert.equal(before.extensions.dataservices.postgresql.storage_gb, 10);
  const costBefore = await session.text(await session.find('#done-cost-total'));
  await session.click(await session.find('#scale-apply'));
  await session.waitForText('#scale-done', (t) => t.includes('40 GB per member'), 60000);
  await session.screenshot('40g-scale-done');
  const [after] = await api.databases();
  assert.equal(after.extensions.dataservices.postgresql.storage_gb, 40);
  assert.equal(after.last_operation.type, 'update');
  assert.equal(after.last_operation.state, 'succeeded');
  // Now 40 GB is the floor, and the cost on Done is the new size's.
  await session.waitForText('#scale', (t) => t.includes('40 GB per member now'));
  await session.waitForText('#done-cost-total', (t) => t !== costBefore);
});

test('Plans: another plan started from the list keeps this one there, and switching back shows it done', async () => {
  await session.click(await session.find('#plans-button'));
  await session.waitFor('#plans-table tbody tr');
  await session.click(await session.find('#plans-new'));
  await session.waitFor('#plan-name');
  await session.click(await session.waitFor('#plans-button'));
  const list = await session.waitForText('#plans-table', (t) => t.includes('Unnamed plan') && t.includes(NAME));
  assert.match(list, /Ready/);
  await session.screenshot('40e-plans');
  await session.accessible('the list of plans');
  await session.click(await session.find('#plans-table tr[data-current="false"] [data-action="open"]'));
  await session.waitFor('#done-resources tbody tr[data-step="vpe"]', 30000);
  await session.click(await session.find('#done-teardown'));
});

test('Teardown removes the private path and the database', async () => {
  await session.click(await session.waitFor('#teardown-button'));
  // What the Users step made is listed first, then the plan's resources in reverse.
  const items = await session.waitForText('#teardown-items', (t) => t.includes('app-writer'));
  const zone = `onramp-vpc-${suffix}-zone`;
  assert.ok(items.indexOf('app-writer') < items.indexOf(zone), items);
  assert.ok(items.indexOf(zone) < items.indexOf(`onramp-vpe-${suffix}`), items);
  await session.screenshot('41-teardown-preview');
  await session.accessible('Teardown preview');
  await session.click(await session.waitFor('#teardown-confirm'));
  await session.waitFor('#provision-outcome[data-outcome="TornDown"]', 120000);
  for (const collection of ['vpcs', 'subnets', 'keys', 'instances', 'floating_ips', 'endpoint_gateways']) {
    assert.deepEqual(await api.vpc(REGION, collection), [], `${collection} left behind`);
  }
  assert.deepEqual(await api.databases(), []);
  assert.deepEqual(await api.cbr('rules'), []);
  assert.deepEqual(await api.cbr('zones'), []);
  for (const { file, text } of readTree(join(appHome, 'data'))) {
    if (file.includes('/sandbox/')) continue;
    assert.ok(!text.includes('PRIVATE KEY'), `a private key in ${file}`);
  }
});

/**
 * Every secret the walk handled, searched for in every file Onramp and the sandbox wrote:
 * the app's data (journals, drafts, settings, its log), the sandbox's state and, while the
 * database exists, its PostgreSQL server log. Any hit fails.
 */
function scanForSecrets({ postgresLogs }) {
  const keyFile = join(appHome, '.ssh', 'onramp-e2e');
  const files = [
    ...readTree(join(appHome, 'data')),
    ...readTree(join(appHome, 'config')),
    ...readTree(join(appHome, 'cache')),
    ...readTree(sandbox.stateDir),
  ].filter(({ file }) => file !== keyFile);
  assert.ok(files.some(({ file }) => /\/logs\//.test(file)), 'the app\'s log is among the files scanned');
  const pgLogs = files.filter(({ file }) => /\/postgres\.log$/.test(file));
  if (postgresLogs) assert.ok(pgLogs.length > 0, `a PostgreSQL server log is among the files scanned: ${files.map((f) => f.file).join(' ')}`);
  assert.ok(handled.size >= 6, `secrets collected: ${handled.size}`);
  // IAM access tokens are JWTs: none may be written down anywhere.
  const jwt = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;
  const hits = [];
  for (const { file, text } of files) {
    for (const secret of handled) if (text.includes(secret)) hits.push(`${secret.slice(0, 4)}… in ${file}`);
    if (jwt.test(text)) hits.push(`a token in ${file}`);
  }
  assert.deepEqual(hits, []);
}

test('No secret the walk handled is in any file Onramp or the sandbox wrote after teardown', async () => {
  scanForSecrets({ postgresLogs: false });
});
