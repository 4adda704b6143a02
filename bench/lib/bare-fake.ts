/**
 * The baseline client: the fake app-server spoken to directly over stdio, no daemon in between.
 * Just enough protocol to start threads and turns and to see each turn/completed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../src/package-info.js";

const FAKE = join(packageRoot, "test", "fixtures", "fake-app-server.mjs");

export class BareFake {
  private readonly proc: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly turnWaiters = new Map<string, () => void>();
  private readonly completedTurns = new Set<string>();

  constructor() {
    this.proc = spawn(process.execPath, [FAKE], { stdio: ["pipe", "pipe", "ignore"] });
    const lines = createInterface({ input: this.proc.stdout!, crlfDelay: Infinity });
    lines.on("line", (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    const msg = JSON.parse(line) as { id?: number; method?: string; result?: unknown; error?: { message: string }; params?: { turn?: { id: string } } };
    if (msg.method === undefined && msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
    } else if (msg.method === "turn/completed") {
      const id = msg.params!.turn!.id;
      const waiter = this.turnWaiters.get(id);
      if (waiter) {
        this.turnWaiters.delete(id);
        waiter();
      } else this.completedTurns.add(id);
    }
  }

  request<T = any>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.stdin!.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  notify(method: string): void {
    this.proc.stdin!.write(`${JSON.stringify({ method })}\n`);
  }

  turnCompleted(turnId: string): Promise<void> {
    if (this.completedTurns.delete(turnId)) return Promise.resolve();
    return new Promise((resolve) => this.turnWaiters.set(turnId, resolve));
  }

  async close(): Promise<void> {
    this.proc.stdin!.end();
    if (this.proc.exitCode === null) await once(this.proc, "exit");
  }
}
