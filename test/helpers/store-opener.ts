import { afterEach } from "vitest";
import type { ResolvedConfig } from "../../src/config.js";
import { StateStore } from "../../src/state/store.js";
import { tempState, type TempState } from "./temp-config.js";

/**
 * Real StateStores on a temp state dir, for a test file: `open()` starts a fresh dir,
 * `open(true)` reopens the current one (a restart); every store is closed and the dir removed
 * after each test.
 */
export function storeOpener(): { open: (reuse?: boolean) => Promise<StateStore>; config: () => ResolvedConfig } {
  let temp: TempState | undefined;
  const stores: StateStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => {});
    await temp?.cleanup();
    temp = undefined;
  });
  return {
    async open(reuse = false) {
      if (!reuse || !temp) temp = await tempState();
      const store = new StateStore(temp.config);
      stores.push(store);
      await store.initialize();
      return store;
    },
    config: () => temp!.config,
  };
}
