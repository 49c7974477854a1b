// End to end: the real app binary (test build), driven through tauri-driver and
// WebKitWebDriver, completes the Account step against the sandbox binary's IAM, with the
// real Secret Service keychain. Run by `./onramp.sh test` inside Xvfb and a D-Bus session
// with an unlocked gnome-keyring.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { ROOT, startSandbox, startDriver, Session, keychainLookup, readTree } from './webdriver.mjs';

const SERVICE = 'cloud.onramp.desktop.test';
const ENTRY = 'ibmcloud-api-key';
const APP = process.env.ONRAMP_E2E_APP ?? join(ROOT, 'target/debug/onramp');
// Shaped like a real IBM Cloud API key: 44 characters of base64url.
const KEY = randomBytes(33).toString('base64url');
const WRONG_KEY = randomBytes(33).toString('base64url');

let sandbox;
let driver;
let session;
let appHome;

before(async () => {
  assert.equal(keychainLookup(SERVICE, ENTRY), null, 'the test keychain starts without a key');
  sandbox = await startSandbox(KEY);
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
});

test('starts in Sandbox mode, signed in to the embedded sandbox', async () => {
  await session.waitFor('#account-tile');
  const accountId = await session.text(await session.find('#account-id'));
  assert.match(accountId, /^[0-9a-f]{32}$/);
  const radio = await session.script('return document.getElementById("mode-sandbox").checked');
  assert.equal(radio, true, 'Sandbox is the default');
  const later = await session.script('return [...document.querySelectorAll(".cds--progress-step--disabled")].length');
  assert.equal(later, 9, 'signed in, Basics opens; every step after it is visible but disabled');
  await session.screenshot('01-account-sandbox');
});

test('IBM Cloud mode asks for a key; an empty one is refused at the field', async () => {
  await session.click(await session.find('label[for="mode-ibm-cloud"]'));
  const input = await session.waitFor('#api-key');
  assert.ok(input);
  await session.screenshot('02-account-ibm-cloud');
  await session.click(await session.find('#connect'));
  const message = await session.waitForText('#api-key-error-msg', (t) => t.length > 0);
  assert.match(message, /Paste an IBM Cloud API key\./);
  await session.screenshot('03-account-empty-key');
});

test('a wrong key shows IAM’s own message at the field and stores nothing', async () => {
  await session.type(await session.find('#api-key'), WRONG_KEY);
  await session.click(await session.find('#connect'));
  const message = await session.waitForText('#api-key-error-msg', (t) => t.includes('could not be found'));
  assert.match(message, /Provided API key could not be found\./);
  assert.equal(keychainLookup(SERVICE, ENTRY), null, 'a rejected key is not stored');
  await session.screenshot('04-account-wrong-key');
});

test('the right key shows the account and lands in the keychain, and nowhere else', async () => {
  await session.type(await session.find('#api-key'), KEY);
  await session.click(await session.find('#connect'));
  const accountId = await session.waitForText('#account-id', (t) => t === sandbox.endpoints.account_id);
  assert.equal(accountId, sandbox.endpoints.account_id);
  const keyNote = await session.text(await session.find('#account-key'));
  assert.match(keyNote, /Stored in your system keychain/);
  assert.equal(keychainLookup(SERVICE, ENTRY), KEY, 'secret-tool reads the key back from the Secret Service');

  const page = await session.script('return document.documentElement.outerHTML');
  assert.ok(!page.includes(KEY), 'the window does not hold the key once connected');
  const files = readTree(appHome);
  assert.ok(files.some((f) => f.file.includes('/logs/')), 'the app logs to its log dir');
  for (const { file, text } of files) assert.ok(!text.includes(KEY), `the key leaked into ${file}`);
  await session.screenshot('05-account-connected');
});

test('Forget key deletes it from the keychain', async () => {
  await session.click(await session.find('#forget-key'));
  await session.waitFor('#api-key');
  assert.equal(keychainLookup(SERVICE, ENTRY), null, 'the key is gone from the keychain');
  await session.screenshot('06-account-forgotten');
});
