// End to end: a newcomer provisions a Gen 2 database in the real window. The app (test
// build) signs in to the sandbox binary, walks Basics → Sizing → Encryption → Connectivity
// (opted out) → Review, applies the plan, is closed while the database provisions, is
// opened again and resumes it to `active`, then tears it all down. What the app did is
// checked from outside, through the sandbox's own APIs, and the credential's password
// through secret-tool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import {
  ROOT,
  startSandbox,
  startDriver,
  Session,
  keychainLookup,
  readTree,
  sandboxApi,
  waitFor,
  watchNotifications,
  windowTitles,
  coverDisplay,
} from './webdriver.mjs';

const SERVICE = 'cloud.onramp.desktop.test';
const APP = process.env.ONRAMP_E2E_APP ?? join(ROOT, 'target/debug/onramp');
const KEY = randomBytes(33).toString('base64url');
const NAME = `pg-e2e-${randomBytes(3).toString('hex')}`;
// Long enough to close the app while the database provisions, short enough for CI.
const PROVISION_SECONDS = 25;

/** The Cloud Logs instance a team made before Onramp, chosen in Observability. */
let teamLogs;
let sandbox;
let api;
let driver;
let session;
let appHome;

before(async () => {
  sandbox = await startSandbox(KEY, ['--provision-seconds', String(PROVISION_SECONDS)]);
  api = await sandboxApi(sandbox);
  appHome = mkdtempSync(join(tmpdir(), 'onramp-e2e-home-'));
  driver = await startDriver({
    ONRAMP_CLOUD_ENDPOINTS: sandbox.endpointsPath,
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
  // The key this test stored: leave the test keychain as it was.
  try {
    (await import('node:child_process')).execFileSync('secret-tool', ['clear', 'service', SERVICE, 'username', 'ibmcloud-api-key']);
  } catch {
    // nothing stored
  }
});

async function fieldError(id, predicate) {
  return session.waitForText(`#${id}-error-msg`, predicate);
}

test('Account: sign in to the sandbox as an IBM Cloud account', async () => {
  await session.waitFor('#account-tile');
  await session.click(await session.find('label[for="mode-ibm-cloud"]'));
  await session.type(await session.waitFor('#api-key'), KEY);
  await session.click(await session.find('#connect'));
  await session.waitForText('#account-id', (t) => t === sandbox.endpoints.account_id);
  await session.next();
});

test('Basics: the name is checked as it is typed, at the field', async () => {
  const name = await session.waitFor('#plan-name');
  await session.type(name, 'pg/demo');
  assert.match(await fieldError('plan-name', (t) => t.includes('/')), /can't contain '\/'/);
  await session.screenshot('10-basics-bad-name');
  await session.accessible('Basics with an error');
  await session.type(name, NAME);
  await session.gone('#plan-name-error-msg');
  const locations = await session.script('return [...document.querySelectorAll("#plan-location option")].map(o => o.value)');
  assert.deepEqual(locations.filter(Boolean), ['ca-mon', 'in-che', 'us-east'], 'the live catalog’s Gen 2 locations');
  await session.choose('#plan-location', 'ca-mon');
  await session.screenshot('11-basics');
  await session.accessible('Basics');
  await session.next();
});

test('Sizing: storage out of range is refused at the field; a flavor and 20 GB are chosen', async () => {
  const storage = await session.waitFor('#plan-storage');
  await session.type(storage, '5');
  assert.match(await fieldError('plan-storage', (t) => t.length > 0), /from 10 to 9600/);
  await session.screenshot('12-sizing-bad-storage');
  await session.accessible('Sizing with an error');
  await session.type(storage, '20');
  await session.gone('#plan-storage-error-msg');
  await session.choose('#plan-host-flavor', 'bx3d.4x20');
  await session.screenshot('13-sizing');
  await session.accessible('Sizing');
  await session.next();
});

test('Encryption: the provider-managed key is the default; Key Protect shows the keys and the missing authorization', async () => {
  await session.waitFor('#enc-provider');
  const checked = await session.script('return document.getElementById("enc-provider").checked');
  assert.equal(checked, true);
  await session.screenshot('14-encryption');
  await session.accessible('Encryption');
  await session.click(await session.find('label[for="enc-key-protect"]'));
  await session.waitFor('#enc-kp-instance');
  const keys = await session.script('return [...document.querySelectorAll("#enc-kp-key option")].map(o => o.textContent)');
  assert.ok(keys.filter(Boolean).length >= 2, `the sandbox's root keys are offered: ${keys}`);
  const missing = await session.waitForText('#enc-authorization-missing', (t) => t.length > 0);
  assert.match(missing, /Authorization Delegator/);
  await session.screenshot('14b-encryption-key-protect');
  await session.accessible('Encryption with Key Protect');
  await session.click(await session.find('label[for="enc-provider"]'));
  await session.gone('#enc-kp-instance');
  await session.next();
});

test('Connectivity: this walk opts out of the private path (connect.test.mjs builds one)', async () => {
  await session.click(await session.waitFor('label[for="conn-build"]'));
  await session.gone('#conn-vpc-name');
  await session.next();
});

test('Review: every resource and the cost, then apply', async () => {
  await session.waitForText('#step', (t) => t.includes('onramp-manager') && t.includes(NAME), 30000);
  const text = await session.text(await session.find('#step'));
  assert.match(text, /bx3d\.4x20/);
  assert.match(text, /20 GB per member/);
  assert.match(text, /\$/, 'a price from the catalog');
  await session.screenshot('15-review');
  await session.accessible('Review');
  await session.click(await session.find('#apply-button'));
  await session.waitFor('[data-step="instance"]');
});

test('Provision: live progress; closing the app mid-way and reopening it resumes', async () => {
  await session.waitFor('[data-step="instance"][data-status="Working"]');
  await waitFor('the database to exist', async () => (await api.databases()).length === 1, 20000);
  await session.screenshot('16-provision-running');
  const before = await api.databases();
  assert.equal(before[0].state, 'provisioning', 'closed while the database is still provisioning');

  // Close the app, as a user would mid-provision, and open it again.
  const notifications = watchNotifications();
  await session.end();
  session = await Session.start(driver.base, APP);
  await session.waitFor('[data-step="instance"]', 60000);
  // The window's title carries the resumed job's progress.
  await waitFor('the title to show the progress', async () =>
    windowTitles().some((t) => t.startsWith(`Onramp — applying ${NAME} (`)),
  20000);
  await session.screenshot('17-provision-resumed');
  // The user looks at another app while the database provisions.
  const uncover = coverDisplay();
  const outcome = await session.waitFor('#provision-outcome[data-outcome="Succeeded"]', (PROVISION_SECONDS + 60) * 1000);
  assert.ok(outcome);
  // Its end is told once, as a desktop notification, since the window is in the background,
  // and the title is the app's again.
  await waitFor('the notification', async () => notifications.asked().length > 0, 10000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(
    notifications.asked().map(([title]) => title),
    [`${NAME} is ready`],
  );
  notifications.stop();
  uncover();
  await waitFor('the title to be the app\'s', async () => windowTitles().includes('Onramp'), 10000);
  await session.screenshot('18-provision-active');
  await session.accessible('Provision, active');

  const databases = await api.databases();
  assert.equal(databases.length, 1, 'exactly one database after the resume');
  assert.equal(databases[0].name, NAME);
  assert.equal(databases[0].state, 'active');
  const keys = await api.keys(databases[0].guid);
  assert.equal(keys.length, 1, 'exactly one Manager credential');
  const password = keys[0].credentials.password;
  const stored = keychainLookup(SERVICE, `credential:${keys[0].guid}`);
  assert.ok(stored && JSON.parse(stored).password === password, 'the credential is in the keychain');
  const page = await session.script('return document.documentElement.outerHTML');
  assert.ok(!page.includes(password), 'the window does not hold the password');
  for (const { file, text } of readTree(appHome)) assert.ok(!text.includes(password), `the password leaked into ${file}`);
});

test('Done: each resource links to the IBM Cloud console; the secrets are named by their keychain entries', async () => {
  // Without a way in, Provision leads to Observability, and Observability to Done.
  await session.next();
  await session.waitFor('label[for="obs-monitoring-create"]', 30000);
  await session.next();
  await session.waitFor('#done-resources tbody tr[data-step="instance"]', 30000);
  const [database] = await api.databases();
  const link = await session.script(
    'return document.querySelector(\'#done-resources tr[data-step="instance"] a\')?.getAttribute("href")',
  );
  assert.equal(link, `https://cloud.ibm.com/services/databases-for-postgresql/${encodeURIComponent(database.crn)}`);
  const secrets = await session.text(await session.find('#done-secrets'));
  assert.match(secrets, /ibmcloud-api-key/);
  assert.match(await session.text(await session.find('#done-skipped')), /private path/);
  await session.screenshot('18b-done');
  await session.accessible('Done');
});

test('Exports: Done hands the applied plan to Terraform with an import block per resource made, and saves it where the user says', async () => {
  const [database] = await api.databases();
  await session.click(await session.find('[data-export-tab="terraform"]'));
  const terraform = await session.waitForText('#export-terraform-text', (t) => t.includes('import {'), 30000);
  assert.match(terraform, /version\s*=\s*"2\.5\.0"/);
  assert.ok(terraform.includes(`id = "${database.crn}"`), 'the database is imported by its CRN');
  assert.match(await session.text(await session.find('#export-terraform-about')), /imports the 2 resources/);
  assert.ok(!terraform.includes(KEY), 'no API key in the export');
  const file = join(appHome, 'handover.tf');
  await session.type(await session.find('#export-terraform-file'), file);
  await session.click(await session.find('#export-terraform-save'));
  await session.waitForText('#export-terraform-saved', (t) => t.includes(file));
  const saved = readFileSync(file, 'utf8');
  assert.equal((saved.match(/^import \{/gm) ?? []).length, 2, saved);
  assert.ok(saved.includes(database.crn));
  await session.click(await session.find('[data-export-tab="curl"]'));
  const curl = await session.waitForText('#export-curl-text', (t) => t.includes('/v2/resource_instances'), 30000);
  assert.ok(!curl.includes(KEY), 'no API key in the curl script');
  await session.screenshot('18b2-done-exports');
  await session.accessible('the exports in Done');

  // Review, reopened after the provision, hands over the same: the plan as applied.
  const goTo = (step) =>
    session.script(
      `(document.querySelector('[data-step-id="${step}"] button') ?? document.querySelector('[data-step-id="${step}"]')).click()`,
    );
  await goTo('review');
  await session.waitFor('#exports-heading', 30000);
  await session.click(await session.find('[data-export-tab="terraform"]'));
  const reviewed = await session.waitForText('#export-terraform-text', (t) => t.includes('import {'), 30000);
  assert.ok(reviewed.includes(`id = "${database.crn}"`));
  await goTo('done');
  await session.waitFor('#done-resources tbody tr[data-step="instance"]', 30000);
});

test('Observability: Monitoring, activity tracking and platform logs join the finished plan once the account-wide changes are confirmed', async () => {
  teamLogs = await api.makeCloudLogs('team-logs');
  // Without a way in, Done comes after Observability.
  await session.click(await session.find('#back-button'));
  await session.waitFor('label[for="obs-monitoring-create"]', 30000);
  await session.click(await session.find('label[for="obs-monitoring-create"]'));
  await session.waitForText('#obs-monitoring-cost', (t) => t.includes('per 1000') || t.includes('Billed by use'));
  // The sandbox's account has no metadata region: the change is shown whole, and Apply
  // waits for the confirmation.
  await session.waitForText('#obs-account-change-metrics-router', (t) => t.includes('Primary metadata region') && t.includes('(not set)'));
  // The team's Cloud Logs instance, made outside Onramp, is used and kept.
  await session.click(await session.find('label[for="obs-activity-existing"]'));
  await session.waitForText('#obs-activity-instance', (t) => t.includes('team-logs'));
  await session.waitForText('#obs-account-change-atracker', (t) => t.includes('every global event'));
  await session.click(await session.find('label[for="obs-platform-logs"]'));
  await session.waitForText('#obs-account-change-logs-router', (t) => t.includes('1 (v1 tenants)'));
  assert.equal(await session.script('return document.getElementById("obs-apply").disabled'), true);
  await session.screenshot('18c-observability');
  await session.script('document.getElementById("obs-platform-logs").scrollIntoView()');
  await session.screenshot('18c2-observability-logs');
  await session.script('document.getElementById("obs-account-change-logs-router").scrollIntoView()');
  await session.screenshot('18c3-observability-account-changes');
  await session.accessible('Observability, before the confirmation');
  await session.click(await session.find('label[for="obs-confirm-metrics-router"]'));
  await session.click(await session.find('label[for="obs-confirm-atracker"]'));
  await session.click(await session.find('label[for="obs-confirm-logs-router"]'));
  await waitFor('Apply to be enabled', async () => (await session.script('return document.getElementById("obs-apply").disabled')) === false, 10000);
  assert.deepEqual(await api.metrics('targets'), [], 'nothing is made before Apply');
  await session.click(await session.find('#obs-apply'));
  await session.waitFor('[data-step="metrics-route"]', 30000);
  await session.waitFor('[data-step="activity-route"]', 30000);
  await session.waitFor('[data-step="logs-route"]', 30000);
  await session.waitFor('#provision-outcome[data-outcome="Succeeded"]', 60000);
  // The picture of the plan shows the new resources, ready.
  const drawn = await session.script(
    'return [...document.querySelectorAll("#provision-diagram [data-diagram-step]")].map((b) => [b.getAttribute("data-diagram-step"), b.getAttribute("data-state")])',
  );
  assert.ok(drawn.some(([step, state]) => step === 'metrics-route' && state === 'ready'), JSON.stringify(drawn));
  await session.screenshot('18d-observability-applied');
  const [database] = await api.databases();
  const [monitoring] = await api.instances('sysdig-monitor');
  const [logs] = await api.instances('logs');
  const [target] = await api.metrics('targets');
  const [route] = await api.metrics('routes');
  assert.equal(target.destination_crn, monitoring.crn);
  assert.equal(target.write_status.status, 'success');
  const instanceFilter = route.rules[0].inclusion_filters.find((f) => f.operand === 'service_instance');
  assert.deepEqual(instanceFilter.values, [database.guid]);
  assert.equal((await api.metrics('settings')).primary_metadata_region, 'ca-mon');
  const [eventTarget] = await api.tracker('targets');
  const [eventRoute] = await api.tracker('routes');
  assert.equal(eventTarget.cloudlogs_endpoint.target_crn, logs.crn);
  assert.deepEqual(eventRoute.rules[0].locations, ['ca-mon', 'global']);
  const [logTarget] = await api.logs('targets');
  const [logRoute] = await api.logs('routes');
  assert.equal(logTarget.destination_crn, logs.crn, 'one Cloud Logs instance for events and logs');
  assert.deepEqual(logRoute.rules[0].inclusion_filters, [{ operand: 'location', operator: 'is', values: ['ca-mon'] }]);
  assert.equal((await api.logs('settings')).api_version, 3);
  await session.waitFor('#teardown-button');

  // A second plan started from the list keeps this one; switching back shows it done, with
  // its observability resources.
  await session.click(await session.find('#plans-button'));
  await session.waitFor('#plans-table tbody tr');
  await session.click(await session.find('#plans-new'));
  await session.waitFor('#plan-name');
  await session.click(await session.waitFor('#plans-button'));
  await session.waitForText('#plans-table', (t) => t.includes('Unnamed plan') && t.includes(NAME));
  await session.click(await session.find('#plans-table tr[data-current="false"] [data-action="open"]'));
  await session.waitFor('#done-resources tbody tr[data-step="metrics-route"]', 30000);
  await session.waitFor('#done-resources tbody tr[data-step="logs-route"]');
  await session.click(await session.find('#done-teardown'));
  await session.waitFor('#teardown-button');
});

test('Teardown: previewed, then everything the plan made is deleted, what it chose is kept, and the keychain entry is gone', async () => {
  const [database] = await api.databases();
  const [key] = await api.keys(database.guid);
  await session.click(await session.find('#teardown-button'));
  await session.waitForText('.cds--modal.is-visible', (t) => t.includes('3 days') || t.includes('sandbox'));
  await session.screenshot('19-teardown-preview');
  await session.accessible('the teardown preview');
  await session.click(await session.find('#teardown-confirm'));
  await session.waitFor('#provision-outcome[data-outcome="TornDown"]', 60000);
  await session.screenshot('20-torn-down');
  assert.deepEqual(await api.databases(), [], 'the sandbox holds no database');
  assert.deepEqual(await api.instances('sysdig-monitor'), [], 'nor the Monitoring instance the plan made');
  assert.deepEqual(
    (await api.instances('logs')).map((i) => i.guid),
    [teamLogs.guid],
    'the team\'s Cloud Logs instance, chosen in Observability, is kept',
  );
  assert.deepEqual(await api.tracker('routes'), []);
  assert.deepEqual(await api.tracker('targets'), []);
  assert.deepEqual(await api.logs('routes'), []);
  assert.deepEqual(await api.logs('targets'), []);
  assert.deepEqual(await api.metrics('routes'), []);
  assert.deepEqual(await api.metrics('targets'), []);
  // Metrics Routing cannot unset an account's metadata region: teardown leaves it, and said so.
  assert.equal((await api.metrics('settings')).primary_metadata_region, 'ca-mon');
  assert.equal(keychainLookup(SERVICE, `credential:${key.guid}`), null);
});
