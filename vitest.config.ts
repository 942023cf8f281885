import { defineConfig } from "vitest/config";

// Test workers run the server as `npm start` does: glibc returns closed rooms' memory (README).
process.env.MALLOC_MMAP_THRESHOLD_ ??= "65536";

/** Tests that load the whole machine or stop services: run after the others, one file at a time. */
const ISOLATED = ["test/soak/**/*.test.ts", "test/outage/**/*.test.ts", "test/scale/memory.test.ts"];

// Packages resolve to their TypeScript source through the "source" export condition, so
// tests need no build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // test/scale/memory.test.ts collects garbage before it reads RSS.
    execArgv: ["--expose-gc"],
    reporters: ["default"],
    projects: [
      { extends: true, test: { name: "main", include: ["test/**/*.test.ts"], exclude: ISOLATED } },
      {
        extends: true,
        test: { name: "isolated", include: ISOLATED, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
