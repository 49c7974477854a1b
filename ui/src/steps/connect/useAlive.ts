// Whether the component that asked is still on screen: answers that arrive after it left
// are dropped instead of setting state on nothing.
import { useEffect, useRef } from 'react';

export function useAlive() {
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  return alive;
}
