/** Cuts text to `max` characters (code points), ending in an ellipsis when it was longer. */
export function clip(text: string, max: number): string {
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('')}…`;
}

/** A message's text as a notification quotes it: on one line, at most 140 characters. */
export function preview(body: string | null, fallback: string): string {
  const line = (body ?? '').replace(/\s+/g, ' ').trim();
  return line === '' ? fallback : clip(line, 140);
}
