// Reveal and Copy for one password kept in the keychain. The password is asked of the back end
// only on Reveal, and kept in this component's state while it is shown (Hide, or leaving the
// step, drops it). Copy never brings it to the window: the back end puts it on the clipboard
// and clears it from there a minute later.
import { useEffect, useRef, useState } from 'react';
import { Button } from '@carbon/react';

import { asAppError, type AppError } from '../backend';

interface Props {
  revealId: string;
  copyId: string;
  /** Marks the buttons `data-action="<action>-reveal"` and `"<action>-copy"`, for rows that repeat them. */
  action?: string;
  /** Whose password it is, for the buttons' names ("Reveal password of mary"). */
  who: string;
  read: () => Promise<string>;
  /** Copies the password to the clipboard in the back end. */
  copy: () => Promise<void>;
  /** The id of the text saying why the password cannot be had; both buttons are then disabled. */
  unavailableReason?: string;
}

/** What the user hears after Copy: where the password went, and for how long. */
export const COPIED = 'Copied the password. Onramp clears it from the clipboard in a minute.';

const said = (error: AppError) => [error.message, error.hint].filter(Boolean).join(' ');

export function SecretActions({ revealId, copyId, action, who, read, copy, unavailableReason }: Props) {
  const [shown, setShown] = useState<string | null>(null);
  const [news, setNews] = useState('');
  // Each reveal is numbered: an answer that arrives after Hide (or a newer click) is dropped.
  const asked = useRef(0);
  const busy = useRef(false);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const toggle = async () => {
    if (shown !== null) {
      asked.current += 1;
      setShown(null);
      setNews('');
      return;
    }
    if (busy.current) return;
    busy.current = true;
    const mine = ++asked.current;
    setNews('');
    try {
      const password = await read();
      if (alive.current && mine === asked.current) setShown(password);
    } catch (e) {
      if (alive.current) setNews(`Onramp could not read the password: ${said(asAppError(e))}`);
    } finally {
      busy.current = false;
    }
  };

  const copyIt = async () => {
    setNews('');
    try {
      await copy();
      if (alive.current) setNews(COPIED);
    } catch (e) {
      if (alive.current) setNews(`Onramp could not copy the password: ${said(asAppError(e))}`);
    }
  };

  const disabled = unavailableReason !== undefined;
  // The buttons keep their visible words; screen readers also hear whose password it is.
  const whose = <span className="cds--visually-hidden"> of {who}</span>;
  return (
    <div className="onramp-secret">
      <div className="onramp-secret__buttons">
        <Button
          id={revealId}
          data-action={action && `${action}-reveal`}
          kind="ghost"
          size="sm"
          disabled={disabled}
          aria-describedby={unavailableReason}
          onClick={() => void toggle()}
        >
          {shown === null ? 'Reveal password' : 'Hide password'}
          {whose}
        </Button>
        <Button
          id={copyId}
          data-action={action && `${action}-copy`}
          kind="ghost"
          size="sm"
          disabled={disabled}
          aria-describedby={unavailableReason}
          onClick={() => void copyIt()}
        >
          Copy password
          {whose}
        </Button>
      </div>
      {shown !== null && (
        <code id={`${revealId}-password`} className="onramp-secret__value onramp-selectable">
          {shown}
        </code>
      )}
      <p className="onramp-connect__feedback" aria-live="polite">
        {news}
      </p>
    </div>
  );
}
