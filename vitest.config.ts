import { defineConfig } from "vitest/config";

// Test workers run the server as `npm start` does: glibc returns closed rooms' memory (README).
process.env.MALLOC_MMAP_THRESHOLD_ ??= "65536";

// Packages resolve to their TypeScript source through the "source" export condition, so
// tests need no build.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // test/scale/memory.test.ts collects garbage before it reads RSS.
    execArgv: ["--expose-gc"],
    reporters: ["default"],
  },
});
