// Later steps' code, loaded beside the first step instead of before it. A loadable keeps
// one identity from first render on (the loaded component renders inside it), so the
// chunk's arrival never remounts a step or loses what was typed into it; and every step is
// fetched as soon as the first one has painted, so a step is almost never waited for.
import { Suspense, type ComponentType, type ReactNode } from 'react';

type Load<P> = () => Promise<ComponentType<P>>;

export type Loadable<P> = ComponentType<P> & { preload: () => Promise<void> };

export function loadable<P extends object>(load: Load<P>): Loadable<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<void> | undefined;
  const preload = () =>
    (loading ??= load().then(
      (component) => {
        loaded = component;
      },
      (error: unknown) => {
        // A failed fetch may be retried on the next render.
        loading = undefined;
        throw error;
      },
    ));
  function Loaded(props: P) {
    if (!loaded) throw preload(); // Suspense waits on the thrown promise, then renders again.
    const Component = loaded;
    return <Component {...props} />;
  }
  return Object.assign(Loaded, { preload });
}

/** Where a step renders: a quiet placeholder while its code (rarely) still loads. */
export function StepSuspense({ children }: { children: ReactNode }) {
  return (
    <Suspense
      fallback={
        <div className="onramp-step" role="status">
          Loading…
        </div>
      }
    >
      {children}
    </Suspense>
  );
}
