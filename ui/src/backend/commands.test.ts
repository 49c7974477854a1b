// The window's side of the one command list: every command the generated bindings hold (from
// the registry in src-tauri/app/src/lib.rs) is reached by the Tauri back end, so a command
// added in Rust and forgotten here fails this test rather than a user's click.
import { describe, expect, it } from 'vitest';

import bindings from './bindings.ts?raw';
import tauri from './tauri.ts?raw';

describe('the command list', () => {
  it('has every generated command used by the Tauri back end', () => {
    const generated = [...bindings.matchAll(/^async (\w+)\(/gm)].map((m) => m[1]);
    expect(generated.length).toBeGreaterThanOrEqual(40);
    const unused = generated.filter((name) => !tauri.includes(`commands.${name}(`));
    expect(unused).toEqual([]);
  });
});
