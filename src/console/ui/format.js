// Formatting of times, durations and values for display (plain strings).

export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function time(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function ago(iso) {
  if (!iso) return "–";
  const ms = Date.now() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return String(iso);
  return ms < 0 ? `in ${duration(-ms)}` : `${duration(ms)} ago`;
}

/** A decision as the app-server offered it: a string, or a one-key object. */
export function decisionLabel(decision) {
  if (typeof decision === "string") {
    return { accept: "Accept", acceptForSession: "Accept for session", decline: "Decline", cancel: "Cancel" }[decision] ?? decision;
  }
  const [key, value] = Object.entries(decision ?? {})[0] ?? ["?", null];
  if (key === "acceptWithExecpolicyAmendment") {
    const rule = value?.execpolicy_amendment;
    return `Accept and allow ${Array.isArray(rule) ? rule.join(" ") : "similar"} from now on`;
  }
  return key;
}

export function json(value) {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

export function usageText(usage) {
  if (!usage || typeof usage !== "object") return null;
  const pick = usage.total ?? usage.last ?? usage;
  const parts = [];
  for (const [key, label] of [["inputTokens", "in"], ["cachedInputTokens", "cached"], ["outputTokens", "out"], ["reasoningOutputTokens", "reasoning"], ["totalTokens", "total"]]) {
    if (typeof pick[key] === "number") parts.push(`${label} ${pick[key]}`);
  }
  return parts.length ? `tokens: ${parts.join(", ")}` : null;
}
