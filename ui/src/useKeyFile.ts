// The private key file of a plan that logs in with the user's own SSH key. Connect and Users
// both open the tunnel with it, so it is held above them: typed once, used by both. It
// belongs to one plan; another plan starts with none.
import { useCallback, useState } from 'react';

export interface KeyFileModel {
  /** The path as typed, or null until it is. */
  keyFile: string | null;
  setKeyFile(path: string): void;
}

export function useKeyFile(planId: string | null): KeyFileModel {
  const [typed, setTyped] = useState<{ planId: string; path: string } | null>(null);
  const setKeyFile = useCallback(
    (path: string) => {
      if (planId) setTyped({ planId, path });
    },
    [planId],
  );
  return { keyFile: typed && typed.planId === planId ? typed.path : null, setKeyFile };
}
