import { taurusVitest } from "../../vitest.shared.mts";

export default taurusVitest(import.meta.url, { testTimeout: 20_000, hookTimeout: 30_000 });
