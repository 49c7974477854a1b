// A command or connection string to copy into a terminal: shown whole (wrapped, never cut),
// with a button that copies it. The text is the element's only content, so what a user or a
// test reads from it is exactly what runs.
import { useState } from 'react';
import { Button } from '@carbon/react';

interface Props {
  id: string;
  /** What it is, e.g. "psql command"; also names the copy button for screen readers. */
  label: string;
  text: string;
}

/**
 * Copies text that is no secret (a command, an export) with the window's clipboard, and says
 * how it went, for a polite live region. Passwords go through the back end instead.
 */
export function useCopy(text: string) {
  const [copied, setCopied] = useState<null | 'copied' | 'failed'>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };
  const news =
    copied === 'copied'
      ? 'Copied.'
      : copied === 'failed'
        ? 'Onramp could not use the clipboard: select the text and copy it yourself.'
        : '';
  return { copy, news };
}

export function CommandBlock({ id, label, text }: Props) {
  const { copy, news } = useCopy(text);

  return (
    <div className="onramp-command">
      <div className="onramp-command__head">
        <span className="cds--label onramp-command__label">{label}</span>
        <Button id={`${id}-copy`} kind="ghost" size="sm" onClick={() => void copy()}>
          Copy<span className="cds--visually-hidden"> the {label}</span>
        </Button>
      </div>
      <pre id={id} className="onramp-command__text">
        {text}
      </pre>
      <p className="onramp-command__feedback" aria-live="polite">
        {news}
      </p>
    </div>
  );
}
