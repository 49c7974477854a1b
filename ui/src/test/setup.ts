import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';

afterEach(() => cleanup());

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
