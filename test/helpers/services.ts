import { Socket } from "node:net";
import { describe } from "vitest";

/** Where the tests look for the real services (this machine and CI run both). */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(Number(port), hostname, () => done(true));
  });
}

/**
 * `describe` that runs when the service answers. When it does not, the block is skipped with a
 * visible line saying why, except under CI=true, where a missing service is a failure.
 */
export async function describeWithService(service: string, url: string, name: string, body: () => void): Promise<void> {
  if (await reachable(url)) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") {
    throw new Error(`${service} is not reachable at ${url}, and CI=true requires it`);
  }
  console.warn(`\n  SKIPPED "${name}": ${service} is not reachable at ${url} (set CI=true to make this a failure)\n`);
  describe.skip(`${name} [skipped: ${service} not reachable at ${url}]`, body);
}
