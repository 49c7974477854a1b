// Done's Scale panel: host flavor, members and storage for the plan's database. Every change is
// checked by the back end's rules (each problem at its field, nothing sent) and priced before and
// after; Scale sends it and follows the update to its end. A scale cut off by a quit can be
// continued from here.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Button, InlineLoading, InlineNotification, Select, SelectItem, Stack, TextInput } from '@carbon/react';

import { asAppError, type AppError, type Backend, type FlavorOffer, type ScalePreview, type ScaleProgress, type Size } from '../backend';
import { formatMoney } from '../plan';
import { invalidProps } from './StepHeading';

type Props = {
  backend: Backend;
  planId: string;
  /** The size the journal has for the database (Done's summary): where the panel starts. */
  size: Size;
  /** The location's host flavors, when the offerings are loaded. */
  flavors: FlavorOffer[];
  /** Told when a scale reached its size, so the rest of Done can read the plan again. */
  onScaled: () => void;
};

const PANEL = 'scale';

const sizeText = (s: Size) => `${s.members} × ${s.hostFlavor}, ${s.storageGb} GB per member`;

export function ScalePanel({ backend, planId, size, flavors, onScaled }: Props) {
  const [target, setTarget] = useState<Size | null>(null);
  const [storageText, setStorageText] = useState('');
  const [preview, setPreview] = useState<ScalePreview | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [progress, setProgress] = useState<ScaleProgress | null>(null);
  const [running, setRunning] = useState(false);
  const asked = useRef(0);

  const check = useCallback(
    async (size: Size) => {
      const n = ++asked.current;
      try {
        const answer = await backend.scalePreview(planId, size);
        if (n === asked.current) {
          setPreview(answer);
          setError(null);
        }
      } catch (e) {
        if (n === asked.current) setError(asAppError(e));
      }
    },
    [backend, planId],
  );

  // First, the size the database reports now (it may differ from the journal's after a change
  // made in the console): the starting point of the fields.
  useEffect(() => {
    let gone = false;
    backend.scalePreview(planId, size).then(
      (start) => {
        if (gone) return;
        setTarget(start.current);
        setStorageText(String(start.current.storageGb));
        setPreview(start);
      },
      (e: unknown) => {
        if (!gone) setError(asAppError(e));
      },
    );
    return () => {
      gone = true;
    };
    // Once per plan: a scale updates the fields itself, and `size` then follows it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [backend, planId]);

  const change = (patch: Partial<Size>) => {
    if (!target) return;
    const next = { ...target, ...patch };
    setTarget(next);
    setProgress(null);
    void check(next);
  };

  const run = async (size: Size | null) => {
    setRunning(true);
    setError(null);
    try {
      const reached = await backend.scaleDatabase(planId, size, setProgress);
      setTarget(reached);
      setStorageText(String(reached.storageGb));
      await check(reached);
      onScaled();
    } catch (e) {
      setError(asAppError(e));
    } finally {
      setRunning(false);
    }
  };

  const problems = preview?.problems ?? [];
  const at = (field: string) => problems.find((p) => p.field === field)?.message ?? (error?.field === field ? error.message : undefined);
  const unchanged = Boolean(preview && target && sizeText(preview.current) === sizeText(target));
  const panelProblem = unchanged ? undefined : at(PANEL);
  const money = (n: number, currency: string) => formatMoney(n, currency);
  const offered = target ? flavors.some((f) => f.id === target.hostFlavor) : true;

  return (
    <Stack gap={5} as="section" aria-labelledby="scale-title" id="scale">
      <h2 id="scale-title" className="onramp-review__heading">
        Scale the database
      </h2>
      <p className="onramp-step__text">
        {preview
          ? `It runs ${sizeText(preview.current)} now. Storage can grow but never shrink; members and the host flavor can go either way.`
          : 'Reading the size the database runs at…'}
      </p>
      {target && preview && (
        <>
          <div className="onramp-scale__fields">
            <Select
              id="scale-flavor"
              labelText="Host flavor"
              value={target.hostFlavor}
              disabled={running}
              onChange={(e) => change({ hostFlavor: e.target.value })}
              {...invalidProps('scale-flavor', at('hostFlavor'))}
            >
              {!offered && <SelectItem value={target.hostFlavor} text={`${target.hostFlavor} (not offered here)`} />}
              {flavors.map((f) => (
                <SelectItem key={f.id} value={f.id} text={`${f.id} (${f.cpu} vCPU, ${f.memoryGb} GB)`} />
              ))}
            </Select>
            <Select
              id="scale-members"
              labelText="Members"
              value={String(target.members)}
              disabled={running}
              onChange={(e) => change({ members: Number(e.target.value) })}
              {...invalidProps('scale-members', at('members'))}
            >
              <SelectItem value="2" text="2 (two zones)" />
              <SelectItem value="3" text="3 (three zones)" />
            </Select>
            <TextInput
              id="scale-storage"
              type="number"
              inputMode="numeric"
              step={1}
              labelText="Storage per member (GB)"
              helperText={`At least ${preview.current.storageGb} GB: the disk never shrinks.`}
              value={storageText}
              disabled={running}
              onChange={(e) => {
                setStorageText(e.target.value);
                const gb = Number(e.target.value);
                change({ storageGb: e.target.value.trim() === '' || !Number.isFinite(gb) ? -1 : Math.trunc(gb) });
              }}
              {...invalidProps('scale-storage', at('storageGb'))}
            />
          </div>
          <p id="scale-cost" className="onramp-step__text">
            Monthly estimate: {money(preview.costBefore.monthlyKnown, preview.costBefore.currency)} now
            {unchanged ? '' : `, ${money(preview.costAfter.monthlyKnown, preview.costAfter.currency)} after the change`}
            {preview.costAfter.complete ? '.' : ' (some prices are not listed: a lower bound).'}
          </p>
          {preview.note && !unchanged && <p className="onramp-step__text">{preview.note}</p>}
          {panelProblem && (
            <InlineNotification id="scale-problem" kind="warning" lowContrast hideCloseButton title={panelProblem} />
          )}
          {preview.underWay && !running && (
            <InlineNotification
              id="scale-under-way"
              kind="info"
              lowContrast
              hideCloseButton
              title={`A scale to ${sizeText(preview.underWay)} did not finish.`}
              subtitle="Continue follows it to its end (it is sent again only if IBM Cloud did not get it)."
            />
          )}
          <div className="onramp-review__toolbar">
            <Button
              id="scale-apply"
              kind="primary"
              size="md"
              disabled={running || unchanged || problems.length > 0}
              onClick={() => void run(target)}
            >
              Scale to {target.members} × {target.hostFlavor}, {target.storageGb > 0 ? target.storageGb : '?'} GB
            </Button>
            {preview.underWay && (
              <Button id="scale-continue" kind="tertiary" size="md" disabled={running} onClick={() => void run(null)}>
                Continue the scale
              </Button>
            )}
          </div>
        </>
      )}
      {running && progress && (
        <InlineLoading
          id="scale-progress"
          status="active"
          description={
            progress.stage === 'Sending'
              ? `Asking IBM Cloud for ${sizeText(progress.target)}…`
              : `Update in progress (${Math.round(progress.elapsedMs / 1000)} s): ${progress.detail ?? 'the database moves to its new size'}.`
          }
        />
      )}
      {!running && progress?.stage === 'Done' && (
        <InlineNotification
          id="scale-done"
          kind="success"
          lowContrast
          hideCloseButton
          title={`Scaled: the database runs ${sizeText(progress.target)}.`}
        />
      )}
      {error && !error.field && (
        <InlineNotification
          id="scale-error"
          kind="error"
          lowContrast
          hideCloseButton
          role="alert"
          title={error.message}
          subtitle={error.hint ?? undefined}
        />
      )}
      {error?.field === PANEL && (
        <InlineNotification id="scale-error" kind="error" lowContrast hideCloseButton role="alert" title={error.message} />
      )}
    </Stack>
  );
}
