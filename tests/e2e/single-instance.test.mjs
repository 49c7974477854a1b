// End to end: Onramp is one writer of its plans, so a second launch must not open a second
// window. It hands over to the first (which comes forward and logs it) and exits, and the
// first window goes on working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, startDriver, Session, readTree, waitFor } from './webdriver.mjs';

const APP = process.env.ONRAMP_E2E_APP ?? join(ROOT, 'target/debug/onramp');

let driver;
let session;
let appHome;
let env;

before(async () => {
  appHome = mkdtempSync(join(tmpdir(), 'onramp-e2e-instance-'));
  env = {
    XDG_DATA_HOME: join(appHome, 'data'),
    XDG_CONFIG_HOME: join(appHome, 'config'),
    XDG_CACHE_HOME: join(appHome, 'cache'),
  };
  driver = await startDriver(env);
  session = await Session.start(driver.base, APP);
});

after(async () => {
  await session?.end();
  await driver?.stop();
});

/** Launches the app as a user would a second time; resolves with its exit code, or null if still running after `ms`. */
function launchAgain(ms) {
  const second = spawn(APP, [], { env: { ...process.env, ...env }, stdio: 'ignore' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      second.kill('SIGKILL');
      resolve(null);
    }, ms);
    second.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('a second launch hands over to the open window and exits', async () => {
  await session.waitFor('#account-tile');
  const code = await launchAgain(20000);
  assert.equal(code, 0, code === null ? 'the second launch was still running after 20 s (a second window)' : `exit ${code}`);

  const logs = () => readTree(env.XDG_DATA_HOME).filter((f) => f.file.includes('/logs/'));
  await waitFor('the first window to log the second launch', async () =>
    logs().some((f) => f.text.includes('launched again')),
  );

  // The first window still answers.
  const tile = await session.find('#account-tile');
  assert.ok(tile);
  assert.match(await session.call('GET', '/title'), /Onramp/);
});
