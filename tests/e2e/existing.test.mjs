// End to end (issue 19): a team already has a Gen 2 database, made through the sandbox's API
// with a credential of its own. In the real window the newcomer picks it in Basics ("Use a
// database I already have"), builds the private path around it, connects (the doctor passes),
// scales its storage 20 → 40 GB from Done, and tears the plan down: the path and Onramp's
// credential are gone; the database and its own credential live on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';

import { ROOT, startSandbox, startDriver, Session, sandboxApi, waitFor } from './webdriver.mjs';

const SERVICE = 'cloud.onramp.desktop.test';
const APP = process.env.ONRAMP_E2E_APP ?? join(ROOT, 'target/debug/onramp');
const KEY = randomBytes(33).toString('base64url');
const REGION = 'ca-mon';

let sandbox;
let api;
let driver;
let session;
let theirs;
let theirKey;

before(async () => {
  sandbox = await startSandbox(KEY, ['--provision-seconds', '4']);
  api = await sandboxApi(sandbox);
  theirs = await api.makeDatabase('team-db', 20);
  theirKey = await api.makeKey(theirs.crn, 'team-app');
  const home = mkdtempSync(join(tmpdir(), 'onramp-e2e-existing-'));
  driver = await startDriver({
    ONRAMP_CLOUD_ENDPOINTS: sandbox.endpointsPath,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
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

test('Basics: the team’s database is listed and chosen; Sizing and Encryption are its own', async () => {
  await session.waitFor('#account-tile');
  await session.click(await session.find('label[for="mode-ibm-cloud"]'));
  await session.type(await session.waitFor('#api-key'), KEY);
  await session.click(await session.find('#connect'));
  await session.waitForText('#account-id', (t) => t === sandbox.endpoints.account_id);
  await session.next();
  await session.click(await session.waitFor('label[for="basics-existing"]'));
  const radio = `existing-${theirs.guid}`;
  const listed = await session.waitForText('#existing-databases', (t) => t.includes('team-db'));
  assert.match(listed, /ca-mon · active · 2 × .*, 20 GB per member/);
  await session.click(await session.find(`label[for="${radio}"]`));
  await session.waitForText('#existing-chosen', (t) => t.includes('team-db'));
  await session.screenshot('50-basics-existing');
  await session.accessible('Basics with an existing database');
  await session.next();
  await session.waitForText('#step', (t) => /uses your database team-db, which runs 2 × .* with 20 GB per member/.test(t));
  await session.next();
  await session.waitForText('#step', (t) => t.includes('keeps the encryption it was made with'));
  await session.next();
});

test('Connectivity and Review: the path is built around the database, which is kept', async () => {
  await session.waitFor('#conn-build');
  await waitFor('the suggested image', async () => (await value('conn-jump-image')) !== '');
  await session.next();
  const review = await session.waitForText('#step', (t) => t.includes('team-db') && t.includes('onramp-vpe-'), 30000);
  assert.match(review, /The database you already have: used, never changed or deleted by the plan/);
  await session.screenshot('51-review-existing');
  await session.click(await session.find('#apply-button'));
  await session.waitFor('#provision-outcome[data-outcome="Succeeded"]', 120000);
  const databases = await api.databases();
  assert.equal(databases.length, 1, 'no second database');
  const keys = (await api.keys(theirs.guid)).map((k) => k.name).sort();
  assert.deepEqual(keys, ['onramp-manager', 'team-app']);
  await session.click(await session.waitFor('#go-connect'));
});

test('Connect: the doctor passes all five stages through the new path', async () => {
  await session.click(await session.waitFor('#tunnel-open-button', 30000));
  await session.waitForText('#tunnel-status', (t) => /127\.0\.0\.1:\d+/.test(t), 30000);
  await session.click(await session.find('#doctor-button'));
  for (const stage of ['dns', 'tcp', 'tls', 'login', 'query']) {
    await session.waitFor(`#doctor-stages [data-stage="${stage}"][data-status="passed"]`, 60000);
  }
});

test('Scale from Done: 20 → 40 GB, followed live, then in the instance', async () => {
  await session.next(); // Users
  await session.next(); // Observability
  await session.waitFor('label[for="obs-monitoring-create"]', 30000);
  await session.next(); // Done
  await session.waitForText('#scale', (t) => t.includes('20 GB per member now'), 30000);
  const storage = await session.find('#scale-storage');
  await session.type(storage, '10');
  await session.waitForText('#scale-storage-error-msg', (t) => /cannot shrink: it is 20 GB/.test(t));
  await session.type(storage, '40');
  await session.waitForText('#scale-cost', (t) => t.includes('after the change'));
  await session.click(await session.find('#scale-apply'));
  await session.waitForText('#scale-done', (t) => t.includes('40 GB per member'), 60000);
  const [after] = await api.databases();
  assert.equal(after.extensions.dataservices.postgresql.storage_gb, 40);
  await session.screenshot('52-done-existing-scaled');
  await session.accessible('Done with an existing database, scaled');
});

test('Teardown: the path and Onramp’s credential go; the database and its own credential stay', async () => {
  await session.click(await session.find('#done-teardown'));
  await session.click(await session.waitFor('#teardown-button'));
  const items = await session.waitForText('#teardown-items', (t) => t.includes('team-db'));
  assert.match(items, /Kept: you chose this database/);
  await session.click(await session.waitFor('#teardown-confirm'));
  await session.waitFor('#provision-outcome[data-outcome="TornDown"]', 120000);
  for (const collection of ['vpcs', 'subnets', 'keys', 'instances', 'floating_ips', 'endpoint_gateways']) {
    assert.deepEqual(await api.vpc(REGION, collection), [], `${collection} left behind`);
  }
  const [database] = await api.databases();
  assert.equal(database.guid, theirs.guid);
  assert.equal(database.state, 'active');
  assert.deepEqual((await api.keys(theirs.guid)).map((k) => k.guid), [theirKey.guid]);
});
