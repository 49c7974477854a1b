// What every UI test starts from: a clean DOM and the browser APIs jsdom lacks.
import { afterAll, afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';

import { saveRecorded } from './rules';

afterEach(() => cleanup());
// While `npm run rules` records, each test file adds what Rust answered to rules.json.
afterAll(() => saveRecorded());

// jsdom has no ResizeObserver (every webview Onramp runs in does); Carbon's modal body
// observes its own size to decide whether it scrolls. Nothing resizes in jsdom, so an
// observer that never calls back is faithful enough.
if (!('ResizeObserver' in globalThis)) {
  class ResizeObserver {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  Object.assign(globalThis, { ResizeObserver });
}

// jsdom has no CSS.escape either; user-event needs it to move through a radio group with the
// arrow keys. Radio names here are plain words, so quoting the few special characters will do.
if (typeof globalThis.CSS === 'undefined' || typeof globalThis.CSS.escape !== 'function') {
  const escape = (value: string) => value.replace(/[^a-zA-Z0-9_-]/g, (c) => `\\${c}`);
  Object.assign(globalThis, { CSS: { ...(globalThis.CSS ?? {}), escape } });
}

// Nor matchMedia: Carbon's tabs ask it which breakpoint the window is at. jsdom lays nothing
// out and has no width, so no media query matches (Carbon then takes the small layout).
if (typeof window.matchMedia !== 'function') {
  const matchMedia = (media: string): MediaQueryList => ({
    media,
    matches: false,
    onchange: null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    addListener: () => undefined,
    removeListener: () => undefined,
    dispatchEvent: () => false,
  });
  Object.assign(window, { matchMedia });
}
