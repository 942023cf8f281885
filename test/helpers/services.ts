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
 * `describe` that runs when every service answers. When one does not, the block is skipped
 * with a visible line saying why, except under CI=true, where a missing service is a failure.
 */
export async function describeWithServices(
  services: [name: string, url: string][],
  name: string,
  body: () => void,
): Promise<void> {
  const missing: string[] = [];
  for (const [service, url] of services)
    if (!(await reachable(url))) missing.push(`${service} is not reachable at ${url}`);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") throw new Error(`${missing.join("; ")}, and CI=true requires it`);
  console.warn(`\n  SKIPPED "${name}": ${missing.join("; ")} (set CI=true to make this a failure)\n`);
  describe.skip(`${name} [skipped: ${missing.join("; ")}]`, body);
}

/** {@link describeWithServices} for one service. */
export function describeWithService(service: string, url: string, name: string, body: () => void): Promise<void> {
  return describeWithServices([[service, url]], name, body);
}
