// The window's entry point: mounts the app on the Tauri back end.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import './styles.scss';
import { App } from './App';
import { withEarlyAccountStatus } from './backend/early';
import { tauriBackend } from './backend/tauri';

performance.mark('onramp:script');
// Asked before anything renders (see early.ts).
const backend = withEarlyAccountStatus(tauriBackend);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App backend={backend} />
    </StrictMode>,
  );
}
