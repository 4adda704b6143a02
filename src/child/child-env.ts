/** codexd's own secrets by name: the token, and where it is read from. */
const SECRET_NAME = /^CODEXD_(.*_)?(TOKEN|TOKEN_FILE|SECRET|PASSWORD|KEY|CREDENTIALS?)$/i;

/**
 * The environment the child starts with: the daemon's own (so CODEX_HOME, credentials and PATH
 * pass through) without codexd's secrets. Every command the agent runs inherits it, so the bearer
 * token must not be in it, under its own name or any other.
 */
export function childEnvironment(env: NodeJS.ProcessEnv, token: string | null): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || SECRET_NAME.test(name)) continue;
    if (token && (token.length >= 8 ? value.includes(token) : value === token)) continue;
    out[name] = value;
  }
  return out;
}
