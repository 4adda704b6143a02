/**
 * The JSON text of records the store hands out. Records are frozen and replaced on write, so a
 * record's text never changes: it is made once (events: the very line written to events.jsonl)
 * and list pages are assembled from it instead of serializing every record on every read.
 */
const texts = new WeakMap<object, string>();

export function jsonOf(record: object): string {
  let text = texts.get(record);
  if (text === undefined) {
    text = JSON.stringify(record);
    // An object that may still change is serialized each time.
    if (Object.isFrozen(record)) texts.set(record, text);
  }
  return text;
}

/** Remember the text a record was just serialized to (or parsed from); the caller does not change it afterwards. */
export function rememberJson(record: object, text: string): void {
  texts.set(record, text);
}
