/**
 * Sentences of a list (drivers, actions) as one text, as exports show them: written once
 * with the score or the alert, so a CSV of hundreds of thousands of rows parses no json.
 */
export function joinTexts(items: ReadonlyArray<{ text: string }>): string | null {
  return items.length === 0 ? null : items.map((i) => i.text).join(' | ');
}
