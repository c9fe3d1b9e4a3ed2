import { taurusVitest } from "../../vitest.shared.mts";

export default taurusVitest(import.meta.url);
