/**
 * Text from files (package labels, file names, error messages quoting manifest fields) printed by the CLI. A label
 * holding `ESC[2K` or `ESC[1A` can erase or overwrite lines on a terminal — e.g. hide the UNTRAINED warning — so
 * every such character is shown as an escape instead of being sent raw.
 */

/** C0 controls, DEL, C1 controls (0x9B is a one-byte CSI on some terminals) and bidi overrides/isolates/marks. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.codePointAt(0)!.toString(16).padStart(width, '0');

/** For plain-text lines: `\x1b`, `\x9b`, `\u202e` … (visible, unambiguous, never interpreted). */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => (c.codePointAt(0)! < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** Multi-line text (a stack trace): each line escaped, the line breaks kept. */
export function escapeLinesForTerminal(text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n');
}

/**
 * For JSON text: JSON.stringify already escapes C0 controls, not DEL, C1 or bidi characters; those become `\u00XX`
 * escapes — the same JSON value, safe to `cat`.
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

/** UNSAFE less C0: JSON.stringify escapes those inside strings, and outside them only its own `\n` and spaces occur. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
