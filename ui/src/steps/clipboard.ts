// Passwords go to the clipboard straight from the back end's answer, never through state.

/**
 * Writes text still on its way (the password is asked for on click) to the clipboard. WebKit,
 * the webview on macOS and Linux, allows a clipboard write only within the click that asked
 * for it, so the promise goes into a ClipboardItem at once instead of being awaited first.
 */
export async function copyWhenReady(text: Promise<string>): Promise<void> {
  const clipboard = navigator.clipboard;
  if (!clipboard) throw new Error('this window has no clipboard');
  if (typeof ClipboardItem !== 'undefined' && typeof clipboard.write === 'function') {
    const blob = text.then((t) => new Blob([t], { type: 'text/plain' }));
    await clipboard.write([new ClipboardItem({ 'text/plain': blob })]);
  } else {
    await clipboard.writeText(await text);
  }
}
