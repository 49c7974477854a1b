// The .deb carries a desktop entry, icons and the binary, and the installed binary opens
// Onramp's window. ONRAMP_DEB names the package (./onramp.sh test sets it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDriver, Session } from './webdriver.mjs';

const deb = process.env.ONRAMP_DEB;
let driver;
let session;

after(async () => {
  await session?.end();
  await driver?.stop();
});

test('the .deb unpacks to a binary, a desktop entry and icons, and the binary opens the window', async () => {
  assert.ok(deb && existsSync(deb), `ONRAMP_DEB must name a built .deb (got ${deb})`);
  const root = mkdtempSync(join(tmpdir(), 'onramp-deb-'));
  execFileSync('dpkg-deb', ['-x', deb, root]);
  const control = execFileSync('dpkg-deb', ['-f', deb, 'Package', 'Depends', 'Recommends'], { encoding: 'utf8' });
  const depends = control.match(/^Depends: (.*)$/m)?.[1].split(', ') ?? [];
  assert.ok(depends.includes('libwebkit2gtk-4.1-0'), control);
  assert.equal(new Set(depends).size, depends.length, `each dependency once: ${control}`);
  // Sandbox mode, the default, makes real clusters with the PostgreSQL server binaries, and
  // every mode keeps secrets in a Secret Service provider.
  assert.ok(depends.some((d) => /(^| )postgresql-1[5-9]( |$)/.test(d)), control);
  assert.ok(depends.some((d) => d.includes('gnome-keyring')), control);
  assert.match(control, /^Recommends: .*postgresql-client.*openssh-client/m);
  // Only the app's own binary: developer tools are not installed on users' PATH.
  const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
  const binaries = listing.split('\n').filter((l) => / \.\/usr\/bin\/./.test(l) || / usr\/bin\/./.test(l));
  assert.deepEqual(binaries.map((l) => l.split(/\s+/).pop()), ['usr/bin/onramp'], listing);

  const binary = join(root, 'usr/bin/onramp');
  assert.ok(existsSync(binary), 'usr/bin/onramp is in the package');
  const desktop = readFileSync(join(root, 'usr/share/applications/Onramp.desktop'), 'utf8');
  assert.match(desktop, /^Exec=onramp/m);
  assert.match(desktop, /^Icon=onramp/m);
  assert.ok(existsSync(join(root, 'usr/share/icons/hicolor/128x128/apps/onramp.png')), '128px icon installed');

  const home = mkdtempSync(join(tmpdir(), 'onramp-deb-home-'));
  driver = await startDriver({ XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') });
  session = await Session.start(driver.base, binary);
  const title = await session.waitForText('#account-title', (t) => t === 'Account');
  assert.equal(title, 'Account');
  await session.waitFor('#account-tile');
  await session.screenshot('10-installed-deb');
});
