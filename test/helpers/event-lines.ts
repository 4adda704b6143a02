/** `count` event-log lines from seq `from` (each about 250 bytes), as the event log stores them. */
export function eventLines(from: number, count: number, message = "m"): string {
  let text = "";
  for (let seq = from; seq < from + count; seq++) text += `${JSON.stringify({ seq, createdAt: new Date(seq).toISOString(), level: "info", type: "t", message, detail: { pad: "x".repeat(200) } })}\n`;
  return text;
}

/** The seqs from `from` to `to`, both included. */
export const seqRange = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
