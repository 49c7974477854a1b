// `npm run rules`: records what the real Rust rules answer for every input the UI tests ask
// about into src/test/rules.json. It builds `onramp-rules`, runs the UI tests once with it
// answering (one file at a time, so the recordings do not overwrite each other), then runs
// them again on the recording alone. A Rust test (onboarding/tests/rules_fresh.rs) fails when
// the recording no longer matches the rules.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ui = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (file, args, options = {}) => execFileSync(file, args, { stdio: 'inherit', ...options });

run('cargo', ['build', '--quiet', '-p', 'onramp-onboarding', '--bin', 'onramp-rules'], { cwd: root });
writeFileSync(`${ui}src/test/rules.json`, '{"values":{},"answers":[]}\n');
try {
  run('npx', ['vitest', 'run', '--no-file-parallelism', '--testTimeout=60000'], {
    cwd: ui,
    env: {
      ...process.env,
      ONRAMP_RULES_RECORD: `${root}target/debug/onramp-rules`,
      ONRAMP_RULES_FILE: `${ui}src/test/rules.json`,
    },
  });
} catch {
  console.error('Some tests failed while recording; the recording is kept. Fix them, then run this again.');
}
run('npx', ['vitest', 'run'], { cwd: ui });
