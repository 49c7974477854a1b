// The window's entry point: mounts the app on the Tauri back end.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import './styles.scss';
import { App } from './App';
import { tauriBackend } from './backend/tauri';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App backend={tauriBackend} />
    </StrictMode>,
  );
}
