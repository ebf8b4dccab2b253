// Text a peer chose (an AE title, a UID, a message with either in it) made
// safe to print: a newline in a calling AE title must not start a forged log
// line, and an ANSI escape must not reach the operator's terminal.

/**
 * C0 controls (newline, ESC, ...), DEL, C1 controls, the Unicode line and
 * paragraph separators and the bidirectional overrides ("Trojan Source").
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `s` with every control character written as an escape (`\n`, `\x1b`, `\u2028`). */
export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
