import { expect, test } from "vitest";
import { runSoak } from "./soak.js";

// CI's short soak (`npm run soak` runs 30 minutes): 300 bots for SOAK_MINUTES (default 2).
const minutes = Number(process.env.SOAK_MINUTES ?? 2);

test(
  `soak: 300 bots walk, chat and signal for ${minutes} min with no error and flat memory`,
  async () => {
    const report = await runSoak({ minutes, bots: 300, sampleS: 10 });
    expect(report.failures).toEqual([]);
    expect(report.samples.length).toBeGreaterThan(3);
    expect(report.bots.chats).toBeGreaterThan(minutes * 60 * 5);
  },
  (minutes * 60 + 120) * 1000,
);
